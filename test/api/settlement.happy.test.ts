import { afterAll, beforeAll, expect, it } from 'vitest';
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
