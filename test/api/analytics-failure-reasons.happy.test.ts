import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signXSignature } from '../../src/sources/webhooks/signature.js';
import type { Warehouse } from '../../src/warehouse/warehouse-port.js';
import { TEST_SECRETS, type TestApp, startTestApp } from '../harness/app.js';
import { waitFor } from '../harness/event-logs.js';
import { seedBody, sendWebhook } from '../harness/webhook-client.js';

/**
 * Failure reasons by category: failed payments sent through the razorpay, stripe and generic
 * webhooks — each gateway with its own codes — are grouped by one failure category with the codes
 * beneath it, and drill down to the codes of one category.
 */

let t: TestApp;
const created = '2026-11-20T10:00:00Z';
const unix = Math.floor(Date.parse(created) / 1000);

function razorpayFailed(id: string, reason: string, description: string) {
  return {
    entity: 'event',
    event: 'payment.failed',
    payload: {
      payment: {
        entity: {
          id,
          amount: 50000,
          currency: 'INR',
          status: 'failed',
          method: 'upi',
          error_code: 'BAD_REQUEST_ERROR',
          error_description: description,
          error_reason: reason,
          notes: { merchant_id: 'M-1' },
          created_at: unix,
        },
      },
    },
  };
}
function stripeIntentFailed(id: string, error: Record<string, string>) {
  return {
    id: `evt_${id}`,
    object: 'event',
    type: 'payment_intent.payment_failed',
    data: {
      object: {
        id,
        object: 'payment_intent',
        amount: 2000,
        currency: 'inr',
        payment_method_types: ['card'],
        last_payment_error: error,
        created: unix,
      },
    },
  };
}

async function sendRazorpay(body: unknown) {
  const raw = JSON.stringify(body);
  const signature = (signXSignature(TEST_SECRETS.razorpay, raw)['x-signature'] ?? '').replace(/^sha256=/, '');
  return sendWebhook(t.url, raw, {
    channel: 'razorpay',
    secret: TEST_SECRETS.razorpay,
    scheme: 'none',
    headers: { 'x-razorpay-signature': signature },
  });
}

interface CategoryItem {
  reason: string;
  category: string;
  currency: string;
  count: number;
  amount_minor: number;
  share: number;
  codes: { code: string; count: number; amount_minor: number; share: number }[];
}

async function get<T>(path: string, status = 200): Promise<T> {
  const res = await fetch(`${t.url}${path}`, { headers: t.auth });
  const body = (await res.json()) as T;
  expect(res.status, JSON.stringify(body).slice(0, 400)).toBe(status);
  return body;
}

const range = 'from=2026-11-19&to=2026-11-21&tz=UTC';

beforeAll(async () => {
  t = await startTestApp('pglite');
  const answers = [
    await sendRazorpay(razorpayFailed('pay_A1', 'insufficient_funds', 'Insufficient balance in the account')),
    await sendRazorpay(razorpayFailed('pay_A2', 'insufficient_funds', 'Insufficient balance in the account')),
    await sendRazorpay(razorpayFailed('pay_A3', 'payment_cancelled', 'The customer cancelled the payment')),
    await sendWebhook(
      t.url,
      stripeIntentFailed('pi_B1', {
        code: 'card_declined',
        decline_code: 'insufficient_funds',
        message: 'Your card has insufficient funds.',
      }),
      { channel: 'stripe', secret: TEST_SECRETS.stripe },
    ),
    await sendWebhook(
      t.url,
      stripeIntentFailed('pi_B2', { code: 'card_declined', decline_code: 'fraudulent', message: 'Your card was declined.' }),
      {
        channel: 'stripe',
        secret: TEST_SECRETS.stripe,
      },
    ),
    // The generic body: a code field, a code inside the reason (staging files), and a success.
    await sendWebhook(
      t.url,
      seedBody('GEN-1', {
        amount: 100,
        currency: 'INR',
        payment_date: created,
        status: 'failed',
        failure_code: 'Z9',
        failure_reason: 'Insufficient funds',
      }),
      { secret: TEST_SECRETS.default },
    ),
    await sendWebhook(
      t.url,
      seedBody('GEN-2', {
        amount: 100,
        currency: 'INR',
        payment_date: created,
        status: 'failed',
        failure_reason: 'U30: Debit failed at the remitter bank',
      }),
      { secret: TEST_SECRETS.default },
    ),
    await sendWebhook(t.url, seedBody('GEN-3', { amount: 100, currency: 'INR', payment_date: created }), { secret: TEST_SECRETS.default }),
  ];
  for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(201);
  const wh = t.app.warehouse as Warehouse;
  await waitFor(
    async () => Number((await wh.query<{ n: number }>('SELECT count(*)::INTEGER AS n FROM payments'))[0]?.n) === 8,
    'the warehouse',
  );
}, 120_000);
afterAll(() => t?.stop());

describe('GET /api/v1/analytics/failure-reasons', () => {
  it('groups failures of every gateway by category by default, with the gateway codes of each category', async () => {
    const body = await get<{ group: string; items: CategoryItem[] }>(`/api/v1/analytics/failure-reasons?${range}`);
    expect(body.group).toBe('category');
    const summary = body.items.map((i) => [i.category, i.count, i.codes.map((c) => `${c.code}×${c.count}`).join(',')]);
    expect(summary).toEqual([
      ['insufficient_funds', 4, 'insufficient_funds×3,Z9×1'],
      ['customer_cancelled', 1, 'payment_cancelled×1'],
      ['issuer_unavailable', 1, 'U30×1'],
      ['risk_declined', 1, 'fraudulent×1'],
    ]);
    expect(body.items[0]).toMatchObject({ reason: 'insufficient_funds', currency: 'INR', amount_minor: 50000 * 2 + 2000 + 10000 });
    expect(body.items.reduce((n, i) => n + i.count, 0)).toBe(7);
    expect(body.items[0]?.share).toBeCloseTo(4 / 7, 6);
  });

  it('drills down to the codes of one category', async () => {
    const body = await get<{ items: { code: string; category: string; count: number }[] }>(
      `/api/v1/analytics/failure-reasons?${range}&group=code&category=insufficient_funds`,
    );
    expect(body.items.map((i) => [i.code, i.category, i.count])).toEqual([
      ['insufficient_funds', 'insufficient_funds', 3],
      ['Z9', 'insufficient_funds', 1],
    ]);
  });

  it('lists every code with its category under group=code, and one failure never under two codes', async () => {
    const body = await get<{ items: { code: string; category: string; count: number }[] }>(
      `/api/v1/analytics/failure-reasons?${range}&group=code`,
    );
    expect(body.items.map((i) => i.code).sort()).toEqual(['U30', 'Z9', 'fraudulent', 'insufficient_funds', 'payment_cancelled']);
    expect(body.items.find((i) => i.code === 'U30')).toMatchObject({ category: 'issuer_unavailable', count: 1 });
  });

  it('refuses an unknown group or category with 422 naming the allowed values', async () => {
    const bad = await get<{ error: { code: string; message: string } }>(
      `/api/v1/analytics/failure-reasons?${range}&category=declined`,
      422,
    );
    expect(bad.error.message).toMatch(/category.*insufficient_funds/);
    await get(`/api/v1/analytics/failure-reasons?${range}&group=reason`, 422);
  });
});
