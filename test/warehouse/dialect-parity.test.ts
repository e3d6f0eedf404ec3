import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDialect } from '../../src/warehouse/sql-dialect.js';
import { type RowOf, TABLES } from '../../src/warehouse/tables.js';
import { seeded } from '../harness/analytics-data.js';
import { type TestWarehouse, WAREHOUSE_ENGINES, openTestWarehouse } from '../harness/warehouses.js';

/**
 * Every SqlDialect helper gives the same answer on DuckDB and ClickHouse over the same rows —
 * in particular the exact median and nearest-rank quantile, which ClickHouse's own `median()` and
 * `quantile()` only approximate.
 */

const rnd = seeded(11);
const rows: RowOf<'payments'>[] = Array.from({ length: 257 }, (_, i) => {
  const row = Object.fromEntries(Object.keys(TABLES.payments.columns).map((c) => [c, null])) as RowOf<'payments'>;
  return {
    ...row,
    reference_number: `R-${i}`,
    amount_minor: Math.floor(rnd() * 100_000) + (i % 7 === 0 ? 10_000_000_000 : 0),
    currency: i % 3 === 0 ? 'USD' : 'INR',
    status: ['succeeded', 'failed', 'pending'][i % 3] as string,
    fee_minor: i % 5 === 0 ? null : Math.floor(rnd() * 500),
    // Times with milliseconds, across a UTC day boundary.
    payment_time: new Date(Date.UTC(2026, 10, 20, 22, 0) + Math.floor(rnd() * 4 * 3_600_000)),
  };
});

const warehouses: TestWarehouse[] = [];
beforeAll(async () => {
  for (const engine of WAREHOUSE_ENGINES) {
    const w = await openTestWarehouse(engine);
    await w.warehouse.transaction((tx) => tx.replace('payments', rows));
    warehouses.push(w);
  }
});
afterAll(async () => {
  for (const w of warehouses) await w.close();
});

/** The same query, built with each engine's dialect, on each engine. */
async function onBoth(build: (d: SqlDialect) => string): Promise<unknown[]> {
  return Promise.all(warehouses.map((w) => w.warehouse.query(build(w.warehouse.dialect))));
}

describe('SQL dialects agree: DuckDB and ClickHouse', () => {
  it('computes nearest-rank quantiles (the ⌈q·n⌉-th smallest) and the exact median, overall and per group', async () => {
    const qs = [0.01, 0.1, 0.25, 0.3, 0.5, 0.75, 0.9, 0.95, 0.99, 1];
    const [duck, ch] = await onBoth(
      (d) =>
        `SELECT status, ${qs.map((q, i) => `${d.quantileDisc('amount_minor', q)} AS q${i}`).join(', ')},
                ${d.median('amount_minor')} AS med, ${d.median('fee_minor')} AS fee_med, ${d.quantileDisc('fee_minor', 0.5)} AS fee_q
         FROM payments GROUP BY status ORDER BY status`,
    );
    expect(ch).toEqual(duck);
    const sorted = rows.map((r) => r.amount_minor as number).sort((a, b) => a - b);
    const clickhouse = (warehouses.find((w) => w.engine === 'clickhouse') as TestWarehouse).warehouse;
    const [all] = await clickhouse.query<Record<string, number>>(
      `SELECT ${qs.map((q, i) => `${clickhouse.dialect.quantileDisc('amount_minor', q)} AS q${i}`).join(', ')} FROM payments`,
    );
    for (const [i, q] of qs.entries()) expect(all?.[`q${i}`], `q=${q}`).toBe(sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]);
  });

  it('gives NULL quantiles and medians over no rows', async () => {
    const [duck, ch] = await onBoth(
      (d) => `SELECT ${d.quantileDisc('amount_minor', 0.5)} AS q, ${d.median('amount_minor')} AS m FROM payments WHERE currency = 'XXX'`,
    );
    expect(ch).toEqual(duck);
    expect(ch).toEqual([{ q: null, m: null }]);
  });

  it('truncates, shifts, dates and counts times the same way', async () => {
    const [duck, ch] = await onBoth(
      (d) =>
        `SELECT ${d.epochMs(d.truncate(d.plusMs('payment_time', 19_800_000), 'hour'))} AS local_hour,
                ${d.epochMs(d.truncate('payment_time', 'minute'))} AS minute, ${d.epochMs(d.truncate('payment_time', 'day'))} AS day,
                ${d.utcDate('payment_time')} AS date, ${d.utcDate(d.plusMs('payment_time', -20_700_000))} AS date_minus_0545,
                ${d.countIf("status = 'failed'")} AS failed, ${d.sumIf('fee_minor', "status = 'succeeded'")} AS fees,
                ${d.sumIf('amount_minor', "currency = 'XXX'")} AS none, count(*)::BIGINT AS n
         FROM payments GROUP BY ALL ORDER BY ALL`,
    );
    expect(ch).toEqual(duck);
  });

  it('reads a timestamp literal and a timestamp parameter as the same instant', async () => {
    const at = Date.UTC(2026, 10, 20, 23, 30, 0, 123);
    const results = await Promise.all(
      warehouses.map((w) => {
        const d = w.warehouse.dialect;
        return w.warehouse.query(
          `SELECT count(*)::BIGINT AS n, ${d.epochMs(d.timestamp(at))} AS lit, ${d.epochMs(d.timestampParam(1))} AS par
           FROM payments WHERE payment_time >= ${d.timestamp(at)} AND payment_time < ${d.timestampParam(1)}`,
          [new Date(at + 3_600_000).toISOString()],
        );
      }),
    );
    expect(results[1]).toEqual(results[0]);
    expect(results[0]?.[0]).toMatchObject({ lit: at, par: at + 3_600_000 });
  });
});
