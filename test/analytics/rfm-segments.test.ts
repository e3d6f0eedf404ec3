import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseFxRatesCsv, storeFxRates } from '../../src/analytics/fx-rates.js';
import { computeRfm, movementMatrix, segmentSizes } from '../../src/analytics/rfm/rfm.js';
import { rfmMovement, rfmScoredCustomers, rfmSegmentSizes } from '../../src/analytics/rfm/rfm-queries.js';
import { runQuery } from '../../src/warehouse/typed-query.js';
import { COLLECTED_STATUSES } from '../../src/contracts/index.js';
import { type TestWarehouse, describeEachWarehouse, openTestWarehouse } from '../harness/warehouses.js';
import { type TestPurchase, paymentRow, writeRows } from './cohort-rows.js';

/**
 * RFM against a brute-force reference on both engines: the reference filters the raw payments of
 * the window, counts and sums per customer, scores each measure by counting the customers strictly
 * worse (O(n²)) and applies the rules in order. Each property run has its own era, so runs
 * never see each other's customers (the window is 365 days; eras are three years apart).
 */

const DAY = 86_400_000;
const STATUSES = [...COLLECTED_STATUSES, 'failed', 'pending', 'authorized'];
const isCollected = (s: string) => (COLLECTED_STATUSES as readonly string[]).includes(s);

function refScore(values: number[], higherIsBetter: boolean): number[] {
  return values.map((v) => 1 + Math.floor((5 * values.filter((w) => (higherIsBetter ? w < v : w > v)).length) / values.length));
}
function refSegment(r: number, f: number, m: number): string {
  if (r >= 4 && f >= 4 && m >= 4) return 'champions';
  if (r >= 3 && f >= 3) return 'loyal';
  if (r >= 4 && f === 1) return 'new';
  if (r >= 4 && f >= 2 && m <= 2) return 'potential_loyalists';
  if (r <= 2 && f >= 3) return 'at_risk';
  if (r === 1 && f === 1) return 'lost';
  return 'others';
}

/** USD → INR at 83.2512 (the uploaded rate), half-even per (customer, currency) sum. */
function toInr(minor: number, currency: string): number {
  if (currency === 'INR') return minor;
  const n = BigInt(minor) * 832_512n;
  const d = 10_000n;
  const q = n / d;
  const r = n - q * d;
  return Number(r * 2n > d || (r * 2n === d && q % 2n === 1n) ? q + 1n : q);
}

function reference(purchases: TestPurchase[], asOf: number, money: { currency: string; convert: boolean }) {
  const inWindow = purchases.filter(
    (p) => isCollected(p.status) && p.time >= asOf - 365 * DAY && p.time < asOf && (money.convert || p.currency === money.currency),
  );
  const per = new Map<string, { orders: number; last: number; byCurrency: Map<string, number> }>();
  for (const p of inWindow) {
    const c = per.get(p.customer) ?? { orders: 0, last: 0, byCurrency: new Map() };
    c.orders++;
    c.last = Math.max(c.last, p.time);
    c.byCurrency.set(p.currency, (c.byCurrency.get(p.currency) ?? 0) + (p.captured ?? p.amount));
    per.set(p.customer, c);
  }
  const list = [...per].map(([customer, c]) => ({
    customer,
    recency_days: Math.floor((asOf - c.last) / DAY),
    orders: c.orders,
    monetary_minor: [...c.byCurrency].reduce((s, [cur, v]) => s + toInr(v, cur), 0),
  }));
  const r = refScore(
    list.map((c) => c.recency_days),
    false,
  );
  const f = refScore(
    list.map((c) => c.orders),
    true,
  );
  const m = refScore(
    list.map((c) => c.monetary_minor),
    true,
  );
  return list
    .map((c, i) => ({ ...c, r: r[i], f: f[i], m: m[i], segment: refSegment(r[i] as number, f[i] as number, m[i] as number) }))
    .sort((a, b) => a.customer.localeCompare(b.customer));
}

const datasetArb = (era: number, run: number) =>
  fc
    .array(
      fc.array(
        fc.record({
          time: fc.integer({ min: 0, max: 500 * DAY }),
          status: fc.constantFrom(...STATUSES),
          currency: fc.constantFrom('INR', 'INR', 'USD'),
          // Few amounts, so ties in M happen.
          amount: fc.constantFrom(100, 500, 2_500, 10_000, 99_999),
          captured: fc.option(fc.constantFrom(50, 100, 400), { nil: null }),
        }),
        { maxLength: 7 },
      ),
      { minLength: 1, maxLength: 40 },
    )
    .map((customers) =>
      customers.flatMap((list, i) => list.map((p): TestPurchase => ({ customer: `c-${run}-${i}`, ...p, time: era + p.time }))),
    );

describeEachWarehouse('RFM segments', (engine) => {
  let w: TestWarehouse;
  beforeAll(async () => {
    w = await openTestWarehouse(engine);
    const rates = parseFxRatesCsv('date,base,quote,rate\n1990-01-01,USD,INR,83.2512\n');
    if (!rates.ok) throw new Error(rates.error.message);
    await storeFxRates(w.warehouse, rates.value);
  });
  afterAll(() => w?.close());

  it('scores and segments every customer of the window as a brute-force reference does, per currency and converted', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constant(null).chain(() => {
          const era = Date.UTC(2000 + 3 * run, 0, 1);
          const i = run++;
          return fc.tuple(datasetArb(era, i), fc.integer({ min: era + 100 * DAY, max: era + 520 * DAY }), fc.boolean());
        }),
        async ([purchases, asOf, convert]) => {
          await writeRows(w.warehouse, { payments: purchases.map(paymentRow) });
          const money = convert ? { kind: 'report' as const, currency: 'INR' } : { kind: 'currency' as const, currency: 'INR' };
          const result = await computeRfm(w.warehouse, { asOf, tz: 'Asia/Kolkata', money });
          if (!result.ok) throw new Error(result.error.message);
          const got = [...result.value.customers].sort((a, b) => a.customer.localeCompare(b.customer));
          const expected = reference(purchases, asOf, { currency: 'INR', convert });
          expect(got).toEqual(expected);
          if (!convert) {
            // The scoring in SQL (the API's path for one currency) agrees with the same reference.
            const inSql = await runQuery(w.warehouse, rfmScoredCustomers, { asOfMs: asOf, currency: 'INR' });
            expect(inSql.filter((c) => c.customer.startsWith(`c-${run - 1}-`))).toEqual(expected);
            const sizes = await runQuery(w.warehouse, rfmSegmentSizes, { asOfMs: asOf, currency: 'INR' });
            const fromTs = segmentSizes(result.value.customers).filter((x) => x.customers > 0);
            expect(new Map(sizes.map((x) => [x.segment, [x.customers, x.orders, x.monetary_minor]]))).toEqual(
              new Map(fromTs.map((x) => [x.segment, [x.customers, x.orders, x.monetary_minor]])),
            );
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('refuses to convert a currency that has no rate with FX_RATE_MISSING', async () => {
    const era = Date.UTC(2100, 0, 1);
    await writeRows(w.warehouse, {
      payments: [paymentRow({ customer: 'eur-1', time: era, status: 'captured', currency: 'EUR', amount: 100, captured: null })],
    });
    const result = await computeRfm(w.warehouse, { asOf: era + DAY, tz: 'UTC', money: { kind: 'report', currency: 'INR' } });
    expect(result.ok ? null : result.error.code).toBe('FX_RATE_MISSING');
  });

  it('counts movements between segments a week apart, customers who left or arrived as none', async () => {
    const era = Date.UTC(2104, 0, 1);
    const purchases: TestPurchase[] = [];
    for (let i = 0; i < 10; i++) {
      for (let k = 0; k <= i; k++) {
        purchases.push({
          customer: `m-${i}`,
          time: era + (i * 30 + k) * DAY,
          status: 'captured',
          currency: 'INR',
          amount: 1000 * (i + 1),
          captured: null,
        });
      }
    }
    await writeRows(w.warehouse, { payments: purchases.map(paymentRow) });
    const asOf = era + 368 * DAY;
    const [now, before] = await Promise.all(
      [asOf, asOf - 7 * DAY].map((t) => computeRfm(w.warehouse, { asOf: t, tz: 'UTC', money: { kind: 'currency', currency: 'INR' } })),
    );
    if (!now?.ok || !before?.ok) throw new Error('rfm failed');
    const moves = movementMatrix(before.value.customers, now.value.customers);
    const inSql = await runQuery(w.warehouse, rfmMovement, { asOfMs: asOf, beforeMs: asOf - 7 * DAY, currency: 'INR' });
    // Independently: each customer's segment in each reference, paired.
    const a = new Map(reference(purchases, asOf - 7 * DAY, { currency: 'INR', convert: false }).map((c) => [c.customer, c.segment]));
    const b = new Map(reference(purchases, asOf, { currency: 'INR', convert: false }).map((c) => [c.customer, c.segment]));
    const expected = new Map<string, number>();
    for (const c of new Set([...a.keys(), ...b.keys()])) {
      const k = `${a.get(c) ?? 'none'}>${b.get(c) ?? 'none'}`;
      expected.set(k, (expected.get(k) ?? 0) + 1);
    }
    expect(new Map(moves.map((m) => [`${m.from}>${m.to}`, m.customers]))).toEqual(expected);
    expect(new Map(inSql.map((m) => [`${m.from_segment}>${m.to_segment}`, m.customers]))).toEqual(expected);
    // m-0 bought once 368 days ago: in the window a week ago, gone now.
    expect(moves.some((m) => m.to === 'none')).toBe(true);
  });
});
