/**
 * Seeded random payments, refunds and disputes for the analytics tests, sent through the real
 * capture path (`POST /api/v1/events` → outbox → consumer → warehouse), and the same figures
 * recomputed directly from the raw fact rows.
 */
import { expect } from 'vitest';
import type { TestApp } from './app.js';
import { postEvents } from './event-capture.js';
import { waitFor } from './event-logs.js';
import { cloudEvent } from './events.js';

/** mulberry32: a small seeded generator, so a failing case can be re-run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const GATEWAYS = ['razorpay', 'stripe', 'payu'];
export const METHODS = ['upi', 'card', 'netbanking'];
export const MERCHANTS = ['M-1', 'M-2', 'M-3'];
export const REGIONS = ['north', 'south'];
export const CURRENCIES = ['INR', 'USD'];

export interface SeedPlan {
  /** First instant (ms) and length of the period the events fall in. */
  start: number;
  spanMs: number;
  payments: number;
  seed: number;
}

/** Sends the plan's events and waits until the warehouse holds them all. */
export async function seedAnalytics(t: TestApp, plan: SeedPlan): Promise<void> {
  const appliedBefore = t.app.analytics?.status().applied ?? 0;
  const rnd = seeded(plan.seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)] as T;
  const events: ReturnType<typeof cloudEvent>[] = [];
  let refunds = 0;
  let disputes = 0;
  for (let i = 0; i < plan.payments; i++) {
    const reference = `AN-${plan.seed}-${i}`;
    const currency = pick(CURRENCIES);
    const amount = { amount_minor: 100 + Math.floor(rnd() * 500_000), currency };
    const time = new Date(plan.start + Math.floor(rnd() * plan.spanMs));
    const common = {
      reference_number: reference,
      amount,
      gateway: pick(GATEWAYS),
      payment_method: pick(METHODS),
      merchant_id: pick(MERCHANTS),
      region: pick(REGIONS),
    };
    const roll = rnd();
    if (roll < 0.2) {
      events.push(
        cloudEvent('payment.failed', { ...common, failure_code: pick(['card_declined', 'insufficient_funds', 'timeout']) }, { time }),
      );
    } else if (roll < 0.3) {
      events.push(cloudEvent('payment.captured', { ...common, authorized_amount: amount }, { time }));
    } else {
      events.push(
        cloudEvent('payment.succeeded', { ...common, fee: { amount_minor: Math.floor(amount.amount_minor / 50), currency } }, { time }),
      );
      if (rnd() < 0.15) {
        refunds++;
        events.push(
          cloudEvent(
            'payment.refunded',
            {
              refund_id: `RF-${plan.seed}-${i}`,
              reference_number: reference,
              amount: { amount_minor: Math.floor(amount.amount_minor / 2), currency },
              reason: pick(['requested_by_customer', 'duplicate', 'fraudulent'] as const),
              gateway: common.gateway,
              merchant_id: common.merchant_id,
            },
            { time: new Date(time.getTime() + Math.floor(rnd() * 3 * 86_400_000)) },
          ),
        );
      }
      if (rnd() < 0.05) {
        disputes++;
        events.push(
          cloudEvent(
            'payment.dispute_opened',
            {
              dispute_id: `DP-${plan.seed}-${i}`,
              reference_number: reference,
              amount,
              gateway: common.gateway,
              merchant_id: common.merchant_id,
            },
            { time: new Date(time.getTime() + Math.floor(rnd() * 5 * 86_400_000)) },
          ),
        );
      }
    }
  }
  for (let i = 0; i < events.length; i += 500) {
    const res = await postEvents(t.url, events.slice(i, i + 500));
    expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(200);
    expect(res.body.rejected, JSON.stringify(res.body.results?.filter((r) => (r as { error?: unknown }).error).slice(0, 2))).toBe(0);
  }
  const wh = t.app.warehouse;
  if (!wh) throw new Error('the test app has no warehouse');
  const count = async (sql: string) => (await wh.query<{ n: number }>(sql))[0]?.n ?? 0;
  await waitFor(
    async () =>
      // Applied counts committed batches: on ClickHouse a batch's facts are readable a moment
      // before its rollups (the journal writes table by table), so the rows alone are not enough.
      (t.app.analytics?.status().applied ?? 0) - appliedBefore >= events.length &&
      (await count(`SELECT count(*)::INT AS n FROM payments WHERE reference_number LIKE 'AN-${plan.seed}-%'`)) === plan.payments &&
      (await count(`SELECT count(*)::INT AS n FROM refunds WHERE refund_id LIKE 'RF-${plan.seed}-%'`)) === refunds &&
      (await count(`SELECT count(*)::INT AS n FROM disputes WHERE dispute_id LIKE 'DP-${plan.seed}-%'`)) === disputes,
    'the seeded analytics events to land',
  );
}

/** A local-time key of an instant in `tz`: `YYYY-MM-DD` for days, `YYYY-MM-DD HH|offset` for hours (Intl only). */
export function localKey(tz: string, instant: Date, granularity: 'day' | 'hour'): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      timeZoneName: 'longOffset',
    })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  if (granularity === 'day') return date;
  const offset = String(parts.timeZoneName).replace('GMT', '') || '+00:00';
  return `${date} ${parts.hour}|${offset}`;
}

/** The API's bucket label (`2026-10-25T01:00:00+01:00`) as a `localKey`. */
export function labelKey(label: string, granularity: 'day' | 'hour'): string {
  const date = label.slice(0, 10);
  if (granularity === 'day') return date;
  return `${date} ${label.slice(11, 13)}|${label.slice(19)}`;
}

export interface RawPayment {
  payment_time: Date;
  status: string;
  amount_minor: number;
  authorized_minor: number | null;
  captured_minor: number | null;
  fee_minor: number | null;
  currency: string;
  gateway: string | null;
  payment_method: string | null;
  merchant_id: string | null;
  region: string | null;
}
