/**
 * The gateways' own signature headers, produced by the gateways' official Node SDKs as the
 * independent signer: `stripe` (Webhooks.generateTestHeaderString) and `razorpay`
 * (validateWebhookSignature confirms the header the test computes by Razorpay's documented
 * algorithm: the package has no signer). Real HTTP against the app harness.
 */
import { createHmac } from 'node:crypto';
import Razorpay from 'razorpay';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, TEST_SECRETS, startTestApp } from '../harness/app.js';
import { sendWebhook, stripeChargeEvent } from '../harness/webhook-client.js';

const stripe = new Stripe('sk_test_unused');
const TOLERANCE_SECONDS = 300;
const now = () => Math.floor(Date.now() / 1000);

const stripeCharge = (id: string): string => JSON.stringify(stripeChargeEvent(id));

function razorpayCaptured(id: string): string {
  return JSON.stringify({
    entity: 'event',
    event: 'payment.captured',
    contains: ['payment'],
    payload: {
      payment: {
        entity: {
          id: `pay_${id}`,
          entity: 'payment',
          amount: 50_000,
          currency: 'INR',
          status: 'captured',
          method: 'upi',
          created_at: 1_763_700_000,
        },
      },
    },
    created_at: 1_763_700_001,
  });
}

/** Razorpay's documented signature: hex HMAC-SHA256 of the raw body keyed with the webhook secret. */
function razorpaySignature(body: string, secret: string): string {
  const signature = createHmac('sha256', secret).update(body).digest('hex');
  // The SDK's own verifier agrees, so the test does not just mirror the code under test.
  expect(Razorpay.validateWebhookSignature(body, signature, secret)).toBe(true);
  return signature;
}

const sendStripe = (url: string, body: string, header: string) =>
  sendWebhook(url, body, { channel: 'stripe', secret: '', scheme: 'none', headers: { 'stripe-signature': header } });
const sendRazorpay = (url: string, body: string, header: string | undefined) =>
  sendWebhook(url, body, {
    channel: 'razorpay',
    secret: '',
    scheme: 'none',
    headers: header === undefined ? {} : { 'x-razorpay-signature': header },
  });

describe("gateway webhooks signed with the gateways' own schemes", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { WEBHOOK_TOLERANCE_SECONDS: String(TOLERANCE_SECONDS) });
  });
  afterAll(() => t.stop());

  describe('Stripe-Signature', () => {
    it("accepts a header from stripe's generateTestHeaderString (whsec_ secret used as-is) with 201", async () => {
      const payload = stripeCharge('SIG1');
      const header = stripe.webhooks.generateTestHeaderString({ payload, secret: TEST_SECRETS.stripe });
      const res = await sendStripe(t.url, payload, header);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ status: 'created', payment_id: expect.any(String) });
      // The SDK's verifier accepts what we accepted.
      expect(stripe.webhooks.constructEvent(payload, header, TEST_SECRETS.stripe).id).toBe('evt_SIG1');
    });

    it('answers the exact same delivery replayed within the tolerance with the first answer', async () => {
      const payload = stripeCharge('SIG2');
      const header = stripe.webhooks.generateTestHeaderString({ payload, secret: TEST_SECRETS.stripe });
      const first = await sendStripe(t.url, payload, header);
      const replay = await sendStripe(t.url, payload, header);
      expect(first.status).toBe(201);
      expect(replay.status).toBe(200);
      expect(replay.headers.get('webhook-replayed')).toBe('true');
      expect(replay.body).toEqual({ status: 'duplicate', payment_id: first.body.payment_id });
    });

    it('accepts a rotation header with two v1 signatures when only the second matches', async () => {
      const payload = stripeCharge('SIG3');
      const timestamp = now();
      const old = stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_the-old-rotated-secret', timestamp });
      const current = stripe.webhooks.generateTestHeaderString({ payload, secret: TEST_SECRETS.stripe, timestamp });
      const v1 = (header: string) => header.split(',').find((part) => part.startsWith('v1=')) as string;
      const header = `t=${timestamp},${v1(old)},${v1(current)},v0=${'0'.repeat(64)}`;
      const res = await sendStripe(t.url, payload, header);
      expect(res.status).toBe(201);
    });

    it('refuses a header signed with another secret with 401 SIGNATURE_INVALID', async () => {
      const payload = stripeCharge('SIG4');
      const header = stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_someone-elses-secret' });
      const res = await sendStripe(t.url, payload, header);
      expect(res.status).toBe(401);
      expect(res.body.error?.code).toBe('SIGNATURE_INVALID');
    });

    it('refuses a tampered body with 401 SIGNATURE_INVALID', async () => {
      const payload = stripeCharge('SIG5');
      const header = stripe.webhooks.generateTestHeaderString({ payload, secret: TEST_SECRETS.stripe });
      const res = await sendStripe(t.url, payload.replace('"amount":2000', '"amount":2'), header);
      expect(res.status).toBe(401);
      expect(res.body.error?.code).toBe('SIGNATURE_INVALID');
    });

    it('refuses a correctly signed but stale timestamp with 401 TIMESTAMP_OUT_OF_TOLERANCE', async () => {
      const payload = stripeCharge('SIG6');
      const timestamp = now() - TOLERANCE_SECONDS - 60;
      const header = stripe.webhooks.generateTestHeaderString({ payload, secret: TEST_SECRETS.stripe, timestamp });
      const res = await sendStripe(t.url, payload, header);
      expect(res.status).toBe(401);
      expect(res.body.error?.code).toBe('TIMESTAMP_OUT_OF_TOLERANCE');
    });

    it('refuses a delivery without any signature header with 401 SIGNATURE_MISSING', async () => {
      const res = await sendWebhook(t.url, stripeCharge('SIG7'), { channel: 'stripe', secret: '', scheme: 'none' });
      expect(res.status).toBe(401);
      expect(res.body.error?.code).toBe('SIGNATURE_MISSING');
    });

    it('answers an event type the channel does not map with 200 ignored and counts it', async () => {
      const payload = JSON.stringify({ id: 'evt_IGN', object: 'event', type: 'customer.created', data: { object: {} } });
      const header = stripe.webhooks.generateTestHeaderString({ payload, secret: TEST_SECRETS.stripe });
      const res = await sendStripe(t.url, payload, header);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ignored' });
      const metrics = await fetch(`${t.url}/metrics`).then((r) => r.text());
      expect(metrics).toContain('payscope_webhook_ignored_total{channel="stripe",event_type="customer.created"} 1');
    });
  });

  describe('X-Razorpay-Signature', () => {
    it("accepts Razorpay's signature of the raw body with 201", async () => {
      const body = razorpayCaptured('SIG1');
      const res = await sendRazorpay(t.url, body, razorpaySignature(body, TEST_SECRETS.razorpay));
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ status: 'created', payment_id: expect.any(String) });
    });

    it('refuses a signature made with another secret with 401 SIGNATURE_INVALID', async () => {
      const body = razorpayCaptured('SIG2');
      const res = await sendRazorpay(t.url, body, razorpaySignature(body, 'another-secret'));
      expect(res.status).toBe(401);
      expect(res.body.error?.code).toBe('SIGNATURE_INVALID');
    });

    it('refuses a tampered body with 401 SIGNATURE_INVALID', async () => {
      const body = razorpayCaptured('SIG3');
      const signature = razorpaySignature(body, TEST_SECRETS.razorpay);
      const res = await sendRazorpay(t.url, body.replace('50000', '5000'), signature);
      expect(res.status).toBe(401);
      expect(res.body.error?.code).toBe('SIGNATURE_INVALID');
    });

    it('refuses a delivery without the header with 401 SIGNATURE_MISSING', async () => {
      const res = await sendRazorpay(t.url, razorpayCaptured('SIG4'), undefined);
      expect(res.status).toBe(401);
      expect(res.body.error?.code).toBe('SIGNATURE_MISSING');
    });

    it('answers an event type the channel does not map with 200 ignored and counts it', async () => {
      const body = JSON.stringify({ entity: 'event', event: 'order.paid', contains: ['order'], payload: {}, created_at: 1_763_700_001 });
      const res = await sendRazorpay(t.url, body, razorpaySignature(body, TEST_SECRETS.razorpay));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ignored' });
      const metrics = await fetch(`${t.url}/metrics`).then((r) => r.text());
      expect(metrics).toContain('payscope_webhook_ignored_total{channel="razorpay",event_type="order.paid"} 1');
    });
  });
});
