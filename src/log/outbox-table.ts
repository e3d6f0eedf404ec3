import type { SqlExecutor } from '../store/store-port.js';
import type { LogEvent, LogRecord } from './event-log-port.js';

/**
 * The SQL over `payment_service.outbox` shared by the relay and the embedded log. The table's
 * `id` is the log offset. Migration 0002 serialises outbox inserts (a transaction-level advisory
 * lock taken by a statement trigger), so ids become visible in id order: a reader that has seen id
 * N can never later find a smaller id committed. See README.md, "Gaps".
 */

interface OutboxRow {
  id: number;
  event_id: string;
  event_type: string;
  aggregate_id: string;
  payload: string;
  created_at: Date;
}

// payload::text: the json column keeps the recorder's bytes; hand them on untouched.
const COLUMNS = 'id, event_id, event_type, aggregate_id, payload::text AS payload, created_at';

function toEvent(row: OutboxRow): LogEvent {
  return { id: row.event_id, type: row.event_type, key: row.aggregate_id, value: row.payload, time: row.created_at };
}

/** Up to `max` events after offset `after`, in offset order: the embedded log's read. */
export async function readOutboxAfter(db: SqlExecutor, after: number, max: number): Promise<LogRecord[]> {
  const { rows } = await db.query<OutboxRow>(`SELECT ${COLUMNS} FROM payment_service.outbox WHERE id > $1 ORDER BY id LIMIT $2`, [
    after,
    max,
  ]);
  return rows.map((row) => ({ ...toEvent(row), partition: 0, offset: row.id }));
}

/** The oldest `max` events not yet published, in offset order: the relay's read. */
export async function readUnpublished(db: SqlExecutor, max: number): Promise<Array<LogEvent & { offset: number }>> {
  const { rows } = await db.query<OutboxRow>(
    `SELECT ${COLUMNS} FROM payment_service.outbox WHERE published_at IS NULL ORDER BY id LIMIT $1`,
    [max],
  );
  return rows.map((row) => ({ ...toEvent(row), offset: row.id }));
}

export async function markPublished(db: SqlExecutor, offsets: readonly number[]): Promise<void> {
  await db.query('UPDATE payment_service.outbox SET published_at = NOW() WHERE id = ANY($1::bigint[]) AND published_at IS NULL', [offsets]);
}

export async function countUnpublished(db: SqlExecutor): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::bigint AS n FROM payment_service.outbox WHERE published_at IS NULL');
  return Number(rows[0]?.n ?? 0);
}
