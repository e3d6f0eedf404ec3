import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import {
  PAYMENT_LIST_ORDER,
  type PaymentReads,
  type PaymentSelection,
  type SelectionSql,
  findPaymentDetail,
  selectionWhere,
} from '../payment-reads.js';
import type { RowOf } from '../tables.js';

/** A payment selection's WHERE clause with its parameters appended to `params`. */
function whereOf(selection: PaymentSelection, params: unknown[]): string {
  const bind = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const sql: SelectionSql = {
    bind,
    // Bound as epoch microseconds: a zone-free instant, whatever the session's TimeZone setting.
    instant: (d) => `make_timestamp(${bind(String(BigInt(d.getTime()) * 1000n))}::BIGINT)`,
    startsWith: (expr, prefix) => `starts_with(${expr}, ${prefix})`,
  };
  return selectionWhere(selection, sql);
}

/** The payments explorer's reads (`PaymentReads`) over one DuckDB instance; each call takes a connection of its own. */
export function createDuckDbPaymentReads(
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
          `SELECT p.*, epoch_us(p.payment_time)::VARCHAR AS position_us FROM payments p WHERE ${where} AND p.payment_time IS NOT NULL ${PAYMENT_LIST_ORDER} LIMIT $${params.length}`,
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
          `SELECT p.* FROM payments p WHERE ${where} AND p.payment_time IS NOT NULL ${PAYMENT_LIST_ORDER}`,
          params.length > 0 ? (params as never) : undefined,
        );
        for await (const chunk of result.yieldRowObjectJs()) yield chunk.map((r) => toJsRow(r) as RowOf<'payments'>);
      } finally {
        connection.closeSync();
      }
    },
    findPayment: (idOrReference) => withConnection((c) => findPaymentDetail((sql, params) => rows(c, sql, params), idOrReference)),
  };
}
