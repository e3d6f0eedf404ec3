import { createHash } from 'node:crypto';
import type { SqlExecutor } from './store-port.js';

/**
 * `payment_service.dead_letters` (migration 0003): events that could not be captured (stage
 * `capture`: an invalid event on the capture topic) or applied by a consumer (stage `analytics`:
 * a poison event), kept with the raw payload and the error so that an operator can list them,
 * fix the cause and replay them — and so that one bad event never stops a stream.
 *
 * Writing is idempotent: a letter is identified by its `dedup_key` — stage|origin|id:<event id>,
 * or stage|origin|at:<partition>:<offset> when the event has no id (unparseable bytes), or
 * stage|origin|sha256:<payload hash> when it has neither. Writing the same letter again (a
 * redelivered batch, a replay that failed again) adds an attempt and takes the latest error instead
 * of adding a row, and reopens it if it had been replayed.
 */

/** capture: refused by event capture; analytics: not applicable by a consumer; ledger: a delivery the ledger kept for review (AMOUNT_CONFLICT…). */
export type DeadLetterStage = 'capture' | 'analytics' | 'ledger';

export interface NewDeadLetter {
  stage: DeadLetterStage;
  /** Where the event came from, e.g. `kafka:orders.events` or `consumer:analytics`. */
  origin: string;
  eventId: string | null;
  eventType: string | null;
  partition: number | null;
  offset: number | null;
  /** The bytes as received. */
  payload: string;
  errorCode: string;
  errorMessage: string;
  details?: unknown;
}

export interface DeadLetter extends NewDeadLetter {
  id: number;
  attempts: number;
  createdAt: Date;
  lastAttemptAt: Date;
  replayedAt: Date | null;
}

export interface DeadLetterFilter {
  stage?: DeadLetterStage;
  /** Include letters already replayed (default: only open ones). */
  includeReplayed?: boolean;
  /** Only letters with a larger id: pass the last id of the previous page. */
  afterId?: number;
  limit: number;
  /** Only these letters. */
  ids?: number[];
}

export interface DeadLetterCount {
  stage: DeadLetterStage;
  errorCode: string;
  open: number;
  replayed: number;
}

// Column widths of migration 0003; longer values are cut so that writing a letter never fails.
const MAX_ORIGIN = 255;
const MAX_EVENT_ID = 255;
const MAX_EVENT_TYPE = 255;
const MAX_ERROR_CODE = 100;

/**
 * Writes dead letters in one statement; a letter already present (same dedup key) gets
 * `attempts + 1`, `last_attempt_at = now()`, the new error and `replayed_at = NULL` instead of a
 * second row. Letters with the same key within `letters` count as one row with that many attempts.
 * Text is stored as PostgreSQL can hold it: NUL characters and lone UTF-16 surrogates become
 * U+FFFD; ids, types and codes longer than their columns are cut.
 * @example
 * await writeDeadLetters(store, [{ stage: 'capture', origin: 'kafka:orders.events', eventId: null, eventType: null,
 *   partition: 2, offset: 1041, payload: rawValue, errorCode: 'MALFORMED_JSON', errorMessage: 'not JSON' }]);
 */
export async function writeDeadLetters(db: SqlExecutor, letters: readonly NewDeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  const byKey = new Map<string, Record<string, unknown>>();
  for (const letter of letters) {
    const row = toRow(letter);
    const key = row.dedup_key as string;
    const earlier = byKey.get(key);
    // The first copy's payload and position, the last copy's error: as if written one by one.
    byKey.set(key, earlier ? { ...earlier, ...errorOf(row), attempts: (earlier.attempts as number) + 1 } : row);
  }
  await db.query(
    `INSERT INTO payment_service.dead_letters
       (stage, origin, event_id, event_type, log_partition, log_offset, payload, error_code, error_message, details, attempts, dedup_key)
     SELECT x.stage, x.origin, x.event_id, x.event_type, x.log_partition, x.log_offset, x.payload, x.error_code, x.error_message,
            x.details, x.attempts, x.dedup_key
     FROM json_to_recordset($1::json) AS x(stage text, origin text, event_id text, event_type text, log_partition int,
            log_offset bigint, payload text, error_code text, error_message text, details jsonb, attempts int, dedup_key text)
     ON CONFLICT (dedup_key) DO UPDATE SET
       attempts = payment_service.dead_letters.attempts + EXCLUDED.attempts,
       last_attempt_at = NOW(),
       error_code = EXCLUDED.error_code,
       error_message = EXCLUDED.error_message,
       details = EXCLUDED.details,
       replayed_at = NULL`,
    [JSON.stringify([...byKey.values()])],
  );
}

/**
 * Dead letters in id order, open ones only unless `includeReplayed`. Page with `afterId`.
 * @example
 * let page = await listDeadLetters(store, { stage: 'analytics', limit: 100 });
 * page = await listDeadLetters(store, { stage: 'analytics', limit: 100, afterId: page.at(-1)?.id });
 */
export async function listDeadLetters(db: SqlExecutor, filter: DeadLetterFilter): Promise<DeadLetter[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.stage !== undefined) {
    params.push(filter.stage);
    where.push(`stage = $${params.length}`);
  }
  if (!filter.includeReplayed) where.push('replayed_at IS NULL');
  if (filter.afterId !== undefined) {
    params.push(filter.afterId);
    where.push(`id > $${params.length}`);
  }
  if (filter.ids !== undefined) {
    params.push(filter.ids);
    where.push(`id = ANY($${params.length}::bigint[])`);
  }
  params.push(Math.max(0, Math.floor(filter.limit)));
  const { rows } = await db.query<DeadLetterRow>(
    `SELECT id, stage, origin, event_id, event_type, log_partition, log_offset, payload, error_code, error_message, details,
            attempts, created_at, last_attempt_at, replayed_at
     FROM payment_service.dead_letters
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY id LIMIT $${params.length}`,
    params,
  );
  return rows.map(fromRow);
}

/** Marks letters as replayed (`replayed_at = now()`); letters already replayed keep their time. */
export async function markDeadLettersReplayed(db: SqlExecutor, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query('UPDATE payment_service.dead_letters SET replayed_at = NOW() WHERE id = ANY($1::bigint[]) AND replayed_at IS NULL', [ids]);
}

/** Letters per stage and error code, open and replayed; ordered by stage, then error code. */
export async function countDeadLetters(db: SqlExecutor): Promise<DeadLetterCount[]> {
  const { rows } = await db.query<{ stage: DeadLetterStage; error_code: string; open: number; replayed: number }>(
    `SELECT stage, error_code,
            count(*) FILTER (WHERE replayed_at IS NULL)::int AS open,
            count(*) FILTER (WHERE replayed_at IS NOT NULL)::int AS replayed
     FROM payment_service.dead_letters
     GROUP BY stage, error_code
     ORDER BY stage, error_code`,
  );
  return rows.map((r) => ({ stage: r.stage, errorCode: r.error_code, open: Number(r.open), replayed: Number(r.replayed) }));
}

// ── rows ─────────────────────────────────────────────────────────────────────────────────────────

interface DeadLetterRow {
  id: number;
  stage: DeadLetterStage;
  origin: string;
  event_id: string | null;
  event_type: string | null;
  log_partition: number | null;
  log_offset: number | null;
  payload: string;
  error_code: string;
  error_message: string;
  details: unknown;
  attempts: number;
  created_at: Date;
  last_attempt_at: Date;
  replayed_at: Date | null;
}

function fromRow(r: DeadLetterRow): DeadLetter {
  return {
    id: Number(r.id),
    stage: r.stage,
    origin: r.origin,
    eventId: r.event_id,
    eventType: r.event_type,
    partition: r.log_partition,
    offset: r.log_offset === null ? null : Number(r.log_offset),
    payload: r.payload,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    ...(r.details === null ? {} : { details: r.details }),
    attempts: r.attempts,
    createdAt: r.created_at,
    lastAttemptAt: r.last_attempt_at,
    replayedAt: r.replayed_at,
  };
}

function toRow(letter: NewDeadLetter): Record<string, unknown> {
  const origin = storable(cut(letter.origin, MAX_ORIGIN));
  const eventId = letter.eventId === null ? null : storable(cut(letter.eventId, MAX_EVENT_ID));
  const payload = storable(letter.payload);
  return {
    stage: letter.stage,
    origin,
    event_id: eventId,
    event_type: letter.eventType === null ? null : storable(cut(letter.eventType, MAX_EVENT_TYPE)),
    log_partition: letter.partition,
    log_offset: letter.offset,
    payload,
    ...errorOf({
      error_code: storable(cut(letter.errorCode, MAX_ERROR_CODE)),
      error_message: storable(letter.errorMessage),
      details: letter.details === undefined ? null : storableJson(letter.details),
    }),
    attempts: 1,
    dedup_key: dedupKeyOf(letter.stage, origin, eventId, letter.partition, letter.offset, payload),
  };
}

function errorOf(row: Record<string, unknown>): Record<string, unknown> {
  return { error_code: row.error_code, error_message: row.error_message, details: row.details };
}

/** At most 20 + 255 + 255 + a few characters: within the column's 600. */
function dedupKeyOf(
  stage: DeadLetterStage,
  origin: string,
  eventId: string | null,
  partition: number | null,
  offset: number | null,
  payload: string,
): string {
  const base = `${stage}|${origin}|`;
  if (eventId !== null) return `${base}id:${eventId}`;
  if (offset !== null) return `${base}at:${partition ?? 0}:${offset}`;
  return `${base}sha256:${createHash('sha256').update(payload).digest('hex')}`;
}

// NUL, and a high surrogate not followed by a low one or a low one not preceded by a high one.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** PostgreSQL text holds neither NUL nor unpaired surrogates (which invalid UTF-8 bytes never produce, but JSON escapes can). */
function storable(s: string): string {
  return s.replace(UNSTORABLE, '\uFFFD');
}

function storableJson(value: unknown): unknown {
  // Through JSON first: jsonb holds only what JSON can say (no undefined, functions, bigint).
  const json = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return json === undefined ? null : storableValue(JSON.parse(json) as unknown);
}

function storableValue(value: unknown): unknown {
  if (typeof value === 'string') return storable(value);
  if (Array.isArray(value)) return value.map(storableValue);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storable(k), storableValue(v)]));
  }
  return value;
}

function cut(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max);
}
