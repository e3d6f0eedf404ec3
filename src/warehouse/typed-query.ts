import { z } from 'zod';
import type { SqlDialect } from './sql-dialect.js';

/**
 * Named, typed warehouse reads: a query declares its parameters and its row shape as zod schemas,
 * builds its SQL from the engine's dialect, and `runQuery` returns rows of the declared type —
 * no `r.amount as number` at the call site. Integers arrive as numbers, bigints or strings
 * depending on the engine; the column schemas below accept all three and refuse a value that a JS
 * number cannot hold exactly.
 *
 * @example
 *   const lastPayment = defineQuery({
 *     name: 'last_payment_time',
 *     params: z.object({ currency: z.string() }),
 *     row: z.object({ at_ms: column.nullableInteger }),
 *     sql: (d, p) => ({ sql: `SELECT ${d.epochMs('max(payment_time)')} AS at_ms FROM payments WHERE currency = $1`, params: [p.currency] }),
 *   });
 *   const [row] = await runQuery(warehouse, lastPayment, { currency: 'INR' });
 */
export interface WarehouseQuery<P, R> {
  name: string;
  params: z.ZodType<P>;
  row: z.ZodType<R>;
  sql(dialect: SqlDialect, params: P): { sql: string; params: unknown[] };
}

/** The part of a warehouse a typed query needs. */
export interface QueryRunner {
  readonly dialect: SqlDialect;
  query(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>;
}

export function defineQuery<P, R>(query: WarehouseQuery<P, R>): WarehouseQuery<P, R> {
  return query;
}

/** Runs a named query: validates the parameters, reads, and parses every row against `row`. */
export async function runQuery<P, R>(warehouse: QueryRunner, query: WarehouseQuery<P, R>, params: P): Promise<R[]> {
  const p = query.params.parse(params);
  const built = query.sql(warehouse.dialect, p);
  const rows = await warehouse.query(built.sql, built.params);
  return rows.map((r, i) => {
    const parsed = query.row.safeParse(r);
    if (!parsed.success) {
      throw new Error(`warehouse query ${query.name}: row ${i} does not match its schema: ${z.prettifyError(parsed.error)}`);
    }
    return parsed.data;
  });
}

function toSafeInteger(value: number | bigint | string, ctx: z.RefinementCtx): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (typeof value === 'string' && !/^-?\d+$/.test(value)) {
    ctx.addIssue({ code: 'custom', message: `expected an integer, got '${value}'` });
    return z.NEVER;
  }
  if (!Number.isSafeInteger(n) || (typeof value !== 'number' && BigInt(value) !== BigInt(n))) {
    ctx.addIssue({ code: 'custom', message: `integer ${String(value)} is not exact as a JS number` });
    return z.NEVER;
  }
  return n;
}

const integer = z.union([z.number(), z.bigint(), z.string()]).transform(toSafeInteger);
const instant = z.union([z.date(), z.string(), z.number()]).transform((v, ctx) => {
  const d =
    v instanceof Date ? v : typeof v === 'number' ? new Date(v) : new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v.replace(' ', 'T')}Z`);
  if (Number.isNaN(d.getTime())) {
    ctx.addIssue({ code: 'custom', message: `expected a timestamp, got '${String(v)}'` });
    return z.NEVER;
  }
  return d;
});
const decimalNumber = z.union([z.number(), z.bigint(), z.string()]).transform((v, ctx) => {
  const n = Number(v);
  if (!Number.isFinite(n)) {
    ctx.addIssue({ code: 'custom', message: `expected a number, got '${String(v)}'` });
    return z.NEVER;
  }
  return n;
});

/** Column schemas for typed rows (engines return integers and times in different JS forms). */
export const column = {
  /** An integer (counts, minor units, epoch ms): exact or refused. */
  integer,
  nullableInteger: integer.nullable(),
  /** A non-integer measure (a median of an even count, a ratio): a JS number. */
  number: decimalNumber,
  nullableNumber: decimalNumber.nullable(),
  /** A UTC instant: a Date. Strings without a zone are read as UTC. */
  instant,
  nullableInstant: instant.nullable(),
  text: z.string(),
  nullableText: z.string().nullable(),
  boolean: z.union([z.boolean(), z.number()]).transform((v) => v === true || v === 1),
};
