import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestApp, TEST_SECRETS, startTestApp } from '../harness/app.js';
import { describeEachStore } from '../harness/stores.js';
import { seedBody, sendWebhook } from '../harness/webhook-client.js';

describeEachStore('webhooks (happy paths)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind.name);
  });
  afterAll(() => t.stop());

  const count = async (table: string) =>
    (await t.app.store.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM payment_service.${table}`)).rows[0]?.n ?? 0;

  it('creates a payment from a Standard Webhooks signed seed body and answers a resend as duplicate with the same id', async () => {
    const first = await sendWebhook(t.url, seedBody('HAPPY-1'), { secret: TEST_SECRETS.default });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ status: 'created', payment_id: expect.any(String) });
    const again = await sendWebhook(t.url, seedBody('HAPPY-1'), { secret: TEST_SECRETS.default });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ status: 'duplicate', payment_id: first.body.payment_id });
    const row = await t.app.store.query<{ amount_minor: number; currency: string; payment_date: Date; source: string }>(
      'SELECT amount_minor, currency, payment_date, source FROM payment_service.payments WHERE id = $1',
      [first.body.payment_id],
    );
    expect(row.rows[0]).toEqual({
      amount_minor: 150_050,
      currency: 'INR',
      payment_date: new Date('2026-11-21T04:00:00Z'),
      source: 'webhook',
    });
  });

  it('accepts the simple X-Signature scheme', async () => {
    const res = await sendWebhook(t.url, seedBody('HAPPY-X', { amount: '99.99', currency: 'USD' }), {
      secret: TEST_SECRETS.default,
      scheme: 'x-signature',
    });
    expect(res.status).toBe(201);
  });

  it('maps a Razorpay payment.captured event to a payment in minor units', async () => {
    const event = {
      entity: 'event',
      account_id: 'acc_TEST',
      event: 'payment.captured',
      contains: ['payment'],
      payload: {
        payment: {
          entity: {
            id: 'pay_HAPPY123',
            entity: 'payment',
            amount: 50_000,
            currency: 'INR',
            status: 'captured',
            order_id: 'order_9A33XWu170gUtm',
            method: 'upi',
            captured: true,
            fee: 1180,
            tax: 180,
            email: 'someone@example.com',
            contact: '+919999999999',
            notes: { loan_account_number: 'LN1', cif: 'CIF1', merchant_id: 'm_1' },
            created_at: 1_763_700_000,
          },
        },
      },
      created_at: 1_763_700_001,
    };
    const res = await sendWebhook(t.url, event, { channel: 'razorpay', secret: TEST_SECRETS.razorpay, scheme: 'x-signature' });
    expect(res.status).toBe(201);
    const row = await t.app.store.query<Record<string, unknown>>(
      'SELECT reference_number, amount_minor, gateway, payment_method, fee_minor, tax_minor, merchant_id, metadata FROM payment_service.payments WHERE id = $1',
      [res.body.payment_id],
    );
    expect(row.rows[0]).toMatchObject({
      reference_number: 'pay_HAPPY123',
      amount_minor: 50_000,
      gateway: 'razorpay',
      payment_method: 'upi',
      fee_minor: 1180,
      tax_minor: 180,
      merchant_id: 'm_1',
    });
    expect(JSON.stringify(row.rows[0]?.metadata)).not.toContain('someone@example.com');
  });

  it('records a Stripe charge.succeeded and its payment_intent.succeeded as one payment', async () => {
    const charge = {
      id: 'evt_1',
      object: 'event',
      type: 'charge.succeeded',
      created: 1_763_700_000,
      data: {
        object: {
          id: 'ch_HAPPY',
          object: 'charge',
          amount: 2000,
          currency: 'usd',
          status: 'succeeded',
          payment_intent: 'pi_HAPPY',
          payment_method_details: { type: 'card' },
          metadata: {},
          billing_details: { address: { country: 'US' } },
          created: 1_763_700_000,
        },
      },
    };
    const intent = {
      id: 'evt_2',
      object: 'event',
      type: 'payment_intent.succeeded',
      created: 1_763_700_002,
      data: {
        object: {
          id: 'pi_HAPPY',
          object: 'payment_intent',
          amount: 2000,
          amount_received: 2000,
          currency: 'usd',
          status: 'succeeded',
          payment_method_types: ['card'],
          latest_charge: 'ch_HAPPY',
          metadata: {},
          created: 1_763_700_000,
        },
      },
    };
    const a = await sendWebhook(t.url, charge, { channel: 'stripe', secret: TEST_SECRETS.stripe });
    const b = await sendWebhook(t.url, intent, { channel: 'stripe', secret: TEST_SECRETS.stripe });
    expect([a.status, b.status]).toEqual([201, 200]);
    expect(b.body.payment_id).toBe(a.body.payment_id);
  });

  it('records 2,000 parallel webhooks of which 30 % repeat a reference exactly once each, with one outbox event per payment', async () => {
    const before = { payments: await count('payments'), outbox: await count('outbox'), refs: await count('payment_references') };
    const unique = 1400;
    const refs = Array.from({ length: unique }, (_, i) => `PAR-${kind.name}-${i}`);
    const offers = [...refs, ...Array.from({ length: 600 }, (_, i) => refs[(i * 13) % unique] as string)].sort(() => Math.random() - 0.5);
    const responses = await Promise.all(offers.map((r) => sendWebhook(t.url, seedBody(r), { secret: TEST_SECRETS.default })));
    expect(responses.every((r) => r.status === 201 || r.status === 200)).toBe(true);
    expect(responses.filter((r) => r.status === 201)).toHaveLength(unique);
    expect(await count('payments')).toBe(before.payments + unique);
    expect(await count('payment_references')).toBe(before.refs + unique);
    expect(await count('outbox')).toBe(before.outbox + unique);
  });

  it('reports health, stats and Prometheus metrics in the seed shapes', async () => {
    const health = await (await fetch(`${t.url}/health`)).json();
    expect(health).toMatchObject({
      status: 'healthy',
      checks: { database: 'ok', redis: 'not_configured', staging_backlog: 0, event_log: 'ok' },
    });
    const stats = (await (await fetch(`${t.url}/api/v1/payments/stats`)).json()) as { webhooks: { received_today: number } };
    expect(stats).toMatchObject({
      staging: { processed_today: expect.any(Number), pending_count: 0, average_batch_time_ms: expect.any(Number) },
      webhooks: { received_today: expect.any(Number), duplicate_rate: expect.any(Number), average_response_time_ms: expect.any(Number) },
    });
    expect(stats.webhooks.received_today).toBeGreaterThan(0);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    for (const name of [
      'payscope_webhook_duration_seconds_bucket',
      'payscope_payments_total',
      'payscope_outbox_backlog',
      'payscope_staging_backlog',
    ]) {
      expect(metrics).toContain(name);
    }
  });
});
