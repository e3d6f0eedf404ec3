import { randomUUID } from 'node:crypto';
import type { SqlExecutor } from '../store/store-port.js';
import type { CanonicalPayment, RecordedPayment } from './payment.js';
import { paymentRecordedEvent } from './payment-event.js';

export type RecordOutcome = { status: 'created'; payment_id: string } | { status: 'duplicate'; payment_id: string };

/**
 * Records valid canonical payments inside the caller's transaction: references first (the unique
 * key is the dedup truth), then the payments that won their reference, then one outbox event per
 * new payment. Returns one outcome per input, in input order. Within the batch the first payment
 * with a reference wins and later ones are duplicates of it.
 *
 * References are inserted in sorted order so concurrent batches lock keys in the same order and
 * cannot deadlock each other.
 */
export async function recordPaymentsInTx(tx: SqlExecutor, payments: readonly CanonicalPayment[]): Promise<RecordOutcome[]> {
  const firstIndexOf = new Map<string, number>();
  const candidates: RecordedPayment[] = [];
  for (const [i, p] of payments.entries()) {
    if (!firstIndexOf.has(p.reference_number)) {
      firstIndexOf.set(p.reference_number, i);
      candidates.push({ ...p, id: randomUUID() });
    }
  }
  candidates.sort((a, b) => (a.reference_number < b.reference_number ? -1 : a.reference_number > b.reference_number ? 1 : 0));

  const inserted = await tx.query<{ reference_number: string }>(
    `INSERT INTO payment_service.payment_references (reference_number, payment_id, payment_date)
     SELECT x.r, x.p, x.d FROM json_to_recordset($1::json) AS x(r text, p uuid, d timestamp)
     ON CONFLICT (reference_number) DO NOTHING
     RETURNING reference_number`,
    [JSON.stringify(candidates.map((c) => ({ r: c.reference_number, p: c.id, d: c.payment_date.toISOString() })))],
  );
  const won = new Set(inserted.rows.map((r) => r.reference_number));
  const winners = candidates.filter((c) => won.has(c.reference_number));
  const losers = candidates.filter((c) => !won.has(c.reference_number)).map((c) => c.reference_number);

  const idOf = new Map<string, string>(winners.map((w) => [w.reference_number, w.id]));
  if (losers.length > 0) {
    const existing = await tx.query<{ reference_number: string; payment_id: string }>(
      'SELECT reference_number, payment_id FROM payment_service.payment_references WHERE reference_number = ANY($1::text[])',
      [losers],
    );
    for (const row of existing.rows) idOf.set(row.reference_number, row.payment_id);
  }

  if (winners.length > 0) {
    await insertPayments(tx, winners);
    await insertOutbox(tx, winners);
  }

  return payments.map((p, i) => {
    const paymentId = idOf.get(p.reference_number);
    if (paymentId === undefined) throw new Error(`reference ${p.reference_number} neither inserted nor found`);
    const created = firstIndexOf.get(p.reference_number) === i && won.has(p.reference_number);
    return { status: created ? 'created' : 'duplicate', payment_id: paymentId };
  });
}

const PAYMENT_COLUMNS = `id uuid, reference_number text, loan_account_number text, cif text, amount_minor bigint,
  currency text, payment_date timestamp, payment_channel text, source text, status text, gateway text,
  payment_method text, merchant_id text, order_id text, customer_id text, region text, country text,
  fee_minor bigint, tax_minor bigint, gateway_txn_id text, failure_reason text, failure_code text, failure_category text, metadata jsonb`;
const PAYMENT_COLUMN_NAMES = PAYMENT_COLUMNS.split(',')
  .map((c) => c.trim().split(/\s+/)[0])
  .join(', ');

async function insertPayments(tx: SqlExecutor, rows: readonly RecordedPayment[]): Promise<void> {
  await tx.query(
    `INSERT INTO payment_service.payments (${PAYMENT_COLUMN_NAMES})
     SELECT ${PAYMENT_COLUMN_NAMES} FROM json_to_recordset($1::json) AS x(${PAYMENT_COLUMNS})`,
    [JSON.stringify(rows.map((r) => ({ ...r, payment_date: r.payment_date.toISOString() })))],
  );
}

async function insertOutbox(tx: SqlExecutor, rows: readonly RecordedPayment[]): Promise<void> {
  const events = rows.map((r) => paymentRecordedEvent(r));
  await tx.query(
    `INSERT INTO payment_service.outbox (event_id, event_type, aggregate_id, payload)
     SELECT x.event_id, x.event_type, x.aggregate_id, x.payload
     FROM json_to_recordset($1::json) AS x(event_id text, event_type text, aggregate_id text, payload json)`,
    [JSON.stringify(events.map((e) => ({ event_id: e.id, event_type: e.type, aggregate_id: e.subject, payload: e })))],
  );
}
