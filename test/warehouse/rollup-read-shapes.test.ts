import { afterAll, beforeAll, expect, it } from 'vitest';
import { DIMENSIONS } from '../../src/analytics/analytics-queries.js';
import type { AnalyticsFilters } from '../../src/analytics/filters.js';
import { type Totals, emptyTotals } from '../../src/analytics/kpis.js';
import { type Bucket, type Cell, type GroupBy, readTotals } from '../../src/analytics/rollup-query.js';
import { COLLECTED_STATUSES } from '../../src/contracts/index.js';
import type { SqlDialect } from '../../src/warehouse/sql-dialect.js';
import type { RollupDelta } from '../../src/warehouse/tables.js';
import type { QueryRunner } from '../../src/warehouse/typed-query.js';
import { seeded } from '../harness/analytics-data.js';
import { type TestWarehouse, describeEachWarehouse, openTestWarehouse } from '../harness/warehouses.js';

/**
 * The two shapes of a rollup read (`SqlDialect.rollupReadShape`: a UNION ALL branch per segment,
 * or one scan per grain with the segment index chosen per row) return the same totals on both
 * engines, and both equal the totals summed here from the deltas themselves — for one range with
 * ragged edges, contiguous local days and hours (half-hour zones: every grain serves many
 * segments), grouped, filtered, and overlapping buckets (which only a branch per segment can read).
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 9, 30, 17, 0);
const SPAN = 5 * DAY;
const COLLECTED = new Set<string>(COLLECTED_STATUSES);

const rnd = seeded(2026);
const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
const int = (max: number) => Math.floor(rnd() * max);
const GATEWAYS = ['stripe', 'razorpay', 'adyen'];
const CURRENCIES = ['INR', 'USD'];
const MERCHANTS = ['m-1', 'm-2', 'm-3'];
const STATUSES = ['succeeded', 'captured', 'failed', 'pending', 'authorized'];
// Times with seconds and milliseconds: each grain buckets them down.
const someTime = () => new Date(START + int(SPAN));

const payments = Array.from({ length: 600 }, () => {
  const status = pick(STATUSES);
  const authorized = status === 'pending' || status === 'failed' ? 0 : 1;
  const amount = 100 + int(100_000);
  return {
    rollup: 'payments',
    time: someTime(),
    dimensions: {
      merchant_id: pick(MERCHANTS),
      gateway: pick(GATEWAYS),
      payment_method: pick(['card', 'upi']),
      region: pick(['north', 'south']),
      currency: pick(CURRENCIES),
      status,
      failure_code: status === 'failed' ? 'declined' : '',
      failure_category: status === 'failed' ? 'issuer' : '',
    },
    measures: {
      payments: 1,
      amount_minor: amount,
      fee_minor: int(300),
      tax_minor: int(50),
      authorized_payments: authorized,
      captured_minor: COLLECTED.has(status) ? amount : 0,
      refunded_minor: int(4) === 0 ? int(amount) : 0,
    },
  } satisfies RollupDelta<'payments'>;
});
const refunds = Array.from({ length: 120 }, () => ({
  rollup: 'refunds' as const,
  time: someTime(),
  dimensions: { merchant_id: pick(MERCHANTS), gateway: pick(GATEWAYS), currency: pick(CURRENCIES), reason: pick(['duplicate', 'fraud']) },
  measures: { refunds: 1, amount_minor: 50 + int(20_000) },
}));
const disputes = Array.from({ length: 60 }, () => ({
  rollup: 'disputes' as const,
  time: someTime(),
  dimensions: {
    merchant_id: pick(MERCHANTS),
    gateway: pick(GATEWAYS),
    currency: pick(CURRENCIES),
    reason: pick(['fraud', 'not_received']),
    status: pick(['open', 'won']),
  },
  measures: { disputes: 1, amount_minor: 50 + int(20_000) },
}));

/** Totals per bucket index, value and currency, summed from the deltas (readTotals' definitions). */
function expected(buckets: readonly Bucket[], filters: AnalyticsFilters, groupBy: GroupBy | null): Cell[] {
  const attributable = !groupBy || (groupBy.refunds !== undefined && groupBy.disputes !== undefined);
  const cells = new Map<string, Cell>();
  const passes = (d: Record<string, string>, columns: Record<string, string>) =>
    Object.entries(columns).every(([f, col]) => {
      const allowed = filters[f as keyof AnalyticsFilters];
      return !allowed || allowed.length === 0 || allowed.includes(d[col] as string);
    });
  const add = (index: number, value: string, currency: string, change: (t: Totals) => Totals) => {
    const id = `${index}|${value}|${currency}`;
    const c = cells.get(id) ?? { index, value, currency, totals: emptyTotals(attributable) };
    c.totals = change(c.totals);
    cells.set(id, c);
  };
  for (const [index, b] of buckets.entries()) {
    const inside = (t: Date) => t.getTime() >= b.from && t.getTime() < b.to;
    for (const p of payments) {
      const d = p.dimensions;
      if (!inside(p.time) || !passes(d, { merchant: 'merchant_id', gateway: 'gateway', currency: 'currency', status: 'status' })) continue;
      const m = p.measures;
      const collected = COLLECTED.has(d.status);
      add(index, groupBy ? d[groupBy.payments as keyof typeof d] : '', d.currency, (t) => ({
        ...t,
        payment_count: t.payment_count + m.payments,
        successful_count: t.successful_count + (collected ? m.payments : 0),
        failed_count: t.failed_count + (d.status === 'failed' ? m.payments : 0),
        authorized_count: t.authorized_count + m.authorized_payments,
        gmv_minor: t.gmv_minor + (collected ? m.captured_minor : 0),
        fee_minor: t.fee_minor + (collected ? m.fee_minor : 0),
        refunded_minor: t.refunded_minor + m.refunded_minor,
      }));
    }
    if (!attributable) continue;
    const others = { merchant: 'merchant_id', gateway: 'gateway', currency: 'currency' };
    for (const r of refunds) {
      if (!inside(r.time) || !passes(r.dimensions, others)) continue;
      add(index, groupBy ? r.dimensions[groupBy.refunds as keyof typeof r.dimensions] : '', r.dimensions.currency, (t) => ({
        ...t,
        refund_count: (t.refund_count ?? 0) + r.measures.refunds,
        refund_amount_minor: (t.refund_amount_minor ?? 0) + r.measures.amount_minor,
      }));
    }
    for (const x of disputes) {
      if (!inside(x.time) || !passes(x.dimensions, others)) continue;
      add(index, groupBy ? x.dimensions[groupBy.disputes as keyof typeof x.dimensions] : '', x.dimensions.currency, (t) => ({
        ...t,
        dispute_count: (t.dispute_count ?? 0) + x.measures.disputes,
        dispute_amount_minor: (t.dispute_amount_minor ?? 0) + x.measures.amount_minor,
      }));
    }
  }
  return sorted([...cells.values()]);
}

const sorted = (cells: Cell[]) =>
  [...cells].sort((a, b) => a.index - b.index || a.value.localeCompare(b.value) || a.currency.localeCompare(b.currency));

/** Contiguous buckets of `length` from `first` to `last` (the last one cut short). */
const series = (first: number, last: number, length: number): Bucket[] => {
  const out: Bucket[] = [];
  for (let t = first; t < last; t += length) out.push({ from: t, to: Math.min(t + length, last) });
  return out;
};

const CASES: { name: string; buckets: Bucket[]; filters?: AnalyticsFilters; groupBy?: GroupBy }[] = [
  // Ragged edges: minutes, quarter hours, hours and days in one bucket.
  { name: 'one range with ragged edges', buckets: [{ from: START + 7 * MINUTE, to: START + 4 * DAY + 13 * HOUR + 41 * MINUTE }] },
  // Asia/Kolkata days (UTC+5:30): quarter hours and hours at both ends of every day.
  { name: 'local days in a half-hour zone', buckets: series(Date.UTC(2026, 9, 30, 18, 30), Date.UTC(2026, 10, 4, 18, 30), DAY) },
  // America/St_Johns hours (UTC−3:30): two quarter hours each.
  { name: 'local hours in a half-hour zone', buckets: series(Date.UTC(2026, 10, 1, 3, 30), Date.UTC(2026, 10, 2, 9, 30), HOUR) },
  // Ragged buckets with gaps between them: more separate ranges of each fine grain than are read
  // one by one, so one range spans them and the rows in the gaps must be dropped.
  {
    name: 'buckets with gaps between them',
    buckets: Array.from({ length: 20 }, (_, i) => ({
      from: START + i * 5 * HOUR + 7 * MINUTE,
      to: START + i * 5 * HOUR + 3 * HOUR + 53 * MINUTE,
    })),
  },
  {
    name: 'days grouped by gateway, filtered by currency',
    buckets: series(Date.UTC(2026, 9, 31, 0, 0), Date.UTC(2026, 10, 4, 0, 0), DAY),
    filters: { currency: ['INR'] },
    groupBy: DIMENSIONS.gateway,
  },
  {
    name: 'a range grouped by status (refunds not attributable)',
    buckets: [{ from: START, to: START + SPAN }],
    groupBy: DIMENSIONS.status,
  },
  {
    name: 'overlapping buckets',
    buckets: [
      { from: Date.UTC(2026, 9, 31, 0, 0), to: Date.UTC(2026, 10, 3, 0, 0) },
      { from: Date.UTC(2026, 10, 1, 12, 15), to: Date.UTC(2026, 10, 2, 0, 0) },
    ],
  },
];

const SHAPES: readonly SqlDialect['rollupReadShape'][] = ['branch_per_segment', 'scan_per_grain'];

describeEachWarehouse('rollup reads in both shapes', (engine) => {
  let w: TestWarehouse;
  beforeAll(async () => {
    w = await openTestWarehouse(engine);
    // In three transactions: ClickHouse then holds rollup parts not merged yet, which rollup reads
    // sum without FINAL (SqlDialect.summingRead).
    const all = [...payments, ...refunds, ...disputes];
    for (let i = 0; i < 3; i++) await w.warehouse.transaction((tx) => tx.addToRollups(all.filter((_, j) => j % 3 === i)));
  });
  afterAll(() => w.close());

  const withShape = (shape: SqlDialect['rollupReadShape']): QueryRunner => ({
    dialect: { ...w.warehouse.dialect, rollupReadShape: shape },
    query: (sql, params) => w.warehouse.query(sql, params),
  });

  for (const c of CASES) {
    it(`reads the same totals as the deltas sum to, in each shape: ${c.name}`, async () => {
      const want = expected(c.buckets, c.filters ?? {}, c.groupBy ?? null);
      expect(want.length).toBeGreaterThan(c.buckets.length);
      for (const shape of SHAPES) {
        const got = await readTotals(withShape(shape), c.buckets, c.filters ?? {}, c.groupBy ?? null);
        expect(sorted(got), shape).toEqual(want);
      }
    });
  }
});
