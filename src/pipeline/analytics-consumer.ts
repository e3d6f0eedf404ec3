import { ErrorCode } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { SLO_WINDOW_MS, type SampleSummary, createSampleWindow } from '../core/sample-window.js';
import type { EventLog, EventLogConsumer, LogRecord } from '../log/event-log-port.js';
import { type NewDeadLetter, listDeadLetters, markDeadLettersReplayed, writeDeadLetters } from '../store/dead-letter-table.js';
import type { SqlExecutor } from '../store/store-port.js';
import type { Warehouse } from '../warehouse/warehouse-port.js';
import { type ApplyOutcome, type PreparedEvent, applyBatch } from './apply-batch.js';
import { createDecodeStep } from './decode-step.js';
import { factsOf } from './facts/index.js';
import type { MerchantDirectory } from './merchant-dimension.js';
import type { Pseudonymiser } from './pseudonymise-step.js';
import type { StepResult } from './step.js';

/**
 * The analytics consumer: reads the event log in batches (consumer group `group`) and lands each
 * batch in the warehouse — decode (JSON + data contract) → pseudonymise → facts → one warehouse
 * transaction (dedup by event id, merge by version, rollups). A step's answer is ok, drop or
 * dead-letter; dead letters are written to the operational store before the batch's position is
 * committed, so a poison event is kept with its error and never stops the stream.
 */
export interface AnalyticsConsumerDeps {
  log: EventLog;
  warehouse: Warehouse;
  /** Where dead letters are kept (the operational store). */
  deadLetters: SqlExecutor;
  pseudonymiser: Pseudonymiser;
  merchants: MerchantDirectory;
  logger: Logger;
  metrics?: Pick<Metrics, 'pipelineEvents' | 'pipelineBatchDuration' | 'warehouseFreshness'>;
  group?: string;
  maxBatchSize: number;
}

export interface AnalyticsStatus {
  group: string;
  state: 'idle' | 'running' | 'waiting' | 'stopped';
  applied: number;
  duplicates: number;
  deadLettered: number;
  lastAppliedAt: Date | null;
  lastError: string | null;
  /**
   * Recorded → queryable over the events applied in the last `SLO_WINDOW_MS`, in milliseconds.
   * `backfill_excluded`: events applied in that window that are history (see `isBackfill`), not samples.
   */
  freshness: SampleSummary & { backfill_excluded: number };
}

/**
 * An event that happened more than this long before Payscope recorded it is back-filled history
 * (the demo's 30 days, an import, a late ETL file): its lag says how fast a bulk load drains, not
 * how fresh current data is, so it is no freshness sample.
 */
export const BACKFILL_AGE_MS = 3_600_000;

/** When the fact happened: a payment's `payment_date`, any other event's CloudEvent `time`. */
export function occurredAt(event: { type: string; time?: string; data?: unknown }): Date | null {
  const payment = (event.data as { payment?: { payment_date?: unknown } } | undefined)?.payment;
  const at = event.type === 'payment.recorded' && typeof payment?.payment_date === 'string' ? payment.payment_date : event.time;
  const time = at ? Date.parse(at) : Number.NaN;
  return Number.isNaN(time) ? null : new Date(time);
}

/** Whether an event is back-filled history rather than current data (see `BACKFILL_AGE_MS`). */
export function isBackfill(occurred: Date | null, recordedAt: Date): boolean {
  return occurred !== null && recordedAt.getTime() - occurred.getTime() > BACKFILL_AGE_MS;
}

export interface ReplayResult {
  replayed: number;
  still_failing: number;
  ids: { id: number; outcome: 'applied' | 'duplicate' | 'dead_letter'; error?: string }[];
}

export interface AnalyticsConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): AnalyticsStatus;
  /** Runs records through the pipeline outside the log (tests, replays; replays are not freshness samples). */
  process(records: readonly LogRecord[], options?: { measureFreshness?: boolean }): Promise<ProcessOutcome>;
  /** Re-runs open analytics dead letters (all, or `ids`); those that now apply are marked replayed. */
  replayDeadLetters(options: { ids?: readonly number[]; limit?: number }): Promise<ReplayResult>;
}

export interface ProcessOutcome extends Omit<ApplyOutcome, 'rejected' | 'applied'> {
  applied: number;
  deadLettered: { record: LogRecord; code: string; message: string }[];
}

export const ANALYTICS_GROUP = 'payscope-analytics';

export function createAnalyticsConsumer(deps: AnalyticsConsumerDeps): AnalyticsConsumer {
  const group = deps.group ?? ANALYTICS_GROUP;
  const origin = `consumer:${group}`;
  const decode = createDecodeStep();
  const freshness = createSampleWindow({ windowMs: SLO_WINDOW_MS });
  // Only counted; a larger cap so a 37,000-event back-fill is reported as such, not as 10,000.
  const backfill = createSampleWindow({ windowMs: SLO_WINDOW_MS, maxSamples: 100_000 });
  const totals = { applied: 0, duplicates: 0, deadLettered: 0, lastAppliedAt: null as Date | null };
  let consumer: EventLogConsumer | null = null;

  /** Decode, pseudonymise and build facts; a step that cannot goes to `letters`. */
  function prepare(records: readonly LogRecord[], letters: NewDeadLetter[], now: Date): { prepared: PreparedEvent[]; dropped: number } {
    const prepared: PreparedEvent[] = [];
    let dropped = 0;
    for (const record of records) {
      const step: StepResult<PreparedEvent> = (() => {
        const decoded = decode(record);
        if (decoded.kind !== 'ok') return decoded;
        try {
          const event = deps.pseudonymiser.pseudonymise(decoded.value);
          return {
            kind: 'ok',
            value: {
              id: event.id,
              type: event.type,
              time: new Date(event.time),
              recordedAt: record.time,
              occurredAt: occurredAt(decoded.value),
              facts: factsOf(event, now),
              partition: record.partition,
              offset: record.offset,
              payload: record.value,
            },
          };
        } catch (error) {
          return { kind: 'dlq', code: ErrorCode.PIPELINE_STEP_FAILED, message: `building facts failed: ${(error as Error).message}` };
        }
      })();
      if (step.kind === 'ok') prepared.push(step.value);
      else if (step.kind === 'drop') dropped++;
      else letters.push(letterOf(record, step.code, step.message, step.details));
    }
    return { prepared, dropped };
  }

  function letterOf(
    record: Pick<LogRecord, 'id' | 'type' | 'partition' | 'offset' | 'value'>,
    code: string,
    message: string,
    details?: unknown,
  ) {
    return {
      stage: 'analytics' as const,
      origin,
      eventId: record.id || null,
      eventType: record.type || null,
      partition: record.partition,
      offset: record.offset,
      payload: record.value,
      errorCode: code,
      errorMessage: message,
      details,
    };
  }

  /**
   * Applies the batch in one transaction. If that fails, applies its events one by one so a single
   * event that breaks the write (a bug, a value the warehouse refuses) becomes a dead letter instead
   * of stopping the stream; when every event fails alone too, the warehouse itself is the problem
   * and the error goes back to the log, which retries the batch.
   */
  async function applyOrIsolate(prepared: PreparedEvent[], letters: NewDeadLetter[], now: Date): Promise<ApplyOutcome> {
    try {
      return await deps.warehouse.transaction((tx) => applyBatch(tx, prepared, deps.merchants, now));
    } catch (batchError) {
      if (prepared.length <= 1) throw batchError;
      deps.logger.warn({ err: batchError, events: prepared.length }, 'batch failed in the warehouse; applying its events one by one');
      const total: ApplyOutcome = { applied: [], duplicates: 0, rejected: [] };
      const failed: { event: PreparedEvent; error: Error }[] = [];
      for (const event of prepared) {
        try {
          const one = await deps.warehouse.transaction((tx) => applyBatch(tx, [event], deps.merchants, now));
          total.applied.push(...one.applied);
          total.duplicates += one.duplicates;
          total.rejected.push(...one.rejected);
        } catch (error) {
          failed.push({ event, error: error as Error });
        }
      }
      if (failed.length === prepared.length) throw batchError;
      for (const { event, error } of failed) {
        letters.push(
          letterOf({ ...event, value: event.payload }, ErrorCode.PIPELINE_STEP_FAILED, `writing to the warehouse failed: ${error.message}`),
        );
      }
      return total;
    }
  }

  async function process(records: readonly LogRecord[], options: { measureFreshness?: boolean } = {}): Promise<ProcessOutcome> {
    const started = performance.now();
    const now = new Date();
    const letters: NewDeadLetter[] = [];
    const { prepared, dropped } = prepare(records, letters, now);
    const outcome = await applyOrIsolate(prepared, letters, now);
    const committedAt = Date.now();
    for (const r of outcome.rejected) letters.push(letterOf({ ...r.event, value: r.event.payload }, r.code, r.message, r.details));
    // Before the handler resolves (and the log commits the position): a dead letter is never lost.
    if (letters.length > 0) await writeDeadLetters(deps.deadLetters, letters);

    for (const e of options.measureFreshness === false ? [] : outcome.applied) {
      const ms = committedAt - e.recordedAt.getTime();
      if (isBackfill(e.occurredAt, e.recordedAt)) backfill.add(ms);
      else {
        freshness.add(ms);
        deps.metrics?.warehouseFreshness.observe(ms / 1000);
      }
    }
    totals.applied += outcome.applied.length;
    totals.duplicates += outcome.duplicates + dropped;
    totals.deadLettered += letters.length;
    if (outcome.applied.length > 0) totals.lastAppliedAt = new Date(committedAt);
    deps.metrics?.pipelineEvents.inc({ outcome: 'applied' }, outcome.applied.length);
    deps.metrics?.pipelineEvents.inc({ outcome: 'duplicate' }, outcome.duplicates + dropped);
    deps.metrics?.pipelineEvents.inc({ outcome: 'dead_letter' }, letters.length);
    deps.metrics?.pipelineBatchDuration.observe((performance.now() - started) / 1000);
    if (letters.length > 0) {
      deps.logger.warn(
        { dead_letters: letters.length, codes: [...new Set(letters.map((l) => l.errorCode))] },
        'events sent to the dead-letter table',
      );
    }
    return {
      applied: outcome.applied.length,
      duplicates: outcome.duplicates + dropped,
      deadLettered: letters.map((l) => ({
        record: records.find((r) => r.partition === l.partition && r.offset === l.offset) as LogRecord,
        code: l.errorCode,
        message: l.errorMessage,
      })),
    };
  }

  return {
    async start() {
      await deps.merchants.refresh();
      consumer = deps.log.consumer({ group, maxBatchSize: deps.maxBatchSize });
      await consumer.start(async (records) => {
        await process(records);
      });
      deps.logger.info({ group, log: deps.log.kind }, 'analytics consumer started');
    },
    async stop() {
      await consumer?.stop();
    },
    status() {
      const s = consumer?.status();
      return {
        group,
        state: s?.state ?? 'stopped',
        applied: totals.applied,
        duplicates: totals.duplicates,
        deadLettered: totals.deadLettered,
        lastAppliedAt: totals.lastAppliedAt,
        lastError: s?.lastError ?? null,
        freshness: { ...freshness.summary(), backfill_excluded: backfill.summary().samples },
      };
    },
    process,
    async replayDeadLetters(options) {
      const letters = await listDeadLetters(deps.deadLetters, {
        stage: 'analytics',
        includeReplayed: false,
        limit: options.limit ?? 1000,
        ...(options.ids ? { ids: [...options.ids] } : {}),
      });
      const records: LogRecord[] = letters.map((l) => ({
        id: l.eventId ?? '',
        type: l.eventType ?? '',
        key: '',
        value: l.payload,
        time: l.createdAt,
        partition: l.partition ?? 0,
        offset: l.offset ?? 0,
      }));
      const outcome =
        records.length > 0 ? await process(records, { measureFreshness: false }) : { applied: 0, duplicates: 0, deadLettered: [] };
      const failing = new Map(outcome.deadLettered.map((d) => [`${d.record.partition}:${d.record.offset}:${d.record.id}`, d.message]));
      const ids: ReplayResult['ids'] = [];
      const done: number[] = [];
      for (const [i, l] of letters.entries()) {
        const r = records[i] as LogRecord;
        const error = failing.get(`${r.partition}:${r.offset}:${r.id}`);
        if (error !== undefined) ids.push({ id: l.id, outcome: 'dead_letter', error });
        else {
          ids.push({ id: l.id, outcome: 'applied' });
          done.push(l.id);
        }
      }
      await markDeadLettersReplayed(deps.deadLetters, done);
      return { replayed: done.length, still_failing: ids.length - done.length, ids };
    },
  };
}
