import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Warehouse } from '../../src/warehouse/warehouse-port.js';
import { labelKey, localKey, seeded } from '../harness/analytics-data.js';
import { type TestApp, startTestApp } from '../harness/app.js';
import { postEvents } from '../harness/event-capture.js';
import { waitFor } from '../harness/event-logs.js';
import { cloudEvent } from '../harness/events.js';

/** The nine settlement tiles over payments that go PENDING → RECONCILED → SETTLED, in Asia/Kolkata. */

let t: TestApp;
const money = (amount_minor: number) => ({ amount_minor, currency: 'INR' });
// 12 payments on 2026-11-10 (IST), 03:00–14:00 local; M-1 gets 1–4 settled, M-2 5–8 reconciled, 9–12 unbatched.
const at = (i: number) => new Date(Date.parse('2026-11-10T03:00:00+05:30') + i * 3_600_000);
const amount = (i: number) => 10_000 * (i + 1);
const merchantOf = (i: number) => (i < 8 ? (i < 4 ? 'M-1' : 'M-2') : 'M-3');

beforeAll(async () => {
  t = await startTestApp('pglite');
  const events = [];
  for (let i = 0; i < 12; i++) {
    events.push(
      cloudEvent(
        'payment.succeeded',
        {
          reference_number: `ST-${i}`,
          amount: money(amount(i)),
          merchant_id: merchantOf(i),
          payment_method: i % 2 ? 'card' : 'upi',
          fee: money(10),
        },
        { time: at(i) },
      ),
    );
  }
  const batch = (id: string, merchant: string, refs: number[], status: 'PENDING' | 'RECONCILED') =>
    cloudEvent(
      'settlement.batch_created',
      {
        batch_id: id,
        merchant_id: merchant,
        settlement_cycle: 'T+1',
        status,
        payment_references: refs.map((i) => `ST-${i}`),
        gross_amount: money(1),
        fee_amount: money(0),
        net_amount: money(1),
        payment_count: refs.length,
      },
      { time: new Date('2026-11-11T00:00:00Z') },
    );
  events.push(batch('B-1', 'M-1', [0, 1, 2, 3], 'PENDING'), batch('B-2', 'M-2', [4, 5, 6, 7], 'RECONCILED'));
  events.push(
    cloudEvent(
      'settlement.completed',
      {
        batch_id: 'B-1',
        merchant_id: 'M-1',
        settlement_cycle: 'T+1',
        settlement_date: '2026-11-12',
        gross_amount: money(1),
        fee_amount: money(0),
        net_amount: money(1),
        payment_count: 4,
      },
      { time: new Date('2026-11-12T06:00:00Z') },
    ),
  );
  // Payments first, then batches: a batch marks only payments already stored.
  expect((await postEvents(t.url, events.slice(0, 12))).body.rejected).toBe(0);
  const wh = t.app.warehouse;
  await waitFor(async () => (await wh?.query<{ n: number }>('SELECT count(*)::INT AS n FROM payments'))?.[0]?.n === 12, 'payments');
  expect((await postEvents(t.url, events.slice(12))).body.rejected).toBe(0);
  await waitFor(
    async () => (await wh?.query<{ n: number }>(`SELECT count(*)::INT AS n FROM settlements WHERE status = 'SETTLED'`))?.[0]?.n === 1,
    'settlements',
  );
}, 60_000);
afterAll(() => t?.stop());

it('serves the nine tiles, each equal to the payments and settlements it is built from', async () => {
  const res = await fetch(`${t.url}/api/v1/settlement/tiles?from=2026-11-10&to=2026-11-10&tz=Asia/Kolkata`, { headers: t.auth });
  const body = (await res.json()) as { tiles: Record<string, unknown> };
  expect(res.status, JSON.stringify(body)).toBe(200);
  const sum = (is: number[]) => is.reduce((n, i) => n + amount(i), 0);
  const all = [...Array(12).keys()];
  const tiles = body.tiles as Record<string, { currency?: string }[] & Record<string, unknown>>;
  expect(tiles.gmv).toEqual([{ currency: 'INR', gmv_minor: sum(all) }]);
  expect(tiles.transactions).toEqual([{ currency: 'INR', count: 12 }]);
  expect(tiles.settled_amount).toEqual([{ currency: 'INR', settled_minor: sum([0, 1, 2, 3]), settled_count: 4 }]);
  expect(tiles.pending_amount).toEqual([
    {
      currency: 'INR',
      pending_minor: sum([4, 5, 6, 7, 8, 9, 10, 11]),
      by_stage: { UNBATCHED: sum([8, 9, 10, 11]), PENDING: 0, RECONCILED: sum([4, 5, 6, 7]) },
    },
  ]);
  expect(tiles.settlement_rate).toEqual([
    { currency: 'INR', by_amount: Math.round((sum([0, 1, 2, 3]) / sum(all)) * 1e6) / 1e6, by_count: Math.round((4 / 12) * 1e6) / 1e6 },
  ]);
  // Paid on 2026-11-10 (IST), settled 2026-11-12: T+2.
  expect(tiles.settlement_lag).toEqual({
    by_currency: [{ currency: 'INR', average_days: 2, label: 'T+2', samples: 4 }],
    by_settlement_cycle: [{ settlement_cycle: '(unknown)', samples: 4, average_days: 2 }],
  });
  expect(tiles.gmv_by_payment_mode).toEqual([
    { payment_method: 'card', currency: 'INR', gmv_minor: sum([1, 3, 5, 7, 9, 11]), count: 6 },
    { payment_method: 'upi', currency: 'INR', gmv_minor: sum([0, 2, 4, 6, 8, 10]), count: 6 },
  ]);
  const trend = tiles.hourly_settlement_rate as unknown as {
    currency: string;
    points: { start: string; gmv_minor: number; settlement_rate: number | null }[];
  }[];
  expect(trend[0]?.points).toHaveLength(24);
  expect(trend[0]?.points[3]).toEqual({
    start: '2026-11-10T03:00:00+05:30',
    gmv_minor: amount(0),
    settled_minor: amount(0),
    settlement_rate: 1,
  });
  expect(trend[0]?.points[8]).toMatchObject({ start: '2026-11-10T08:00:00+05:30', gmv_minor: amount(5), settlement_rate: 0 });
  expect(trend[0]?.points[0]?.settlement_rate).toBeNull();
  const top = tiles.top_unsettled_merchants as unknown as { merchant_id: string; unsettled_minor: number; rank: number }[];
  expect(top.map((m) => [m.rank, m.merchant_id, m.unsettled_minor])).toEqual([
    [1, 'M-3', sum([8, 9, 10, 11])],
    [2, 'M-2', sum([4, 5, 6, 7])],
  ]);
});

describe('the tiles equal the raw facts: random payments and batches in several currencies and zones', () => {
  const CURRENCIES = ['INR', 'USD', 'EUR'];
  const MERCHANTS = ['R-1', 'R-2', 'R-3', 'R-4'];
  const START = Date.UTC(2026, 9, 1); // 2026-10-01, three days of payments
  const RATES: Record<string, [bigint, bigint]> = { USD: [832_512n, 10_000n], EUR: [901_234n, 10_000n] }; // → INR, 2026-09-30
  interface Raw {
    ref: string;
    at: Date;
    amount: number;
    currency: string;
    merchant: string;
    method: string;
    collected: boolean;
    stage: 'UNBATCHED' | 'PENDING' | 'RECONCILED' | 'SETTLED';
    settlementDate: string | null;
  }
  const raw: Raw[] = [];

  beforeAll(async () => {
    const rnd = seeded(20261001);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)] as T;
    for (let i = 0; i < 240; i++) {
      raw.push({
        ref: `RF-${i}`,
        at: new Date(START + Math.floor(rnd() * 3 * 86_400_000)),
        amount: 1 + Math.floor(rnd() ** 3 * 5_000_000),
        currency: pick(CURRENCIES),
        merchant: pick(MERCHANTS),
        method: pick(['upi', 'card', 'netbanking']),
        collected: rnd() < 0.85,
        stage: 'UNBATCHED',
        settlementDate: null,
      });
    }
    const events = raw.map((p) =>
      cloudEvent(
        p.collected ? 'payment.succeeded' : 'payment.failed',
        {
          reference_number: p.ref,
          amount: { amount_minor: p.amount, currency: p.currency },
          merchant_id: p.merchant,
          payment_method: p.method,
          ...(p.collected
            ? { fee: { amount_minor: 0, currency: p.currency } }
            : { failure_code: 'card_declined', failure_reason: 'declined' }),
        },
        { time: p.at },
      ),
    );
    const posted = await postEvents(t.url, events);
    expect(posted.body.rejected, JSON.stringify(posted.body.results?.find((r) => r.status === 'rejected'))).toBe(0);
    const wh = t.app.warehouse as Warehouse;
    const stored = async () =>
      (await wh.query<{ n: number }>(`SELECT count(*)::INT AS n FROM payments WHERE reference_number LIKE 'RF-%'`))[0]?.n;
    await waitFor(async () => (await stored()) === raw.length, 'random payments');

    // Batches per merchant, currency and UTC day; each batch ends PENDING, RECONCILED or SETTLED (T+1…T+3), some days unbatched.
    const batches = new Map<string, Raw[]>();
    for (const p of raw.filter((x) => x.collected)) {
      const key = `${p.merchant}|${p.currency}|${p.at.toISOString().slice(0, 10)}`;
      batches.set(key, [...(batches.get(key) ?? []), p]);
    }
    const batchEvents = [];
    for (const [key, members] of batches) {
      const roll = rnd();
      if (roll < 0.15) continue;
      const [merchant, currency, day] = key.split('|') as [string, string, string];
      const batchId = `RB-${key}`;
      const status = roll < 0.35 ? 'PENDING' : roll < 0.55 ? 'RECONCILED' : 'PENDING';
      const total = { amount_minor: members.reduce((n, p) => n + p.amount, 0), currency };
      const common = { batch_id: batchId, merchant_id: merchant, settlement_cycle: `T+${1 + (merchant.charCodeAt(2) % 3)}` };
      batchEvents.push(
        cloudEvent(
          'settlement.batch_created',
          {
            ...common,
            status,
            payment_references: members.map((p) => p.ref),
            gross_amount: total,
            fee_amount: { amount_minor: 0, currency },
            tax_amount: { amount_minor: 0, currency },
            net_amount: total,
            payment_count: members.length,
          },
          { time: new Date(Date.parse(`${day}T23:00:00Z`)) },
        ),
      );
      for (const p of members) p.stage = status;
      if (roll >= 0.55) {
        const settlementDate = new Date(Date.parse(day) + (1 + Math.floor(rnd() * 3)) * 86_400_000).toISOString().slice(0, 10);
        batchEvents.push(
          cloudEvent(
            'settlement.completed',
            {
              ...common,
              settlement_date: settlementDate,
              gross_amount: total,
              fee_amount: { amount_minor: 0, currency },
              tax_amount: { amount_minor: 0, currency },
              net_amount: total,
              payment_count: members.length,
            },
            { time: new Date(Date.parse(`${settlementDate}T06:00:00Z`)) },
          ),
        );
        for (const p of members) {
          p.stage = 'SETTLED';
          p.settlementDate = settlementDate;
        }
      }
    }
    const postedBatches = await postEvents(t.url, batchEvents);
    expect(postedBatches.body.rejected, JSON.stringify(postedBatches.body.results?.find((r) => r.status === 'rejected'))).toBe(0);
    const settledRefs = raw.filter((p) => p.stage === 'SETTLED').length;
    await waitFor(
      async () =>
        (
          await wh.query<{ n: number }>(
            `SELECT count(*)::INT AS n FROM payments p JOIN settlements s ON s.batch_id = p.settlement_batch_id WHERE s.status = 'SETTLED' AND p.reference_number LIKE 'RF-%'`,
          )
        )[0]?.n === settledRefs,
      'random settlements',
    );
    const csv = 'date,base,quote,rate\n2026-09-30,USD,INR,83.2512\n2026-09-30,EUR,INR,90.1234\n';
    const put = await fetch(`${t.url}/api/v1/fx-rates`, { method: 'PUT', headers: { ...t.auth, 'content-type': 'text/csv' }, body: csv });
    expect(put.status).toBe(200);
  }, 60_000);

  const halfEven = (n: bigint, d: bigint) => {
    const q = n / d;
    const r = n % d;
    return r * 2n > d || (r * 2n === d && q % 2n === 1n) ? q + 1n : q;
  };
  const toInr = (currency: string, minor: number) => {
    const rate = RATES[currency];
    return rate ? Number(halfEven(BigInt(minor) * rate[0], rate[1])) : minor;
  };
  const sumOf = (ps: readonly Raw[]) => ps.reduce((n, p) => n + p.amount, 0);
  const rate6 = (n: number, d: number) => (d === 0 ? null : Math.round((n / d) * 1e6) / 1e6);

  for (const tz of ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Asia/Kathmandu']) {
    it(`in ${tz}: every tile per currency, the trend per local hour and the report currency`, async () => {
      const res = await fetch(
        `${t.url}/api/v1/settlement/tiles?from=2026-10-01&to=2026-10-02&tz=${encodeURIComponent(tz)}&report_currency=INR`,
        {
          headers: t.auth,
        },
      );
      const body = (await res.json()) as { tiles: Record<string, Record<string, unknown>[]>; report: Record<string, unknown> };
      expect(res.status, JSON.stringify(body)).toBe(200);
      const inRange = raw.filter((p) => p.collected && ['2026-10-01', '2026-10-02'].includes(localKey(tz, p.at, 'day')));
      const perCurrency = CURRENCIES.filter((c) => inRange.some((p) => p.currency === c)).sort();
      const of = (c: string) => inRange.filter((p) => p.currency === c);
      const stage = (ps: readonly Raw[], s: Raw['stage']) => ps.filter((p) => p.stage === s);
      const tiles = body.tiles;
      expect(tiles.gmv).toEqual(perCurrency.map((currency) => ({ currency, gmv_minor: sumOf(of(currency)) })));
      expect(tiles.transactions).toEqual(perCurrency.map((currency) => ({ currency, count: of(currency).length })));
      expect(tiles.settled_amount).toEqual(
        perCurrency.map((currency) => ({
          currency,
          settled_minor: sumOf(stage(of(currency), 'SETTLED')),
          settled_count: stage(of(currency), 'SETTLED').length,
        })),
      );
      expect(tiles.pending_amount).toEqual(
        perCurrency.map((currency) => ({
          currency,
          pending_minor: sumOf(of(currency)) - sumOf(stage(of(currency), 'SETTLED')),
          by_stage: {
            UNBATCHED: sumOf(stage(of(currency), 'UNBATCHED')),
            PENDING: sumOf(stage(of(currency), 'PENDING')),
            RECONCILED: sumOf(stage(of(currency), 'RECONCILED')),
          },
        })),
      );
      expect(tiles.settlement_rate).toEqual(
        perCurrency.map((currency) => ({
          currency,
          by_amount: rate6(sumOf(stage(of(currency), 'SETTLED')), sumOf(of(currency))),
          by_count: rate6(stage(of(currency), 'SETTLED').length, of(currency).length),
        })),
      );
      const lagDays = (p: Raw) => (Date.parse(p.settlementDate as string) - Date.parse(localKey(tz, p.at, 'day'))) / 86_400_000;
      const lag = (ps: readonly Raw[]) =>
        ps.length === 0 ? null : Math.round((ps.reduce((n, p) => n + lagDays(p), 0) / ps.length) * 100) / 100;
      const lagTile = (tiles.settlement_lag as unknown as { by_currency: Record<string, unknown>[] }).by_currency;
      expect(lagTile).toEqual(
        perCurrency.map((currency) => {
          const average_days = lag(stage(of(currency), 'SETTLED'));
          return {
            currency,
            average_days,
            label: average_days === null ? null : `T+${Math.round(average_days)}`,
            samples: stage(of(currency), 'SETTLED').length,
          };
        }),
      );

      // The trend: one point per local hour (48 here, no DST change), each equal to the payments of that hour.
      const trend = tiles.hourly_settlement_rate as unknown as {
        currency: string;
        points: { start: string; gmv_minor: number; settled_minor: number }[];
      }[];
      for (const { currency, points } of trend) {
        expect(points).toHaveLength(48);
        const want = new Map<string, [number, number]>();
        for (const p of of(currency)) {
          const k = localKey(tz, p.at, 'hour');
          const [g, s] = want.get(k) ?? [0, 0];
          want.set(k, [g + p.amount, s + (p.stage === 'SETTLED' ? p.amount : 0)]);
        }
        for (const point of points) {
          expect([point.gmv_minor, point.settled_minor], point.start).toEqual(want.get(labelKey(point.start, 'hour')) ?? [0, 0]);
        }
      }

      // Top unsettled merchants per currency: amount-ordered, each equal to its open payments.
      const top = tiles.top_unsettled_merchants as unknown as {
        currency: string;
        merchant_id: string;
        unsettled_minor: number;
        unsettled_count: number;
      }[];
      for (const currency of perCurrency) {
        const open = of(currency).filter((p) => p.stage !== 'SETTLED');
        const want = MERCHANTS.map((m) => ({ m, ps: open.filter((p) => p.merchant === m) }))
          .filter((x) => x.ps.length > 0)
          .map((x) => [x.m, sumOf(x.ps), x.ps.length])
          .sort((a, b) => (b[1] as number) - (a[1] as number) || String(a[0]).localeCompare(String(b[0])));
        expect(top.filter((x) => x.currency === currency).map((x) => [x.merchant_id, x.unsettled_minor, x.unsettled_count])).toEqual(want);
      }

      // The report currency: each currency's totals converted half-even, then summed.
      const report = body.report as {
        currency: string;
        tiles: Record<string, unknown>;
        rates: { currency: string; rate_date: string | null }[];
      };
      expect(report.currency).toBe('INR');
      const converted = (pick: (ps: readonly Raw[]) => readonly Raw[]) => perCurrency.reduce((n, c) => n + toInr(c, sumOf(pick(of(c)))), 0);
      expect(report.tiles).toMatchObject({
        gmv_minor: converted((ps) => ps),
        transactions: inRange.length,
        settled_minor: converted((ps) => stage(ps, 'SETTLED')),
        pending_minor: converted((ps) => ps) - converted((ps) => stage(ps, 'SETTLED')),
        by_stage: {
          UNBATCHED: converted((ps) => stage(ps, 'UNBATCHED')),
          PENDING: converted((ps) => stage(ps, 'PENDING')),
          RECONCILED: converted((ps) => stage(ps, 'RECONCILED')),
        },
      });
      const reportTop = (report.tiles.top_unsettled_merchants as { merchant_id: string; unsettled_minor: number }[]).map((m) => [
        m.merchant_id,
        m.unsettled_minor,
      ]);
      const openIn = (m: string) =>
        perCurrency.reduce((n, c) => n + toInr(c, sumOf(of(c).filter((p) => p.merchant === m && p.stage !== 'SETTLED'))), 0);
      expect(reportTop).toEqual(
        MERCHANTS.filter((m) => inRange.some((p) => p.merchant === m && p.stage !== 'SETTLED'))
          .map((m) => [m, openIn(m)])
          .sort((x, y) => (y[1] as number) - (x[1] as number) || String(x[0]).localeCompare(String(y[0]))),
      );
      for (const c of ['USD', 'EUR']) {
        if (perCurrency.includes(c)) expect(report.rates).toContainEqual(expect.objectContaining({ currency: c, rate_date: '2026-09-30' }));
      }
    });
  }
});
