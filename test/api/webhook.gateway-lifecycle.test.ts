/**
 * A payment's life through the gateways' own webhooks, over real HTTP against the app harness:
 * later statuses, refunds and disputes from Razorpay and Stripe land on the payment first
 * recorded, ordered by the gateway's event time whatever order they arrive in. Signed as the
 * gateways sign (Razorpay's documented HMAC; Stripe's SDK `generateTestHeaderString`).
 */
import { createHmac } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, TEST_SECRETS, startTestApp } from '../harness/app.js';
import { sendWebhook } from '../harness/webhook-client.js';

const stripe = new Stripe('sk_test_unused');
// Event times: a fixed past day, one second apart per step, so the gateway's clock decides the order.
const T0 = 1_763_700_000;

function razorpayPayment(id: string, event: string, at: number, entity: Record<string, unknown> = {}) {
  return {
    entity: 'event',
    account_id: 'acc_BFQ7uQEaa7j2z7',
    event,
    contains: ['payment'],
    payload: {
      payment: {
        entity: { id: `pay_${id}`, entity: 'payment', amount: 50_000, currency: 'INR', method: 'upi', created_at: T0, ...entity },
      },
    },
    created_at: at,
  };
}

function razorpayRefund(id: string, refundId: string, at: number, refund: Record<string, unknown> = {}) {
  return {
    entity: 'event',
    account_id: 'acc_BFQ7uQEaa7j2z7',
    event: 'refund.processed',
    contains: ['refund', 'payment'],
    payload: {
      refund: {
        entity: {
          id: `rfnd_${refundId}`,
          entity: 'refund',
          amount: 20_000,
          currency: 'INR',
          payment_id: `pay_${id}`,
          notes: { reason: 'requested_by_customer' },
          status: 'processed',
          created_at: at - 30,
          ...refund,
        },
      },
      payment: { entity: { id: `pay_${id}`, entity: 'payment', amount: 50_000, currency: 'INR', captured: true, created_at: T0 } },
    },
    created_at: at,
  };
}

function razorpayDispute(id: string, event: string, at: number) {
  return {
    entity: 'event',
    event,
    contains: ['payment', 'dispute'],
    payload: {
      dispute: {
        entity: {
          id: `disp_${id}`,
          entity: 'dispute',
          payment_id: `pay_${id}`,
          amount: 50_000,
          currency: 'INR',
          reason_code: 'fraud',
          respond_by: T0 + 86_400 * 7,
          status: 'open',
          phase: 'chargeback',
          created_at: T0 + 100,
        },
      },
    },
    created_at: at,
  };
}

let eventCounter = 0;
const sendRazorpay = (url: string, body: unknown) => {
  const raw = JSON.stringify(body);
  const signature = createHmac('sha256', TEST_SECRETS.razorpay).update(raw).digest('hex');
  eventCounter += 1;
  return sendWebhook(url, raw, {
    channel: 'razorpay',
    secret: '',
    scheme: 'none',
    headers: { 'x-razorpay-signature': signature, 'x-razorpay-event-id': `KxEvt${eventCounter}` },
  });
};

function stripeEvent(id: string, type: string, at: number, object: Record<string, unknown>) {
  return { id: `evt_${id}`, object: 'event', api_version: '2024-06-20', type, created: at, livemode: false, data: { object } };
}

function stripeIntent(id: string, overrides: Record<string, unknown> = {}) {
  return {
    id: `pi_${id}`,
    object: 'payment_intent',
    amount: 2000,
    amount_received: 2000,
    currency: 'usd',
    payment_method_types: ['card'],
    latest_charge: `ch_${id}`,
    metadata: {},
    created: T0,
    ...overrides,
  };
}

const sendStripe = (url: string, body: unknown) => {
  const payload = JSON.stringify(body);
  const header = stripe.webhooks.generateTestHeaderString({ payload, secret: TEST_SECRETS.stripe });
  return sendWebhook(url, payload, { channel: 'stripe', secret: '', scheme: 'none', headers: { 'stripe-signature': header } });
};

interface LedgerRow {
  status: string;
  authorized_minor: number | null;
  captured_minor: number | null;
  refunded_minor: number;
  disputed_minor: number;
  version: number;
}

describe('payment lifecycle through gateway webhooks', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite');
  });
  afterAll(() => t.stop());

  const ledger = async (reference: string): Promise<LedgerRow | undefined> =>
    (
      await t.app.store.query<LedgerRow>(
        `SELECT status, authorized_minor::float8 AS authorized_minor, captured_minor::float8 AS captured_minor,
                refunded_minor::float8 AS refunded_minor, disputed_minor::float8 AS disputed_minor, version
         FROM payment_service.payments WHERE reference_number = $1`,
        [reference],
      )
    ).rows[0];

  describe('razorpay', () => {
    it('payment.authorized then payment.captured: transitioned to captured with both amounts', async () => {
      const first = await sendRazorpay(t.url, razorpayPayment('AUTHCAP1', 'payment.authorized', T0 + 1));
      expect(first.status).toBe(201);
      const second = await sendRazorpay(t.url, razorpayPayment('AUTHCAP1', 'payment.captured', T0 + 2));
      expect(second.status).toBe(200);
      expect(second.body).toEqual({
        status: 'transitioned',
        payment_id: first.body.payment_id,
        from_status: 'authorized',
        to_status: 'captured',
        applied: true,
        version: 2,
      });
      expect(await ledger('pay_AUTHCAP1')).toMatchObject({ status: 'captured', authorized_minor: 50_000, captured_minor: 50_000 });
      // The gateway's event id from the header labels the history row.
      const history = await t.app.store.query<{ gateway_event_id: string | null; event_time: Date }>(
        `SELECT gateway_event_id, event_time FROM payment_service.payment_status_history WHERE reference_number = $1 ORDER BY version`,
        ['pay_AUTHCAP1'],
      );
      expect(history.rows.map((r) => r.gateway_event_id)).toEqual([
        expect.stringMatching(/^KxEvt\d+$/),
        expect.stringMatching(/^KxEvt\d+$/),
      ]);
      expect(history.rows.map((r) => new Date(r.event_time).getTime() / 1000)).toEqual([T0 + 1, T0 + 2]);
    });

    it('payment.captured arriving before the older payment.authorized still ends captured with both amounts', async () => {
      const first = await sendRazorpay(t.url, razorpayPayment('CAPAUTH1', 'payment.captured', T0 + 2));
      expect(first.status).toBe(201);
      const late = await sendRazorpay(t.url, razorpayPayment('CAPAUTH1', 'payment.authorized', T0 + 1));
      expect(late.status).toBe(200);
      expect(late.body).toMatchObject({ status: 'transitioned', from_status: 'captured', to_status: 'captured' });
      expect(await ledger('pay_CAPAUTH1')).toMatchObject({ status: 'captured', authorized_minor: 50_000, captured_minor: 50_000 });
    });

    it('payment.failed then payment.captured (a late authorisation that went through) ends captured', async () => {
      const failed = razorpayPayment('FAILCAP1', 'payment.failed', T0 + 1, {
        error_code: 'GATEWAY_ERROR',
        error_reason: 'payment_timed_out',
      });
      expect((await sendRazorpay(t.url, failed)).status).toBe(201);
      const captured = await sendRazorpay(t.url, razorpayPayment('FAILCAP1', 'payment.captured', T0 + 60));
      expect(captured.status).toBe(200);
      expect(captured.body).toMatchObject({ status: 'transitioned', from_status: 'failed', to_status: 'captured', applied: true });
      expect(await ledger('pay_FAILCAP1')).toMatchObject({ status: 'captured', captured_minor: 50_000 });
    });

    it('refund.processed: 200 transitioned, refunded_minor on the ledger and a payment.refunded event in the outbox', async () => {
      expect((await sendRazorpay(t.url, razorpayPayment('REFUND1', 'payment.captured', T0 + 1))).status).toBe(201);
      const refund = await sendRazorpay(t.url, razorpayRefund('REFUND1', 'REF1', T0 + 3_600));
      expect(refund.status).toBe(200);
      expect(refund.body).toMatchObject({
        status: 'transitioned',
        from_status: 'captured',
        to_status: 'partially_refunded',
        applied: true,
        version: 2,
      });
      expect(await ledger('pay_REFUND1')).toMatchObject({ status: 'partially_refunded', captured_minor: 50_000, refunded_minor: 20_000 });
      const events = await t.app.store.query<{ event_type: string }>(
        `SELECT event_type FROM payment_service.outbox WHERE event_type = 'payment.refunded' AND payload::text LIKE '%rfnd_REF1%'`,
      );
      expect(events.rows).toHaveLength(1);
      // Razorpay retries until answered: the same refund again is a duplicate, never refunded twice.
      const again = await sendRazorpay(t.url, razorpayRefund('REFUND1', 'REF1', T0 + 3_600));
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ status: 'duplicate', payment_id: refund.body.payment_id });
      expect(await ledger('pay_REFUND1')).toMatchObject({ refunded_minor: 20_000 });
    });

    it('refund.created records nothing (answered ignored): only refund.processed moves money', async () => {
      expect((await sendRazorpay(t.url, razorpayPayment('REFCREATED1', 'payment.captured', T0 + 1))).status).toBe(201);
      const created = await sendRazorpay(t.url, { ...razorpayRefund('REFCREATED1', 'RC1', T0 + 10), event: 'refund.created' });
      expect(created.status).toBe(200);
      expect(created.body).toEqual({ status: 'ignored' });
      expect(await ledger('pay_REFCREATED1')).toMatchObject({ status: 'captured', refunded_minor: 0, version: 1 });
    });

    it('an auto-refund of an authorisation never captured cancels the payment (no captured money to refund)', async () => {
      expect((await sendRazorpay(t.url, razorpayPayment('AUTOREF1', 'payment.authorized', T0 + 1))).status).toBe(201);
      const body = razorpayRefund('AUTOREF1', 'AUTO1', T0 + 86_400, { amount: 50_000 });
      body.payload.payment.entity.captured = false;
      const res = await sendRazorpay(t.url, body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'transitioned', from_status: 'authorized', to_status: 'cancelled', applied: true });
      expect(await ledger('pay_AUTOREF1')).toMatchObject({ status: 'cancelled', captured_minor: null, refunded_minor: 0 });
    });

    it('a refund in another currency: 409 REFUND_CURRENCY_MISMATCH and a ledger dead letter', async () => {
      expect((await sendRazorpay(t.url, razorpayPayment('REFCUR1', 'payment.captured', T0 + 1))).status).toBe(201);
      const res = await sendRazorpay(t.url, razorpayRefund('REFCUR1', 'CUR1', T0 + 100, { currency: 'USD', amount: 200 }));
      expect(res.status).toBe(409);
      expect(res.body.error?.code).toBe('REFUND_CURRENCY_MISMATCH');
      const letters = await t.app.store.query<{ stage: string; error_code: string }>(
        `SELECT stage, error_code FROM payment_service.dead_letters WHERE event_id LIKE 'pay_REFCUR1|%'`,
      );
      expect(letters.rows).toEqual([{ stage: 'ledger', error_code: 'REFUND_CURRENCY_MISMATCH' }]);
      expect(await ledger('pay_REFCUR1')).toMatchObject({ status: 'captured', refunded_minor: 0 });
    });

    it('a refund above the captured amount: 409 REFUND_EXCEEDS_CAPTURED', async () => {
      expect((await sendRazorpay(t.url, razorpayPayment('REFOVER1', 'payment.captured', T0 + 1))).status).toBe(201);
      const res = await sendRazorpay(t.url, razorpayRefund('REFOVER1', 'OVER1', T0 + 100, { amount: 50_001 }));
      expect(res.status).toBe(409);
      expect(res.body.error?.code).toBe('REFUND_EXCEEDS_CAPTURED');
      expect(await ledger('pay_REFOVER1')).toMatchObject({ status: 'captured', refunded_minor: 0 });
    });

    it('payment.dispute.created then payment.dispute.won: disputed, then dispute_won', async () => {
      expect((await sendRazorpay(t.url, razorpayPayment('DISP1', 'payment.captured', T0 + 1))).status).toBe(201);
      const opened = await sendRazorpay(t.url, razorpayDispute('DISP1', 'payment.dispute.created', T0 + 200));
      expect(opened.status).toBe(200);
      expect(opened.body).toMatchObject({ status: 'transitioned', from_status: 'captured', to_status: 'disputed', applied: true });
      expect(await ledger('pay_DISP1')).toMatchObject({ status: 'disputed', disputed_minor: 50_000 });
      const won = await sendRazorpay(t.url, razorpayDispute('DISP1', 'payment.dispute.won', T0 + 900));
      expect(won.status).toBe(200);
      expect(won.body).toMatchObject({
        status: 'transitioned',
        from_status: 'disputed',
        to_status: 'dispute_won',
        applied: true,
        version: 3,
      });
      expect(await ledger('pay_DISP1')).toMatchObject({ status: 'dispute_won' });
    });
  });

  describe('stripe', () => {
    it('payment_intent.payment_failed then payment_intent.succeeded ends succeeded', async () => {
      const failed = stripeIntent('FAILOK1', {
        status: 'requires_payment_method',
        amount_received: 0,
        last_payment_error: { code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
      });
      const first = await sendStripe(t.url, stripeEvent('FAILOK1a', 'payment_intent.payment_failed', T0 + 1, failed));
      expect(first.status).toBe(201);
      const second = await sendStripe(t.url, stripeEvent('FAILOK1b', 'payment_intent.succeeded', T0 + 30, stripeIntent('FAILOK1')));
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({ status: 'transitioned', from_status: 'failed', to_status: 'succeeded', applied: true });
      expect(await ledger('pi_FAILOK1')).toMatchObject({ status: 'succeeded', captured_minor: 2000 });
      const history = await t.app.store.query<{ gateway_event_id: string }>(
        `SELECT gateway_event_id FROM payment_service.payment_status_history WHERE reference_number = 'pi_FAILOK1' ORDER BY version`,
      );
      expect(history.rows.map((r) => r.gateway_event_id)).toEqual(['evt_FAILOK1a', 'evt_FAILOK1b']);
    });

    it('a manual capture: authorised, captured, succeeded, then fully refunded by refund.updated', async () => {
      const authorised = stripeIntent('MANUAL1', { status: 'requires_capture', amount_capturable: 2000, amount_received: 0 });
      expect(
        (await sendStripe(t.url, stripeEvent('MANUAL1a', 'payment_intent.amount_capturable_updated', T0 + 1, authorised))).status,
      ).toBe(201);
      const captured = { id: 'ch_MANUAL1', object: 'charge', amount: 2000, amount_captured: 2000, captured: true, currency: 'usd' };
      const capture = await sendStripe(
        t.url,
        stripeEvent('MANUAL1b', 'charge.captured', T0 + 60, { ...captured, payment_intent: 'pi_MANUAL1', created: T0 }),
      );
      expect(capture.body).toMatchObject({ status: 'transitioned', from_status: 'authorized', to_status: 'captured' });
      const succeeded = await sendStripe(t.url, stripeEvent('MANUAL1c', 'payment_intent.succeeded', T0 + 61, stripeIntent('MANUAL1')));
      expect(succeeded.body).toMatchObject({ status: 'transitioned', to_status: 'succeeded' });
      const refund = {
        id: 're_MANUAL1',
        object: 'refund',
        amount: 2000,
        currency: 'usd',
        charge: 'ch_MANUAL1',
        payment_intent: 'pi_MANUAL1',
        reason: 'requested_by_customer',
        status: 'succeeded',
        created: T0 + 500,
      };
      const pending = await sendStripe(t.url, stripeEvent('MANUAL1d', 'refund.created', T0 + 500, { ...refund, status: 'pending' }));
      expect(pending.body).toEqual({ status: 'ignored' });
      const done = await sendStripe(t.url, stripeEvent('MANUAL1e', 'refund.updated', T0 + 900, refund));
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({
        status: 'transitioned',
        from_status: 'succeeded',
        to_status: 'refunded',
        applied: true,
        version: 4,
      });
      expect(await ledger('pi_MANUAL1')).toMatchObject({
        status: 'refunded',
        authorized_minor: 2000,
        captured_minor: 2000,
        refunded_minor: 2000,
      });
    });

    it('charge.dispute.created then charge.dispute.closed as lost ends dispute_lost', async () => {
      expect(
        (await sendStripe(t.url, stripeEvent('DISPLOST1a', 'payment_intent.succeeded', T0 + 1, stripeIntent('DISPLOST1')))).status,
      ).toBe(201);
      const dispute = {
        id: 'dp_DISPLOST1',
        object: 'dispute',
        amount: 2000,
        currency: 'usd',
        charge: 'ch_DISPLOST1',
        payment_intent: 'pi_DISPLOST1',
        reason: 'fraudulent',
        status: 'needs_response',
        evidence_details: { due_by: T0 + 86_400 * 10 },
        created: T0 + 100,
      };
      const opened = await sendStripe(t.url, stripeEvent('DISPLOST1b', 'charge.dispute.created', T0 + 100, dispute));
      expect(opened.body).toMatchObject({ status: 'transitioned', to_status: 'disputed' });
      const closed = await sendStripe(
        t.url,
        stripeEvent('DISPLOST1c', 'charge.dispute.closed', T0 + 5_000, { ...dispute, status: 'lost' }),
      );
      expect(closed.body).toMatchObject({ status: 'transitioned', from_status: 'disputed', to_status: 'dispute_lost', applied: true });
      expect(await ledger('pi_DISPLOST1')).toMatchObject({ status: 'dispute_lost', disputed_minor: 2000 });
    });
  });
});
