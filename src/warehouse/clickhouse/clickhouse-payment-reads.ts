import { PAYMENT_FILTER_COLUMNS, type PaymentFilters } from '../../contracts/payment-filters.js';
import { type PaymentPosition, type PaymentReads, type PaymentSelection, findPaymentDetail } from '../payment-reads.js';
import type { RowOf } from '../tables.js';

/**
 * The payments explorer's reads (`payment-reads.ts`) on ClickHouse, with the same semantics as
 * DuckDB's: newest first by `payment_time DESC, reference_number DESC` (total: the reference is the
 * key), keyset pages, a count, a chunked scan and one payment with its history. Times are
 * DateTime64(3): a position's microseconds are whole milliseconds × 1000. Payments are read FINAL
 * (the newest version of each reference).
 */

/** Runs a read with `$n` parameters (the adapter's `query`). */
type Read = (sql: string, params?: readonly unknown[]) => Promise<Record<string, unknown>[]>;

const STREAM_CHUNK = 2_048;

function whereOf(selection: PaymentSelection, params: unknown[]): string {
  const bind = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const parts: string[] = ['1'];
  if (selection.from) parts.push(`p.payment_time >= ${bind(selection.from)}::TIMESTAMP`);
  if (selection.to) parts.push(`p.payment_time < ${bind(selection.to)}::TIMESTAMP`);
  for (const [name, column] of Object.entries(PAYMENT_FILTER_COLUMNS) as [keyof PaymentFilters, string][]) {
    const values = selection.filters[name];
    if (!values || values.length === 0) continue;
    parts.push(`p.${column} IN (${values.map(bind).join(', ')})`);
  }
  if (selection.search) {
    const s = bind(selection.search);
    parts.push(
      `(p.reference_number = ${s} OR p.payment_id = ${s} OR p.order_id = ${s} OR p.gateway_txn_id = ${s} OR startsWith(p.reference_number, ${s}))`,
    );
  }
  return parts.join(' AND ');
}

const ORDER = 'ORDER BY p.payment_time DESC NULLS LAST, p.reference_number DESC';

function afterPosition(after: PaymentPosition, params: unknown[]): string {
  params.push(after.timeMicros.toString(), after.reference);
  const t = `fromUnixTimestamp64Micro(toInt64($${params.length - 1}), 'UTC')`;
  const r = `$${params.length}`;
  return ` AND (p.payment_time < ${t} OR (p.payment_time = ${t} AND p.reference_number < ${r}))`;
}

export function createClickHousePaymentReads(read: Read): PaymentReads {
  const list: PaymentReads['listPayments'] = async (selection, page) => {
    const params: unknown[] = [];
    let where = whereOf(selection, params);
    if (page.after) where += afterPosition(page.after, params);
    params.push(page.limit);
    const found = await read(
      `SELECT p.*, toString(toUnixTimestamp64Milli(p.payment_time) * 1000) AS position_us
       FROM payments AS p FINAL WHERE ${where} AND p.payment_time IS NOT NULL ${ORDER} LIMIT $${params.length}`,
      params,
    );
    return found.map(({ position_us, ...row }) => ({
      ...(row as RowOf<'payments'>),
      position: { timeMicros: BigInt(position_us as string), reference: row.reference_number as string },
    }));
  };
  const rows = async (sql: string, params: unknown[]) => read(sql, params);

  return {
    listPayments: list,
    async countPayments(selection) {
      const params: unknown[] = [];
      const where = whereOf(selection, params);
      const found = await rows(`SELECT count() AS n FROM payments AS p FINAL WHERE ${where} AND p.payment_time IS NOT NULL`, params);
      return Number(found[0]?.n ?? 0);
    },
    // Keyset pages of STREAM_CHUNK rows: the next page is read only when the consumer asks for it.
    async *streamPayments(selection) {
      let after: PaymentPosition | null = null;
      for (;;) {
        const page = await list(selection, { after, limit: STREAM_CHUNK });
        if (page.length === 0) return;
        yield page.map(({ position: _, ...row }) => row as RowOf<'payments'>);
        if (page.length < STREAM_CHUNK) return;
        after = (page[page.length - 1] as { position: PaymentPosition }).position;
      }
    },
    // Every read runs with final = 1 (the adapter's query), so the portable SQL sees each key once.
    findPayment: (idOrReference) => findPaymentDetail(rows, idOrReference),
  };
}
