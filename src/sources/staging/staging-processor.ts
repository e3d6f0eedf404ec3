import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Config } from '../../core/config.js';
import type { Failure } from '../../core/errors.js';
import type { Metrics } from '../../core/metrics.js';
import { withRetry } from '../../core/retry.js';
import { type CanonicalPayment, type PaymentRules, normalisePayment } from '../../recorder/payment.js';
import type { Recorder } from '../../recorder/recorder.js';
import { withFailureCategory } from '../webhooks/channels/generic-failure-codes.js';
import { type OperationalStore, type SqlExecutor, isRetryableStoreError } from '../../store/store-port.js';

/**
 * Takes unprocessed rows of `payment_staging` in batches and records them. One batch is one
 * transaction: lock rows (FOR UPDATE SKIP LOCKED, so several workers share a backlog), validate,
 * dedup and insert in bulk through the recorder, mark every row processed (a bad row with its
 * error), and write the batch's `staging_process_log` row. A crash anywhere rolls the whole batch
 * back, so it is simply taken again.
 */

export interface BatchSummary {
  batchId: string;
  total: number;
  processed: number;
  duplicates: number;
  errors: number;
  startId: number;
  endId: number;
  ms: number;
}

export interface StagingProcessor {
  /** Processes one batch; null when the backlog is empty. */
  processBatch(): Promise<BatchSummary | null>;
  /** Processes batches until none is left; returns totals. */
  drain(onBatch?: (s: BatchSummary) => void): Promise<{ batches: number; processed: number; duplicates: number; errors: number }>;
  /** Polls every `intervalSeconds` until stopped; a full batch is followed at once by the next. */
  start(): void;
  /** Asks the loop to stop and waits for the batch in hand to finish. */
  stop(): Promise<void>;
}

export interface StagingProcessorDeps {
  store: OperationalStore;
  recorder: Recorder;
  metrics: Metrics;
  logger: Logger;
  batchSize: number;
  intervalSeconds: number;
  maxRetries: number;
  defaultCurrency: string;
  /** ALLOW_ZERO_AMOUNT and MAX_FUTURE_PAYMENT_SKEW; default DEFAULT_PAYMENT_RULES. A row breaking one is marked with its code. */
  paymentRules?: PaymentRules;
  workerId?: string;
}

/** The processor's settings from the configuration (STAGING_*, DEFAULT_CURRENCY, the payment rules): one reading for the server and the CLI. */
export function stagingSettingsOf(
  config: Pick<Config, 'env' | 'paymentRules'>,
): Pick<StagingProcessorDeps, 'batchSize' | 'intervalSeconds' | 'maxRetries' | 'defaultCurrency' | 'paymentRules'> {
  return {
    batchSize: config.env.STAGING_BATCH_SIZE,
    intervalSeconds: config.env.STAGING_INTERVAL_SECONDS,
    maxRetries: config.env.STAGING_MAX_RETRIES,
    defaultCurrency: config.env.DEFAULT_CURRENCY,
    paymentRules: config.paymentRules,
  };
}

interface StagingRow {
  id: number;
  [column: string]: unknown;
}

const SELECT_BATCH = `
  SELECT id, reference_number, loan_account_number, cif, amount::text AS amount, currency, payment_date,
         payment_channel, metadata, status, gateway, payment_method, merchant_id, order_id, customer_id,
         region, country, fee_amount::text AS fee_amount, tax_amount::text AS tax_amount, gateway_txn_id, failure_reason
  FROM payment_staging
  WHERE processed = FALSE`;

const MAX_ERROR_DETAILS = 100;

export function createStagingProcessor(deps: StagingProcessorDeps): StagingProcessor {
  const { store, recorder, metrics, logger } = deps;
  const workerId = deps.workerId ?? `worker-${randomUUID().slice(0, 8)}`;
  let running = false;
  let loop: Promise<void> | null = null;
  let wakeUp: (() => void) | null = null;

  async function processRows(
    tx: SqlExecutor,
    rows: readonly StagingRow[],
    batchId: string,
    started: number,
  ): Promise<{ summary: BatchSummary; afterCommit: () => Promise<void> }> {
    const valid: CanonicalPayment[] = [];
    const validIds: number[] = [];
    const rejected: Array<{ id: number; code: string; message: string }> = [];
    const now = new Date(started);
    for (const row of rows) {
      const result = normalisePayment(withFailureCategory(withoutNulls(row)), {
        source: 'staging',
        defaultCurrency: deps.defaultCurrency,
        now,
        ...(deps.paymentRules ? { rules: deps.paymentRules } : {}),
      });
      if (result.ok) {
        valid.push(result.value);
        validIds.push(row.id);
      } else {
        rejected.push(rowError(row.id, result.error));
      }
    }
    // A row for a known reference with a new status is a transition of that payment (issue 10);
    // one the ledger refuses (AMOUNT_CONFLICT) gets the error on its row, like an invalid one.
    const { outcomes, afterCommit } = await recorder.recordInTransaction(
      tx,
      valid.map((payment) => ({ kind: 'payment', payment })),
    );
    const duplicates = outcomes.filter((o) => o.status === 'duplicate').length;
    const refusedIds = new Set<number>();
    for (const [i, o] of outcomes.entries()) {
      if (o.status !== 'refused') continue;
      const id = validIds[i] as number;
      refusedIds.add(id);
      rejected.push(rowError(id, o.failure));
    }

    await tx.query(
      `UPDATE payment_staging AS s SET processed = TRUE, processed_at = NOW(), error_code = x.c, error_message = x.m
       FROM json_to_recordset($1::json) AS x(id bigint, c text, m text) WHERE s.id = x.id`,
      [
        JSON.stringify([
          ...validIds.filter((id) => !refusedIds.has(id)).map((id) => ({ id, c: null, m: null })),
          ...rejected.map((r) => ({ id: r.id, c: r.code, m: r.message })),
        ]),
      ],
    );
    const ids = rows.map((r) => r.id);
    // The batch's own start and end, from one clock: NOW() is the transaction's start, so a
    // default started_at and a NOW() completed_at were always equal (average_batch_time_ms 0).
    const completed = Date.now();
    const summary: BatchSummary = {
      batchId,
      total: rows.length,
      processed: outcomes.length - duplicates - refusedIds.size,
      duplicates,
      errors: rejected.length,
      startId: Math.min(...ids),
      endId: Math.max(...ids),
      ms: completed - started,
    };
    await tx.query(
      `INSERT INTO payment_service.staging_process_log
         (id, batch_start_id, batch_end_id, total_records, processed_records, duplicate_records, error_records,
          status, started_at, completed_at, error_details, worker_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'completed', $10, $11, $8::jsonb, $9)`,
      [
        batchId,
        summary.startId,
        summary.endId,
        summary.total,
        summary.processed,
        summary.duplicates,
        summary.errors,
        rejected.length > 0 ? JSON.stringify(rejected.slice(0, MAX_ERROR_DETAILS)) : null,
        workerId,
        new Date(started),
        new Date(completed),
      ],
    );
    return { summary, afterCommit };
  }

  async function runBatch(batchId: string, started: number, where: string, params: unknown[]) {
    const result = await store.transaction(async (tx) => {
      const { rows } = await tx.query<StagingRow>(`${SELECT_BATCH} ${where} FOR UPDATE SKIP LOCKED`, params);
      if (rows.length === 0) return null;
      return processRows(tx, rows, batchId, started);
    });
    if (!result) return null;
    await result.afterCommit();
    return result.summary;
  }

  async function processBatch(): Promise<BatchSummary | null> {
    const batchId = randomUUID();
    const started = Date.now();
    const log = logger.child({ batch_id: batchId, worker_id: workerId });
    let summary: BatchSummary | null;
    try {
      summary = await withRetry(() => runBatch(batchId, started, 'ORDER BY id LIMIT $1', [deps.batchSize]), {
        retries: deps.maxRetries,
        baseDelayMs: 200,
        isRetryable: isRetryableStoreError,
        onRetry: (e, attempt) => {
          metrics.stagingBatchFailures.inc();
          log.warn({ err: e, attempt }, 'staging batch failed; retrying');
        },
      });
    } catch (error) {
      if (isRetryableStoreError(error)) {
        metrics.stagingBatchFailures.inc();
        log.error({ err: error }, 'staging batch failed after retries');
        await recordFailedBatch(batchId, started, error).catch((e) => log.error({ err: e }, 'could not log failed batch'));
        throw error;
      }
      // A row the validator let through broke a statement: take the rows one at a time so the
      // bad one is marked with its error and the rest are recorded.
      log.warn({ err: error }, 'staging batch failed on a row; processing rows one by one');
      summary = await processOneByOne(batchId, started);
    }
    if (summary) {
      metrics.stagingRows.inc({ result: 'processed' }, summary.processed);
      metrics.stagingRows.inc({ result: 'duplicate' }, summary.duplicates);
      metrics.stagingRows.inc({ result: 'error' }, summary.errors);
      metrics.stagingBatchDuration.observe(summary.ms / 1000);
      // batch_id is on the child logger already; the rest in the logs' snake_case.
      const { total, processed, duplicates, errors, startId, endId, ms } = summary;
      log.info({ total, processed, duplicates, errors, start_id: startId, end_id: endId, ms }, 'staging batch done');
    }
    return summary;
  }

  async function processOneByOne(batchId: string, started: number): Promise<BatchSummary | null> {
    const { rows } = await store.query<{ id: number }>('SELECT id FROM payment_staging WHERE processed = FALSE ORDER BY id LIMIT $1', [
      deps.batchSize,
    ]);
    const total: BatchSummary = { batchId, total: 0, processed: 0, duplicates: 0, errors: 0, startId: 0, endId: 0, ms: 0 };
    for (const { id } of rows) {
      let one: BatchSummary | null;
      try {
        one = await runBatch(randomUUID(), Date.now(), 'AND id = $1', [id]);
      } catch (error) {
        if (isRetryableStoreError(error)) throw error;
        await store.query(
          `UPDATE payment_staging SET processed = TRUE, processed_at = NOW(), error_code = 'INTERNAL', error_message = $2 WHERE id = $1`,
          [id, `the store refused this row: ${(error as Error).message}`.slice(0, 2000)],
        );
        one = { ...total, total: 1, errors: 1, processed: 0, duplicates: 0 };
      }
      if (!one) continue;
      total.total += one.total;
      total.processed += one.processed;
      total.duplicates += one.duplicates;
      total.errors += one.errors;
      total.startId = total.startId === 0 ? id : Math.min(total.startId, id);
      total.endId = Math.max(total.endId, id);
    }
    total.ms = Date.now() - started;
    return total.total > 0 ? total : null;
  }

  async function recordFailedBatch(batchId: string, started: number, error: unknown) {
    await store.query(
      `INSERT INTO payment_service.staging_process_log
         (id, batch_start_id, batch_end_id, total_records, status, started_at, completed_at, error_details, worker_id, attempts)
       VALUES ($1, 0, 0, 0, 'failed', $5, $6, $2::jsonb, $3, $4)`,
      [
        batchId,
        JSON.stringify({ message: (error as Error).message, code: (error as { code?: string }).code }),
        workerId,
        deps.maxRetries + 1,
        new Date(started),
        new Date(),
      ],
    );
  }

  async function drain(onBatch?: (s: BatchSummary) => void) {
    const totals = { batches: 0, processed: 0, duplicates: 0, errors: 0 };
    for (;;) {
      const s = await processBatch();
      if (!s) return totals;
      totals.batches++;
      totals.processed += s.processed;
      totals.duplicates += s.duplicates;
      totals.errors += s.errors;
      onBatch?.(s);
    }
  }

  async function runLoop() {
    while (running) {
      let full = false;
      try {
        const s = await processBatch();
        full = s !== null && s.total >= deps.batchSize;
      } catch (error) {
        logger.error({ err: error, worker_id: workerId }, 'staging loop: batch failed; will try again next interval');
      }
      if (!running || full) continue;
      await Promise.race([
        sleep(deps.intervalSeconds * 1000),
        new Promise<void>((resolve) => {
          wakeUp = resolve;
        }),
      ]);
      wakeUp = null;
    }
  }

  return {
    processBatch,
    drain,
    start() {
      if (running) return;
      running = true;
      loop = runLoop();
    },
    async stop() {
      running = false;
      wakeUp?.();
      await loop;
    },
  };
}

function rowError(id: number, f: Failure) {
  return { id, code: f.code, message: f.message.slice(0, 2000) };
}

function withoutNulls(row: StagingRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (v !== null && k !== 'id') out[k] = v;
  return out;
}
