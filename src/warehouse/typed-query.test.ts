import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { SqlDialect } from './sql-dialect.js';
import { type QueryRunner, column, defineQuery, runQuery } from './typed-query.js';

const ABOVE_2_53 = 2n ** 53n + 1n;

describe('column.integer', () => {
  it('accepts an integer in range as a number, a bigint or a string, and returns a number', () => {
    expect(column.integer.parse(42)).toBe(42);
    expect(column.integer.parse(42n)).toBe(42);
    expect(column.integer.parse('42')).toBe(42);
    expect(column.integer.parse('-9007199254740991')).toBe(-9007199254740991);
    expect(column.integer.parse(BigInt(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('refuses 2^53 + 1 as a bigint or a string: a JS number cannot hold it exactly', () => {
    expect(column.integer.safeParse(ABOVE_2_53).success).toBe(false);
    expect(column.integer.safeParse(ABOVE_2_53.toString()).success).toBe(false);
    expect(column.integer.safeParse(-ABOVE_2_53).success).toBe(false);
  });

  it('refuses a string that is not an integer and a number that is not whole', () => {
    expect(column.integer.safeParse('12.5').success).toBe(false);
    expect(column.integer.safeParse('1e3').success).toBe(false);
    expect(column.integer.safeParse(1.5).success).toBe(false);
    expect(column.nullableInteger.parse(null)).toBeNull();
  });
});

describe('column.instant', () => {
  it('reads a zone-less timestamp string as UTC', () => {
    expect(column.instant.parse('2026-03-08 05:00:00.123')).toEqual(new Date('2026-03-08T05:00:00.123Z'));
    expect(column.instant.parse('2026-03-08T05:00:00')).toEqual(new Date('2026-03-08T05:00:00Z'));
  });

  it('keeps the zone of a string that has one, and takes Dates and epoch milliseconds as they are', () => {
    expect(column.instant.parse('2026-03-08T10:30:00+05:30')).toEqual(new Date('2026-03-08T05:00:00Z'));
    expect(column.instant.parse('2026-03-08T05:00:00Z')).toEqual(new Date('2026-03-08T05:00:00Z'));
    const d = new Date('2026-03-08T05:00:00Z');
    expect(column.instant.parse(d)).toEqual(d);
    expect(column.instant.parse(d.getTime())).toEqual(d);
  });

  it('refuses text that is not a time', () => {
    expect(column.instant.safeParse('yesterday').success).toBe(false);
  });
});

describe('runQuery', () => {
  const dialect = { timestamp: (ms: number) => `T(${ms})` } as unknown as SqlDialect;
  const query = defineQuery({
    name: 'test_totals',
    params: z.object({ from: z.number().int() }),
    row: z.object({ currency: column.text, amount_minor: column.integer }),
    sql: (d, p) => ({ sql: `SELECT currency, amount_minor FROM t WHERE at >= ${d.timestamp(p.from)} AND x = $1`, params: ['x'] }),
  });
  const runner = (rows: Record<string, unknown>[], seen: { sql: string; params: readonly unknown[] }[] = []): QueryRunner => ({
    dialect,
    query: async (sql, params = []) => {
      seen.push({ sql, params });
      return rows;
    },
  });

  it('builds the SQL with the runner’s dialect and returns the rows parsed by the row schema', async () => {
    const seen: { sql: string; params: readonly unknown[] }[] = [];
    const rows = await runQuery(runner([{ currency: 'INR', amount_minor: 1500n, extra: 1 }], seen), query, { from: 60_000 });
    expect(seen).toEqual([{ sql: 'SELECT currency, amount_minor FROM t WHERE at >= T(60000) AND x = $1', params: ['x'] }]);
    expect(rows).toEqual([{ currency: 'INR', amount_minor: 1500 }]);
  });

  it('names the query and the row when a row does not match its schema', async () => {
    await expect(runQuery(runner([{ currency: 'INR', amount_minor: ABOVE_2_53 }]), query, { from: 0 })).rejects.toThrow(
      /warehouse query test_totals: row 0 does not match/,
    );
  });

  it('refuses parameters that do not match the query’s schema before reading', async () => {
    const seen: { sql: string; params: readonly unknown[] }[] = [];
    await expect(runQuery(runner([], seen), query, { from: 1.5 })).rejects.toThrow();
    expect(seen).toEqual([]);
  });
});
