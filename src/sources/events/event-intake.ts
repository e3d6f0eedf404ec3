import { type CloudEvent, type ValidEvent, isEventType, validateEvent } from '../../contracts/index.js';
import { ErrorCode, type Failure, PayscopeError, failure } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import { findJsonProblem, jsonProblemFailure } from '../../core/text.js';
import { withRetry } from '../../core/retry.js';
import { type OperationalStore, type SqlExecutor, isRetryableStoreError } from '../../store/store-port.js';

/** Most events in one batch, on every path (HTTP and the capture topic's handler calls). */
export const MAX_EVENTS_PER_BATCH = 1000;

/** Types only Payscope itself emits; another service sending one is refused. */
const NOT_CAPTURABLE: ReadonlyMap<string, string> = new Map([
  [
    'payment.recorded',
    'payment.recorded is emitted only by Payscope when it records a payment; send the payment through POST /api/v1/payments/webhook[/:channel] or the payment_staging table, or send payment.succeeded / payment.captured events',
  ],
  [
    'customer.segment_changed',
    'customer.segment_changed is emitted only by Payscope’s weekly RFM job; segments are computed from the payments it records',
  ],
  [
    'payment.status_changed',
    "payment.status_changed is emitted only by Payscope's ledger when a recorded payment changes; send the change through POST /api/v1/payments/webhook[/:channel] or the payment_staging table, or send payment.succeeded / payment.captured / payment.failed events",
  ],
  [
    'experiment.status_changed',
    'experiment.status_changed is emitted only by Payscope when an experiment changes status; change it through POST /api/v1/experiments/:key/{start,pause,resume,stop,complete}',
  ],
]);

/** The event types another service may not send (Payscope emits them itself). */
export const PAYSCOPE_ONLY_EVENT_TYPES: readonly string[] = [...NOT_CAPTURABLE.keys()];

export type CaptureStatus = 'accepted' | 'duplicate' | 'rejected';

/** What happened to one input of a batch. */
export interface CaptureResult {
  /** The input's position in the batch (0-based). */
  index: number;
  /** The event's `id` when the input had a string one (also when rejected), else null. */
  id: string | null;
  /** accepted: stored in the outbox now; duplicate: an event with this id was captured before (or earlier in the batch); rejected: see `error`. */
  status: CaptureStatus;
  error?: { code: ErrorCode; message: string; details?: unknown };
}

export interface EventIntake {
  /**
   * Validates each input against the data contract and writes the valid, new ones to the outbox
   * in one transaction. Returns one result per input, in input order. Throws only for lost
   * infrastructure: a `PayscopeError` `SERVICE_UNAVAILABLE` when the store is unreachable (then
   * nothing of the batch was stored; sending it again is safe).
   * `origin` says where the batch came from (`http`, `kafka:<topic>`), for logs.
   */
  capture(inputs: readonly unknown[], origin: string): Promise<CaptureResult[]>;
}

export interface EventIntakeDeps {
  store: OperationalStore;
  metrics?: Pick<Metrics, 'capturedEvents'>;
  logger: Logger;
  /** Store attempts after a retryable failure before giving up (default 2). */
  retries?: number;
}

/**
 * Event capture: CloudEvents from other services (orders, checkout, product views, searches,
 * users, refunds, disputes, settlements, experiment exposures) into the transactional outbox,
 * so every consumer reads them from the event log beside the recorder's `payment.recorded`.
 * Deduplicated by CloudEvent `id` (the outbox's unique `event_id`): an id seen before is
 * acknowledged as `duplicate` and not stored again. An invalid event is rejected on its own; the
 * rest of the batch is kept.
 * @example
 * const intake = createEventIntake({ store, metrics, logger });
 * const results = await intake.capture(JSON.parse(body), 'http');
 * // [{ index: 0, id: 'evt_1', status: 'accepted' }, { index: 1, id: 'evt_2', status: 'rejected', error: { code: 'VALIDATION_FAILED', … } }]
 */
export function createEventIntake(deps: EventIntakeDeps): EventIntake {
  const logger = deps.logger.child({ component: 'event-intake' });
  return {
    async capture(inputs, origin) {
      const results: CaptureResult[] = new Array(inputs.length);
      const types: string[] = new Array(inputs.length);
      const firstIndexOf = new Map<string, number>();
      const candidates: Array<{ index: number; event: ValidEvent }> = [];

      for (const [index, input] of inputs.entries()) {
        const id = idOf(input);
        types[index] = typeOf(input);
        const checked = checkEvent(input);
        if (!checked.ok) {
          results[index] = { index, id, status: 'rejected', error: errorBody(checked.error) };
          continue;
        }
        const event = checked.event;
        if (firstIndexOf.has(event.id)) {
          results[index] = { index, id: event.id, status: 'duplicate' };
          continue;
        }
        firstIndexOf.set(event.id, index);
        candidates.push({ index, event });
      }

      if (candidates.length > 0) {
        const stored = await storeEvents(candidates.map((c) => c.event));
        for (const { index, event } of candidates) {
          results[index] = { index, id: event.id, status: stored.has(event.id) ? 'accepted' : 'duplicate' };
        }
      }

      const counts = { accepted: 0, duplicate: 0, rejected: 0 };
      const rejectedCodes: Record<string, number> = {};
      for (const [index, r] of results.entries()) {
        counts[r.status]++;
        if (r.error) rejectedCodes[r.error.code] = (rejectedCodes[r.error.code] ?? 0) + 1;
        deps.metrics?.capturedEvents.inc({ type: types[index] ?? 'unknown', outcome: r.status });
      }
      const line = { origin, events: inputs.length, ...counts, ...(counts.rejected > 0 ? { rejected_codes: rejectedCodes } : {}) };
      if (counts.rejected > 0) logger.warn(line, 'events rejected by capture');
      else logger.debug(line, 'events captured');
      return results;
    },
  };

  /** Inserts in input order (one aggregate's events keep their order in the log); returns the ids stored now. */
  async function storeEvents(events: readonly ValidEvent[]): Promise<Set<string>> {
    const rows = events.map((event, i) => ({
      i,
      event_id: event.id,
      event_type: event.type,
      aggregate_id: aggregateIdOf(event),
      payload: event,
    }));
    const param = JSON.stringify(rows);
    try {
      const inserted = await withRetry(() => deps.store.transaction((tx) => insertOutbox(tx, param)), {
        retries: deps.retries ?? 2,
        isRetryable: isRetryableStoreError,
        onRetry: (e, attempt) => logger.warn({ err: e, attempt, size: events.length }, 'event capture retry'),
      });
      return new Set(inserted);
    } catch (error) {
      if (!isRetryableStoreError(error)) throw error;
      throw new PayscopeError({
        code: ErrorCode.SERVICE_UNAVAILABLE,
        message:
          'the event store is unavailable; nothing of this batch was stored — send it again later (events already captured are answered as duplicate)',
        retryable: true,
      });
    }
  }
}

async function insertOutbox(tx: SqlExecutor, rowsJson: string): Promise<string[]> {
  // ORDER BY x.i: outbox ids (the log offsets) follow the batch's order.
  const { rows } = await tx.query<{ event_id: string }>(
    `INSERT INTO payment_service.outbox (event_id, event_type, aggregate_id, payload)
     SELECT x.event_id, x.event_type, x.aggregate_id, x.payload
     FROM json_to_recordset($1::json) AS x(i int, event_id text, event_type text, aggregate_id text, payload json)
     ORDER BY x.i
     ON CONFLICT (event_id) DO NOTHING
     RETURNING event_id`,
    [rowsJson],
  );
  return rows.map((r) => r.event_id);
}

/**
 * The log's ordering and partition key for a captured event: its `subject` when the sender set
 * one, else the business object it belongs to — the payment reference (`payment.*`), the
 * settlement batch (`settlement.*`), the order (`order.*`, `escrow.released`, `tax.line_recorded`
 * when it names one), the session (behavioural events) — else the event id.
 * @example aggregateIdOf({ type: 'order.placed', data: { order_id: 'ORD-1' }, … }) // 'ORD-1'
 */
export function aggregateIdOf(event: Pick<CloudEvent, 'id' | 'type' | 'subject' | 'data'>): string {
  if (event.subject) return event.subject;
  const field = keyFieldOf(event.type);
  const value = field && typeof event.data === 'object' && event.data !== null ? (event.data as Record<string, unknown>)[field] : undefined;
  return typeof value === 'string' && value !== '' ? value : event.id;
}

const BEHAVIOURAL_PREFIXES = ['checkout.', 'product.', 'search.', 'user.', 'experiment.'];

function keyFieldOf(type: string): string | null {
  if (type.startsWith('payment.')) return 'reference_number';
  if (type.startsWith('settlement.')) return 'batch_id';
  if (type.startsWith('order.') || type.startsWith('escrow.') || type.startsWith('tax.')) return 'order_id';
  if (BEHAVIOURAL_PREFIXES.some((p) => type.startsWith(p))) return 'session_id';
  return null;
}

type Checked = { ok: true; event: ValidEvent } | { ok: false; error: Failure };

function checkEvent(input: unknown): Checked {
  const type = typeof input === 'object' && input !== null ? (input as { type?: unknown }).type : undefined;
  const refusal = typeof type === 'string' ? NOT_CAPTURABLE.get(type) : undefined;
  if (refusal !== undefined) {
    return { ok: false, error: failure(ErrorCode.EVENT_TYPE_NOT_CAPTURABLE, refusal, { id: idOf(input), type }) };
  }
  // Before the contract and before anything serialises it: text PostgreSQL's json cannot hold
  // (NUL, lone surrogates — free-form fields and extension attributes are open) and nesting deep
  // enough to exhaust a recursive serialiser. One such event would fail the whole batch's statement.
  const problem = findJsonProblem(input);
  if (problem !== null) {
    const f = jsonProblemFailure(problem);
    return {
      ok: false,
      error: { ...f, details: { ...(f.details as object), id: idOf(input), type: typeof type === 'string' ? type : null } },
    };
  }
  const result = validateEvent(input);
  if (!result.ok) return { ok: false, error: result.error };
  return { ok: true, event: result.value };
}

function idOf(input: unknown): string | null {
  if (typeof input !== 'object' || input === null) return null;
  const id = (input as { id?: unknown }).id;
  return typeof id === 'string' ? id : null;
}

/** A metrics label: the type when it is in the data contract, else `unknown` (labels stay few). */
function typeOf(input: unknown): string {
  const type = typeof input === 'object' && input !== null ? (input as { type?: unknown }).type : undefined;
  return typeof type === 'string' && isEventType(type) ? type : 'unknown';
}

function errorBody(f: Failure): NonNullable<CaptureResult['error']> {
  return f.details === undefined ? { code: f.code, message: f.message } : { code: f.code, message: f.message, details: f.details };
}
