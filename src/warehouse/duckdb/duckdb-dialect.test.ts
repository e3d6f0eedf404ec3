import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.js';
import type { Warehouse } from '../warehouse-port.js';
import { openDuckDbWarehouse } from './duckdb-adapter.js';

/** What analytics rely on from the dialect, checked on the engine itself (a ClickHouse dialect needs the same answers). */
describe('DuckDB dialect', () => {
  let w: Warehouse;
  beforeAll(async () => {
    w = await openDuckDbWarehouse({ path: ':memory:', logger: createLogger('silent') });
  });
  afterAll(() => w?.close());
  const one = async (expr: string, params: unknown[] = []) => (await w.query<{ v: unknown }>(`SELECT ${expr} AS v`, params))[0]?.v;

  it('keeps milliseconds in timestamp literals and parameters, and reads them back as epoch ms', async () => {
    const ms = Date.parse('2026-03-08T05:00:00.123Z');
    const d = w.dialect;
    expect(await one(d.epochMs(d.timestamp(ms)))).toBe(ms);
    expect(await one(d.epochMs(d.timestampParam(1)), [new Date(ms).toISOString()])).toBe(ms);
    expect(await one(d.epochMs(d.timestampParam(1)), [new Date(ms)])).toBe(ms);
  });

  it('shifts by milliseconds, then truncates in UTC (a local hour in +05:30 and in −03:30)', async () => {
    const d = w.dialect;
    const at = d.timestamp(Date.parse('2026-03-08T05:10:00Z'));
    expect(await one(d.epochMs(d.truncate(d.plusMs(at, 19_800_000), 'hour')))).toBe(Date.parse('2026-03-08T10:00:00Z'));
    expect(await one(d.epochMs(d.truncate(d.plusMs(at, '-12600000'), 'hour')))).toBe(Date.parse('2026-03-08T01:00:00Z'));
    expect(await one(d.utcDate(at))).toBe('2026-03-08');
  });

  it('takes nearest-rank quantiles, conditional counts, sums and minimums (NULL when no row matches)', async () => {
    const d = w.dialect;
    const rows = await w.query<Record<string, unknown>>(
      `SELECT ${d.quantileDisc('x', 0.5)} AS p50, ${d.quantileDisc('x', 0.9)} AS p90, ${d.countIf('x > 2')} AS big,
              ${d.sumIf('x', 'x > 2')} AS big_sum, ${d.sumIf('x', 'x > 99')} AS none_sum,
              ${d.minIf('x', 'x > 2')} AS big_min, ${d.minIf('x', 'x > 99')} AS none_min
       FROM (SELECT unnest([1, 2, 3, 4, 10]) AS x)`,
    );
    expect(rows).toEqual([{ p50: 3, p90: 10, big: 3, big_sum: 17, none_sum: 0, big_min: 3, none_min: null }]);
  });
});
