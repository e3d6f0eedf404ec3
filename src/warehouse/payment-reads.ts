import { PAYMENT_FILTER_COLUMNS, type PaymentFilters } from '../contracts/payment-filters.js';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { RowOf } from './tables.js';

/**
 * Named, row-level reads of payments for the payments explorer (`GET /api/v1/payments…`): a
 * filtered list in keyset order, its count, a streamed scan for CSV export, and one payment with
 * everything that happened to it. All SQL stays here; the API only sees these functions.
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

function whereOf(selection: PaymentSelection, params: unknown[]): string {
  const bind = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const parts: string[] = ['TRUE'];
  // Bound as epoch microseconds: a zone-free instant, whatever the session's TimeZone setting.
  const at = (d: Date) => `make_timestamp(${bind(String(BigInt(d.getTime()) * 1000n))}::BIGINT)`;
  if (selection.from) parts.push(`p.payment_time >= ${at(selection.from)}`);
  if (selection.to) parts.push(`p.payment_time < ${at(selection.to)}`);
  for (const [name, column] of Object.entries(PAYMENT_FILTER_COLUMNS) as [keyof PaymentFilters, string][]) {
    const values = selection.filters[name];
    if (!values || values.length === 0) continue;
    parts.push(`p.${column} IN (${values.map(bind).join(', ')})`);
  }
  if (selection.search) {
    const s = bind(selection.search);
    parts.push(
      `(p.reference_number = ${s} OR p.payment_id = ${s} OR p.order_id = ${s} OR p.gateway_txn_id = ${s} OR starts_with(p.reference_number, ${s}))`,
    );
  }
  return parts.join(' AND ');
}

const ORDER = 'ORDER BY p.payment_time DESC NULLS LAST, p.reference_number DESC';

/** The reads over one DuckDB instance; each call takes a connection of its own. */
export function createPaymentReads(
  instance: DuckDBInstance,
  toJsRow: (row: Record<string, unknown>) => Record<string, unknown>,
): PaymentReads {
  const withConnection = async <T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> => {
    const connection = await instance.connect();
    try {
      return await fn(connection);
    } finally {
      connection.closeSync();
    }
  };
  const rows = async (c: DuckDBConnection, sql: string, params: unknown[]) =>
    (await c.runAndReadAll(sql, params.length > 0 ? (params as never) : undefined)).getRowObjectsJS().map(toJsRow);

  return {
    listPayments: (selection, page) =>
      withConnection(async (c) => {
        const params: unknown[] = [];
        let where = whereOf(selection, params);
        if (page.after) {
          params.push(page.after.timeMicros.toString(), page.after.reference);
          const t = `make_timestamp($${params.length - 1}::BIGINT)`;
          const r = `$${params.length}`;
          where += ` AND (p.payment_time < ${t} OR (p.payment_time = ${t} AND p.reference_number < ${r}))`;
        }
        params.push(page.limit);
        const found = await rows(
          c,
          `SELECT p.*, epoch_us(p.payment_time)::VARCHAR AS position_us FROM payments p WHERE ${where} AND p.payment_time IS NOT NULL ${ORDER} LIMIT $${params.length}`,
          params,
        );
        return found.map(({ position_us, ...row }) => ({
          ...(row as RowOf<'payments'>),
          position: { timeMicros: BigInt(position_us as string), reference: row.reference_number as string },
        }));
      }),
    countPayments: (selection) =>
      withConnection(async (c) => {
        const params: unknown[] = [];
        const where = whereOf(selection, params);
        const found = await rows(c, `SELECT count(*)::BIGINT AS n FROM payments p WHERE ${where} AND p.payment_time IS NOT NULL`, params);
        return Number(found[0]?.n ?? 0);
      }),
    async *streamPayments(selection) {
      const connection = await instance.connect();
      try {
        const params: unknown[] = [];
        const where = whereOf(selection, params);
        const result = await connection.stream(
          `SELECT p.* FROM payments p WHERE ${where} AND p.payment_time IS NOT NULL ${ORDER}`,
          params.length > 0 ? (params as never) : undefined,
        );
        for await (const chunk of result.yieldRowObjectJs()) yield chunk.map((r) => toJsRow(r) as RowOf<'payments'>);
      } finally {
        connection.closeSync();
      }
    },
    findPayment: (idOrReference) =>
      withConnection(async (c) => {
        const [payment] = await rows(
          c,
          'SELECT * FROM payments WHERE payment_id = $1 OR reference_number = $1 ORDER BY (payment_id = $1) DESC LIMIT 1',
          [idOrReference],
        );
        if (!payment) return null;
        const ref = payment.reference_number as string;
        const id = (payment.payment_id as string | null) ?? ref;
        const statusHistory = await rows(
          c,
          'SELECT * FROM payment_status_history WHERE reference_number = $1 ORDER BY event_time, event_id',
          [ref],
        );
        const refunds = await rows(
          c,
          'SELECT * FROM refunds WHERE reference_number = $1 OR payment_id = $2 ORDER BY refunded_at, refund_id',
          [ref, id],
        );
        const disputes = await rows(
          c,
          'SELECT * FROM disputes WHERE reference_number = $1 OR payment_id = $2 ORDER BY opened_at, dispute_id',
          [ref, id],
        );
        const batch = payment.settlement_batch_id as string | null;
        const [settlement] = batch ? await rows(c, 'SELECT * FROM settlements WHERE batch_id = $1', [batch]) : [];
        return {
          payment: payment as RowOf<'payments'>,
          statusHistory: statusHistory as RowOf<'payment_status_history'>[],
          refunds: refunds as RowOf<'refunds'>[],
          disputes: disputes as RowOf<'disputes'>[],
          settlement: (settlement as RowOf<'settlements'> | undefined) ?? null,
        };
      }),
  };
}
