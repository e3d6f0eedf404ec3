import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, TEST_SECRETS, startTestApp } from '../harness/app.js';
import { seedBody, sendWebhook } from '../harness/webhook-client.js';

describe('webhooks (security)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', {
      WEBHOOK_SOURCES: JSON.stringify({
        default: { secret: TEST_SECRETS.default },
        razorpay: { secret: TEST_SECRETS.razorpay, allow_ips: ['10.0.0.0/8'] },
        stripe: { secret: TEST_SECRETS.stripe, rate_limit_per_minute: 3, schemes: ['standard-webhooks'] },
      }),
    });
  });
  afterAll(() => t.stop());
  const now = () => Math.floor(Date.now() / 1000);

  it('refuses an unsigned request with 401 SIGNATURE_MISSING', async () => {
    const res = await sendWebhook(t.url, seedBody('SEC-1'), { secret: TEST_SECRETS.default, scheme: 'none' });
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe('SIGNATURE_MISSING');
  });

  it('refuses a body signed with another key with 401 SIGNATURE_INVALID', async () => {
    for (const scheme of ['standard', 'x-signature'] as const) {
      const res = await sendWebhook(t.url, seedBody('SEC-2'), { secret: 'whsec_b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXk=', scheme });
      expect(res.status).toBe(401);
      expect(res.body.error?.code).toBe('SIGNATURE_INVALID');
    }
  });

  it('refuses a body changed after signing', async () => {
    const raw = JSON.stringify(seedBody('SEC-3'));
    const res = await sendWebhook(t.url, raw.replace('1500.5', '9500.5'), {
      secret: TEST_SECRETS.default,
      scheme: 'none',
      headers: (await import('../../src/sources/webhooks/signature.js')).signXSignature(TEST_SECRETS.default, raw),
    });
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe('SIGNATURE_INVALID');
  });

  it('refuses a stale and a future timestamp outside the 5-minute tolerance', async () => {
    // 30 s past the tolerance either way: a loaded machine may take seconds between signing and
    // checking (the exact 300 s boundary is the unit test's, with a fixed clock).
    for (const timestamp of [now() - 330, now() + 330]) {
      const res = await sendWebhook(t.url, seedBody('SEC-4'), { secret: TEST_SECRETS.default, timestamp });
      expect(res.status).toBe(401);
      expect(res.body.error?.code).toBe('TIMESTAMP_OUT_OF_TOLERANCE');
    }
    const ok = await sendWebhook(t.url, seedBody('SEC-4'), { secret: TEST_SECRETS.default, timestamp: now() - 240 });
    expect(ok.status).toBe(201);
  });

  it('does not process a replayed webhook-id twice and returns the first answer', async () => {
    const id = 'msg_replay_1';
    const timestamp = now();
    const first = await sendWebhook(t.url, seedBody('SEC-5'), { secret: TEST_SECRETS.default, id, timestamp });
    const replay = await sendWebhook(t.url, seedBody('SEC-5'), { secret: TEST_SECRETS.default, id, timestamp });
    expect(first.status).toBe(201);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('webhook-replayed')).toBe('true');
    expect(replay.body).toEqual({ status: 'duplicate', payment_id: first.body.payment_id });
  });

  it('refuses the simple scheme for a source that requires Standard Webhooks (replay protection)', async () => {
    const res = await sendWebhook(t.url, {}, { channel: 'stripe', secret: TEST_SECRETS.stripe, scheme: 'x-signature' });
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe('SIGNATURE_INVALID');
    expect(res.body.error?.message).toContain('standard-webhooks');
  });

  it("keeps the gateway's own scheme configurable: a stripe source listing only standard-webhooks refuses Stripe-Signature", async () => {
    const payload = JSON.stringify({ id: 'evt_SEC', object: 'event', type: 'customer.created', data: { object: {} } });
    const header = new Stripe('sk_test_unused').webhooks.generateTestHeaderString({ payload, secret: TEST_SECRETS.stripe });
    const res = await sendWebhook(t.url, payload, {
      channel: 'stripe',
      secret: '',
      scheme: 'none',
      headers: { 'stripe-signature': header },
    });
    expect(res.status).toBe(401);
    expect(res.body.error?.code).toBe('SIGNATURE_INVALID');
    expect(res.body.error?.message).toContain('standard-webhooks');
  });

  it('refuses a caller outside the source allow-list with 403 IP_NOT_ALLOWED', async () => {
    const res = await sendWebhook(t.url, {}, { channel: 'razorpay', secret: TEST_SECRETS.razorpay, scheme: 'x-signature' });
    expect(res.status).toBe(403);
    expect(res.body.error?.code).toBe('IP_NOT_ALLOWED');
  });

  it('rate-limits a source past its limit with 429 RATE_LIMITED, leaving other sources alone', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await sendWebhook(t.url, { type: 'customer.created' }, { channel: 'stripe', secret: TEST_SECRETS.stripe })).status);
    }
    expect(statuses.slice(3)).toEqual([429, 429]);
    const limited = await sendWebhook(t.url, {}, { channel: 'stripe', secret: TEST_SECRETS.stripe });
    expect(limited.body.error?.code).toBe('RATE_LIMITED');
    const other = await sendWebhook(t.url, seedBody('SEC-6'), { secret: TEST_SECRETS.default });
    expect(other.status).toBe(201);
  });
});
