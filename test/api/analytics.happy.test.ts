import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Warehouse } from '../../src/warehouse/warehouse-port.js';
import { type RawPayment, labelKey, localKey, seedAnalytics, seeded } from '../harness/analytics-data.js';
import { type TestApp, startTestApp } from '../harness/app.js';

/**
 * The analytics API against the raw facts: seeded random payments, refunds and disputes go through
 * the real capture path; every figure the API serves from the rollups is recomputed here directly
 * from the `payments`, `refunds` and `disputes` rows, in several zones (half-hour, 45-minute,
 * −03:30 and a DST change).
 */

const ZONES = ['UTC', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/St_Johns', 'Europe/London'];
const START = Date.UTC(2026, 9, 20); // Europe/London leaves summer time on 2026-10-25
const SPAN = 10 * 86_400_000;
const COLLECTED = new Set(['captured', 'succeeded']);

let t: TestApp;
let wh: Warehouse;
let raw: RawPayment[];
let refunds: {
  refunded_at: Date;
  amount_minor: number;
  currency: string;
  gateway: string | null;
  merchant_id: string | null;
  reason: string;
}[];
let disputes: { at: Date; amount_minor: number; currency: string; gateway: string | null; merchant_id: string | null }[];

beforeAll(async () => {
  t = await startTestApp('pglite');
  await seedAnalytics(t, { start: START, spanMs: SPAN, payments: 700, seed: 4 });
  wh = t.app.warehouse as Warehouse;
  raw = await wh.query<RawPayment>(
    'SELECT payment_time, status, amount_minor, authorized_minor, captured_minor, fee_minor, currency, gateway, payment_method, merchant_id, region FROM payments',
  );
  refunds = await wh.query('SELECT refunded_at, amount_minor, currency, gateway, merchant_id, reason FROM refunds');
  disputes = await wh.query('SELECT coalesce(opened_at, status_time) AS at, amount_minor, currency, gateway, merchant_id FROM disputes');
}, 120_000);
afterAll(() => t?.stop());

async function get<T = Record<string, unknown>>(path: string): Promise<T> {
  const res = await fetch(`${t.url}${path}`, { headers: t.auth });
  const body = (await res.json()) as T;
  expect(res.status, JSON.stringify(body).slice(0, 400)).toBe(200);
  return body;
}

interface Expected {
  payment_count: number;
  successful_count: number;
  failed_count: number;
  authorized_count: number;
  gmv_minor: number;
  fee_minor: number;
  refund_count: number;
  refund_amount_minor: number;
  dispute_count: number;
  dispute_amount_minor: number;
}
const zero = (): Expected => ({
  payment_count: 0,
  successful_count: 0,
  failed_count: 0,
  authorized_count: 0,
  gmv_minor: 0,
  fee_minor: 0,
  refund_count: 0,
  refund_amount_minor: 0,
  dispute_count: 0,
  dispute_amount_minor: 0,
});

/** The expected figures per key (e.g. currency) straight from the raw rows. */
function expected(
  from: number,
  to: number,
  keyOf: (row: { currency: string; time: Date; gateway?: string | null; payment_method?: string | null }) => string | null,
  keep: (row: { gateway: string | null; merchant_id: string | null }) => boolean = () => true,
): Map<string, Expected> {
  const out = new Map<string, Expected>();
  const cell = (k: string) => out.get(k) ?? (out.set(k, zero()).get(k) as Expected);
  const inRange = (d: Date) => d.getTime() >= from && d.getTime() < to;
  for (const p of raw) {
    if (!inRange(p.payment_time) || !keep(p)) continue;
    const k = keyOf({ ...p, time: p.payment_time });
    if (k === null) continue;
    const c = cell(k);
    c.payment_count++;
    if ((p.authorized_minor ?? p.captured_minor) !== null) c.authorized_count++;
    if (COLLECTED.has(p.status)) {
      c.successful_count++;
      c.gmv_minor += p.captured_minor ?? p.amount_minor;
      c.fee_minor += p.fee_minor ?? 0;
    }
    if (p.status === 'failed') c.failed_count++;
  }
  for (const r of refunds) {
    if (!inRange(r.refunded_at) || !keep(r)) continue;
    const k = keyOf({ ...r, time: r.refunded_at });
    if (k === null) continue;
    cell(k).refund_count++;
    cell(k).refund_amount_minor += r.amount_minor;
  }
  for (const d of disputes) {
    if (!inRange(d.at) || !keep(d)) continue;
    const k = keyOf({ ...d, time: d.at });
    if (k === null) continue;
    cell(k).dispute_count++;
    cell(k).dispute_amount_minor += d.amount_minor;
  }
  for (const [k, v] of out) if (Object.values(v).every((x) => x === 0)) out.delete(k);
  return out;
}

const pickFigures = (k: Record<string, unknown>): Expected => ({
  payment_count: k.payment_count as number,
  successful_count: k.successful_count as number,
  failed_count: k.failed_count as number,
  authorized_count: k.authorized_count as number,
  gmv_minor: k.gmv_minor as number,
  fee_minor: k.fee_minor as number,
  refund_count: k.refund_count as number,
  refund_amount_minor: k.refund_amount_minor as number,
  dispute_count: k.dispute_count as number,
  dispute_amount_minor: k.dispute_amount_minor as number,
});

/** `2026-10-21T09:17:00+05:30` for an instant, in a fixed offset (any offset names the same instant). */
const rfc3339 = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

describe('analytics API equals the raw facts', () => {
  for (const tz of ZONES) {
    it(`KPIs over random minute-aligned ranges and whole local days in ${tz}`, async () => {
      const rnd = seeded(tz.length * 7919);
      const ranges: { query: string; from: number; to: number }[] = [];
      for (let i = 0; i < 4; i++) {
        const a = START + Math.floor((rnd() * SPAN) / 60_000) * 60_000;
        const b = a + 60_000 + Math.floor((rnd() * (SPAN / 2)) / 60_000) * 60_000;
        ranges.push({ query: `from=${rfc3339(a)}&to=${rfc3339(b)}`, from: a, to: b });
      }
      for (const r of ranges) {
        const body = await get<{ currencies: Record<string, unknown>[] }>(`/api/v1/analytics/kpis?${r.query}&tz=${encodeURIComponent(tz)}`);
        const want = expected(r.from, r.to, (x) => x.currency);
        expect(Object.fromEntries(body.currencies.map((k) => [k.currency, pickFigures(k)]))).toEqual(Object.fromEntries(want));
      }
      // Whole local days: the range starts at local midnight in the zone.
      const body = await get<{ range: { from: string; to: string }; currencies: Record<string, unknown>[] }>(
        `/api/v1/analytics/kpis?from=2026-10-21&to=2026-10-26&tz=${encodeURIComponent(tz)}&gateway=razorpay,stripe`,
      );
      expect(body.range.from.slice(0, 19)).toBe('2026-10-21T00:00:00');
      expect(body.range.to.slice(0, 19)).toBe('2026-10-27T00:00:00');
      const from = Date.parse(body.range.from);
      const to = Date.parse(body.range.to);
      expect(localKey(tz, new Date(from), 'hour')).toBe(`2026-10-21 00|${body.range.from.slice(19)}`.replace('|Z', '|+00:00'));
      const want = expected(
        from,
        to,
        (x) => x.currency,
        (x) => x.gateway === 'razorpay' || x.gateway === 'stripe',
      );
      expect(Object.fromEntries(body.currencies.map((k) => [k.currency, pickFigures(k)]))).toEqual(Object.fromEntries(want));
    });

    for (const granularity of ['day', 'hour'] as const) {
      it(`a ${granularity} time series in ${tz} has every local bucket, and each equals the raw facts`, async () => {
        const body = await get<{
          range: { from: string; to: string };
          buckets: string[];
          series: { currency: string; points: ({ start: string } & Record<string, unknown>)[] }[];
        }>(`/api/v1/analytics/timeseries?granularity=${granularity}&from=2026-10-22&to=2026-10-27&tz=${encodeURIComponent(tz)}`);
        const from = Date.parse(body.range.from);
        const to = Date.parse(body.range.to);
        // Every local bucket once: 6 days, or every local hour (London's 2026-10-25 has 25).
        const keys = body.buckets.map((b) => labelKey(b, granularity));
        expect(new Set(keys).size).toBe(keys.length);
        if (granularity === 'day')
          expect(keys).toEqual(['2026-10-22', '2026-10-23', '2026-10-24', '2026-10-25', '2026-10-26', '2026-10-27']);
        else {
          const hours = new Set<string>();
          for (let m = from; m < to; m += 15 * 60_000) hours.add(localKey(tz, new Date(m), 'hour'));
          expect(keys).toEqual([...hours]);
          expect(keys.length).toBe(tz === 'Europe/London' ? 6 * 24 + 1 : 6 * 24);
        }
        const want = expected(from, to, (x) => `${x.currency} ${localKey(tz, x.time, granularity)}`);
        for (const s of body.series) {
          expect(s.points.map((p) => p.start)).toEqual(body.buckets);
          for (const p of s.points) {
            const w = want.get(`${s.currency} ${labelKey(p.start, granularity)}`) ?? zero();
            expect(pickFigures(p), `${s.currency} ${p.start}`).toEqual(w);
          }
        }
        const served = new Set(body.series.map((s) => s.currency));
        for (const k of want.keys()) expect(served.has(k.split(' ')[0] as string)).toBe(true);
      });
    }
  }

  it('breaks KPIs down by gateway per currency, sorted by GMV', async () => {
    const body = await get<{ items: (Record<string, unknown> & { value: string; currency: string })[]; total: number }>(
      '/api/v1/analytics/breakdown?dimension=gateway&from=2026-10-20&to=2026-10-31&tz=Asia/Kolkata&merchant=M-1,M-2',
    );
    const from = Date.parse('2026-10-20T00:00:00+05:30');
    const to = Date.parse('2026-11-01T00:00:00+05:30');
    const want = expected(
      from,
      to,
      (x) => `${x.gateway} ${x.currency}`,
      (x) => x.merchant_id === 'M-1' || x.merchant_id === 'M-2',
    );
    expect(body.total).toBe(want.size);
    expect(Object.fromEntries(body.items.map((i) => [`${i.value} ${i.currency}`, pickFigures(i)]))).toEqual(Object.fromEntries(want));
    for (let i = 1; i < body.items.length; i++) {
      const [a, b] = [body.items[i - 1], body.items[i]] as Record<string, number | string>[];
      if (a?.currency === b?.currency) expect(Number(a?.gmv_minor)).toBeGreaterThanOrEqual(Number(b?.gmv_minor));
    }
  });

  it('breaks down by payment method with refund and dispute figures left null (not recorded by method)', async () => {
    const body = await get<{ items: Record<string, unknown>[] }>(
      '/api/v1/analytics/breakdown?dimension=payment_method&from=2026-10-20&to=2026-10-31',
    );
    const from = Date.parse('2026-10-20T00:00:00Z');
    const to = Date.parse('2026-11-01T00:00:00Z');
    const want = expected(from, to, (x) => (x.payment_method === undefined ? null : `${x.payment_method} ${x.currency}`));
    for (const item of body.items) {
      expect(item.refund_amount_minor).toBeNull();
      const w = want.get(`${item.value} ${item.currency}`);
      expect(item.gmv_minor).toBe(w?.gmv_minor);
      expect(item.payment_count).toBe(w?.payment_count);
    }
  });

  it('lists failure reasons and refund reasons with counts that add up, and the top merchants', async () => {
    const range = 'from=2026-10-19&to=2026-11-05';
    const failures = await get<{ items: { reason: string; currency: string; count: number }[] }>(
      `/api/v1/analytics/failure-reasons?${range}`,
    );
    const failed = raw.filter((p) => p.status === 'failed');
    expect(failures.items.reduce((n, i) => n + i.count, 0)).toBe(failed.length);
    const refundsBody = await get<{ items: { reason: string; count: number; amount_minor: number }[] }>(
      `/api/v1/analytics/refund-reasons?${range}`,
    );
    expect(refundsBody.items.reduce((n, i) => n + i.amount_minor, 0)).toBe(refunds.reduce((n, r) => n + r.amount_minor, 0));
    const top = await get<{ items: { rank: number; value: string; currency: string; gmv_minor: number }[] }>(
      `/api/v1/analytics/top?dimension=merchant&n=2&${range}`,
    );
    for (const currency of ['INR', 'USD']) {
      const mine = top.items.filter((i) => i.currency === currency);
      expect(mine.map((i) => i.rank)).toEqual([1, 2]);
      const gmvs = new Map<string, number>();
      for (const p of raw)
        if (p.currency === currency && COLLECTED.has(p.status))
          gmvs.set(p.merchant_id as string, (gmvs.get(p.merchant_id as string) ?? 0) + p.amount_minor);
      const best = [...gmvs].sort((a, b) => b[1] - a[1]).slice(0, 2);
      expect(mine.map((i) => [i.value, i.gmv_minor])).toEqual(best);
    }
  });

  it('converts to a report currency with an uploaded rate, rounding half-even, and names the rate date', async () => {
    const csv = 'date,base,quote,rate\n2026-10-01,USD,INR,80\n2026-10-25,USD,INR,83.2512\n2026-11-30,USD,INR,90\n';
    const put = await fetch(`${t.url}/api/v1/fx-rates`, { method: 'PUT', headers: { ...t.auth, 'content-type': 'text/csv' }, body: csv });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ loaded: 3 });
    const body = await get<{
      currencies: { currency: string; gmv_minor: number }[];
      report: { currency: string; kpis: { gmv_minor: number }; rates: { currency: string; rate_date: string | null; rate: string }[] };
    }>('/api/v1/analytics/kpis?from=2026-10-20&to=2026-10-29&report_currency=INR&tz=Asia/Kolkata');
    const inr = body.currencies.find((c) => c.currency === 'INR')?.gmv_minor ?? 0;
    const usd = BigInt(body.currencies.find((c) => c.currency === 'USD')?.gmv_minor ?? 0);
    // USD cents × 83.2512 = INR paise (both have 2 decimals), rounded half-even.
    const n = usd * 832_512n;
    const q = n / 10_000n;
    const r = n % 10_000n;
    const rounded = r * 2n > 10_000n || (r * 2n === 10_000n && q % 2n === 1n) ? q + 1n : q;
    expect(body.report.kpis.gmv_minor).toBe(inr + Number(rounded));
    expect(body.report.rates).toContainEqual(expect.objectContaining({ currency: 'USD', rate_date: '2026-10-25', rate: '83.2512' }));
    // The inverse direction: INR → USD with the same stored USD/INR rate.
    const usdReport = await get<{ report: { rates: { currency: string; inverted: boolean }[] } }>(
      '/api/v1/analytics/kpis?from=2026-10-20&to=2026-10-29&report_currency=USD',
    );
    expect(usdReport.report.rates).toContainEqual(expect.objectContaining({ currency: 'INR', inverted: true }));
  });
});
