import { PAYMENT_FILTER_COLUMNS, type PaymentFilters } from '../contracts/payment-filters.js';
import type { RowOf } from './tables.js';

/**
 * Named, row-level reads of payments for the payments explorer (`GET /api/v1/payments…`): a
 * filtered list in keyset order, its count, a streamed scan for CSV export, and one payment with
 * everything that happened to it. The API only sees these functions; each engine implements them
 * in `warehouse/<engine>/` (DuckDB: `duckdb/duckdb-payment-reads.ts`) with the selection's WHERE
 * clause and the list order built here.
 *
 * Order: newest payment first — `payment_time DESC, reference_number DESC` — which is total
 * (the reference is the table's key), so a keyset position `(time, reference)` splits the rows
 * into "before" and "after" with none on both sides or neither: every row appears on exactly one page.
 */

export interface PaymentSelection {
  /** UTC instants on `payment_time`, `from` inclusive, `to` exclusive; absent = unbounded. */
  from?: Date;
  to?: Date;
  filters: PaymentFilters;
  /** Exact reference, payment id, order id or gateway transaction id, or the start of a reference. */
  search?: string;
}

/** A keyset position: the last row of the previous page (its time in epoch microseconds, exact). */
export interface PaymentPosition {
  timeMicros: bigint;
  reference: string;
}

export type PaymentRow = RowOf<'payments'> & { position: PaymentPosition };

export interface PaymentDetail {
  payment: RowOf<'payments'>;
  statusHistory: RowOf<'payment_status_history'>[];
  refunds: RowOf<'refunds'>[];
  disputes: RowOf<'disputes'>[];
  settlement: RowOf<'settlements'> | null;
}

export interface PaymentReads {
  /** At most `limit` payments of the selection after `after` (newest first). */
  listPayments(selection: PaymentSelection, page: { after: PaymentPosition | null; limit: number }): Promise<PaymentRow[]>;
  /** How many payments the selection holds. */
  countPayments(selection: PaymentSelection): Promise<number>;
  /**
   * Every payment of the selection in list order, a chunk (~2,048 rows) at a time: the next chunk
   * is read only when the consumer asks for it, so a slow reader holds back the scan (backpressure)
   * and memory stays at one chunk whatever the row count. Stop early with `return()`/`break`.
   */
  streamPayments(selection: PaymentSelection): AsyncIterable<RowOf<'payments'>[]>;
  /** One payment by payment id or reference, with its history, refunds, disputes and settlement batch; null when unknown. */
  findPayment(idOrReference: string): Promise<PaymentDetail | null>;
}

/** What a WHERE clause over a payment selection needs from the engine. */
export interface SelectionSql {
  /** Adds a parameter and returns its placeholder (`$n`). */
  bind(value: unknown): string;
  /** An instant as an exact timestamp expression (may bind parameters). */
  instant(at: Date): string;
  /** True when the text expression `expr` starts with the text expression `prefix`. */
  startsWith(expr: string, prefix: string): string;
}

/** The WHERE condition (over alias `p`) of a selection: time range, analytics filters, search. */
export function selectionWhere(selection: PaymentSelection, sql: SelectionSql): string {
  const parts: string[] = ['TRUE'];
  if (selection.from) parts.push(`p.payment_time >= ${sql.instant(selection.from)}`);
  if (selection.to) parts.push(`p.payment_time < ${sql.instant(selection.to)}`);
  for (const [name, column] of Object.entries(PAYMENT_FILTER_COLUMNS) as [keyof PaymentFilters, string][]) {
    const values = selection.filters[name];
    if (!values || values.length === 0) continue;
    parts.push(`p.${column} IN (${values.map(sql.bind).join(', ')})`);
  }
  if (selection.search) {
    const s = sql.bind(selection.search);
    parts.push(
      `(p.reference_number = ${s} OR p.payment_id = ${s} OR p.order_id = ${s} OR p.gateway_txn_id = ${s} OR ${sql.startsWith('p.reference_number', s)})`,
    );
  }
  return parts.join(' AND ');
}

/** The list order (newest first, then reference): total, so keyset pages split the rows exactly. */
export const PAYMENT_LIST_ORDER = 'ORDER BY p.payment_time DESC NULLS LAST, p.reference_number DESC';

/** Reads rows with `$n` parameters: each engine hands in its own. */
export type RowReader = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

/**
 * One payment by payment id or reference (an id match first), with its status history, refunds,
 * disputes and settlement batch: portable SQL, shared by the engines' `findPayment`.
 */
export async function findPaymentDetail(rows: RowReader, idOrReference: string): Promise<PaymentDetail | null> {
  const [payment] = await rows(
    `SELECT * FROM payments WHERE payment_id = $1 OR reference_number = $1 ORDER BY (COALESCE(payment_id, '') = $1) DESC LIMIT 1`,
    [idOrReference],
  );
  if (!payment) return null;
  const ref = payment.reference_number as string;
  const id = (payment.payment_id as string | null) ?? ref;
  const statusHistory = await rows('SELECT * FROM payment_status_history WHERE reference_number = $1 ORDER BY event_time, event_id', [ref]);
  const refunds = await rows('SELECT * FROM refunds WHERE reference_number = $1 OR payment_id = $2 ORDER BY refunded_at, refund_id', [
    ref,
    id,
  ]);
  const disputes = await rows('SELECT * FROM disputes WHERE reference_number = $1 OR payment_id = $2 ORDER BY opened_at, dispute_id', [
    ref,
    id,
  ]);
  const batch = payment.settlement_batch_id as string | null;
  const [settlement] = batch ? await rows('SELECT * FROM settlements WHERE batch_id = $1', [batch]) : [];
  return {
    payment: payment as RowOf<'payments'>,
    statusHistory: statusHistory as RowOf<'payment_status_history'>[],
    refunds: refunds as RowOf<'refunds'>[],
    disputes: disputes as RowOf<'disputes'>[],
    settlement: (settlement as RowOf<'settlements'> | undefined) ?? null,
  };
}
