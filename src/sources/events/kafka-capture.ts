import { ErrorCode } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { type NewDeadLetter, writeDeadLetters } from '../../store/dead-letter-table.js';
import type { SqlExecutor } from '../../store/store-port.js';
import type { CaptureResult, EventIntake } from './event-intake.js';

/** The consumer group every Payscope process capturing the topic joins: they share its partitions. */
export const KAFKA_CAPTURE_GROUP = 'payscope-capture';

/** One message of the capture topic, as the consumer hands it over (a `LogRecord` of the event log fits). */
export interface CaptureRecord {
  /** The message value: a CloudEvent in JSON (structured mode). */
  value: string;
  partition: number;
  offset: number;
}

/**
 * The consumer the capture reads from: a member of a consumer group that commits a batch's
 * offsets only after the handler resolved, and retries the batch while the handler rejects.
 * `EventLog.consumer(…)` of the Kafka log adapter is one; this layer cannot import the log layer,
 * so the composition root passes it in.
 */
export interface CaptureConsumer {
  start(handler: (records: readonly CaptureRecord[]) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

export interface KafkaCaptureDeps {
  consumer: CaptureConsumer;
  intake: EventIntake;
  /** Where rejected events go (`payment_service.dead_letters`). */
  store: SqlExecutor;
  /** The topic's name, for the dead letters' origin `kafka:<topic>` and logs. */
  topic: string;
  logger: Logger;
}

export interface KafkaCaptureStatus {
  /** Messages handled since start (accepted + duplicate + rejected). */
  handled: number;
  accepted: number;
  duplicates: number;
  /** Written to the dead-letter table. */
  deadLettered: number;
}

export interface KafkaCapture {
  start(): Promise<void>;
  /** Finishes the batch in hand (its dead letters written, its offsets committed), then leaves the group. */
  stop(): Promise<void>;
  status(): KafkaCaptureStatus;
}

/**
 * Captures the CloudEvents other services publish to a Kafka topic (`EVENTS_KAFKA_TOPIC`), exactly
 * as `POST /api/v1/events` does: each message value goes through the event intake into the outbox
 * (duplicates by id acknowledged, not stored twice). A message that is not JSON, or an event the
 * intake rejects, is written to the dead-letter table (stage `capture`, origin `kafka:<topic>`,
 * with its partition and offset) before the handler resolves, so the offset commit that follows
 * can never lose it, and it never stops the stream. A redelivered batch (after a crash or a
 * rebalance) finds its events as duplicates and its dead letters already written (one more attempt
 * counted, no second row). Only lost infrastructure makes the handler reject: the consumer then
 * retries the same batch.
 * @example
 * const log = createKafkaEventLog({ kafka, topic: 'orders.events', batchSize, logger });
 * const capture = createKafkaCapture({ consumer: log.consumer({ group: KAFKA_CAPTURE_GROUP, maxBatchSize: 1000 }),
 *   intake, store, topic: 'orders.events', logger });
 * await capture.start();
 */
export function createKafkaCapture(deps: KafkaCaptureDeps): KafkaCapture {
  const origin = `kafka:${deps.topic}`;
  const logger = deps.logger.child({ component: 'kafka-capture', topic: deps.topic });
  const status: KafkaCaptureStatus = { handled: 0, accepted: 0, duplicates: 0, deadLettered: 0 };

  async function handle(records: readonly CaptureRecord[]): Promise<void> {
    const parsed: Array<{ record: CaptureRecord; event: unknown }> = [];
    const letters: NewDeadLetter[] = [];
    for (const record of records) {
      const event = parseValue(record.value);
      if (event.ok) parsed.push({ record, event: event.value });
      else {
        letters.push(
          letterOf(record, null, null, {
            code: ErrorCode.MALFORMED_JSON,
            message: `the message value is not JSON (${event.reason}); publish each CloudEvent as one JSON object (structured mode)`,
          }),
        );
      }
    }
    const results =
      parsed.length > 0
        ? await deps.intake.capture(
            parsed.map((p) => p.event),
            origin,
          )
        : [];
    for (const [i, result] of results.entries()) {
      const { record, event } = parsed[i]!;
      if (result.status === 'accepted') status.accepted++;
      else if (result.status === 'duplicate') status.duplicates++;
      else letters.push(letterOf(record, result.id, typeOf(event), result.error));
    }
    await writeDeadLetters(deps.store, letters);
    status.handled += records.length;
    status.deadLettered += letters.length;
    if (letters.length > 0) {
      logger.warn(
        { dead_lettered: letters.length, batch: records.length, codes: [...new Set(letters.map((l) => l.errorCode))] },
        'captured events dead-lettered',
      );
    }
  }

  function letterOf(
    record: CaptureRecord,
    eventId: string | null,
    eventType: string | null,
    error: CaptureResult['error'] | undefined,
  ): NewDeadLetter {
    return {
      stage: 'capture',
      origin,
      eventId,
      eventType,
      partition: record.partition,
      offset: record.offset,
      payload: record.value,
      errorCode: error?.code ?? ErrorCode.INTERNAL,
      errorMessage: error?.message ?? 'rejected without an error (a bug)',
      ...(error?.details === undefined ? {} : { details: error.details }),
    };
  }

  return {
    start: () => deps.consumer.start(handle),
    stop: () => deps.consumer.stop(),
    status: () => ({ ...status }),
  };
}

function parseValue(value: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(value) as unknown };
  } catch (error) {
    return { ok: false, reason: value === '' ? 'empty' : (error as Error).message };
  }
}

function typeOf(event: unknown): string | null {
  const type = typeof event === 'object' && event !== null ? (event as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? type : null;
}
