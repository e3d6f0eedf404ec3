import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../core/errors.js';
import { DISPUTE_STATUSES, FAILURE_CATEGORIES } from '../../../contracts/index.js';
import { normaliseDispute, normaliseRefund } from '../../../recorder/ledger-delivery.js';
import { normalisePayment } from '../../../recorder/payment.js';
import { STRIPE_FAILURE_CODES, stripeAdapter } from './stripe-adapter.js';

/** The adapter's payment delivery, or its failure (a refund or dispute delivery fails the test). */
function toPaymentInput(body: unknown) {
  const delivery = stripeAdapter.toDelivery(body, { headers: {} });
  if (!delivery.ok) return delivery;
  if (delivery.value.kind !== 'payment') throw new Error(`expected a payment delivery, got ${delivery.value.kind}`);
  return { ok: true as const, value: delivery.value.input };
}

const PI = 'pi_3MtwBwLkdIwHu7ix28a3tqPa';
const CH = 'ch_3MtwBwLkdIwHu7ix28a3tqPa';

// Shaped after Stripe's documented Charge and PaymentIntent objects, trimmed of nothing we ignore.
function charge(overrides: Record<string, unknown> = {}) {
  return {
    id: CH,
    object: 'charge',
    amount: 1099,
    amount_captured: 1099,
    amount_refunded: 0,
    balance_transaction: 'txn_3MtwBwLkdIwHu7ix0m9YVaLq',
    billing_details: {
      address: { city: 'San Francisco', country: 'US', line1: '510 Townsend St', line2: null, postal_code: '94103', state: 'CA' },
      email: 'jenny.rosen@example.com',
      name: 'Jenny Rosen',
      phone: null,
    },
    captured: true,
    created: 1763805000,
    currency: 'usd',
    customer: 'cus_NffrFeUfNV2Hib',
    description: null,
    failure_code: null,
    failure_message: null,
    livemode: false,
    metadata: { loan_account_number: 'LN0012345', cif: 'CIF998877', merchant_id: 'M-042', region: 'west', order_id: 'ORD-1001' },
    outcome: { network_status: 'approved_by_network', risk_level: 'normal', type: 'authorized' },
    paid: true,
    payment_intent: PI,
    payment_method: 'pm_1MtwBwLkdIwHu7ixcCBIZ7Tw',
    payment_method_details: { card: { brand: 'visa', country: 'US', exp_month: 8, exp_year: 2027, last4: '4242' }, type: 'card' },
    receipt_email: 'jenny.rosen@example.com',
    status: 'succeeded',
    ...overrides,
  };
}

function paymentIntent(overrides: Record<string, unknown> = {}) {
  return {
    id: PI,
    object: 'payment_intent',
    amount: 1099,
    amount_capturable: 0,
    amount_received: 1099,
    capture_method: 'automatic',
    created: 1763804990,
    currency: 'usd',
    customer: 'cus_NffrFeUfNV2Hib',
    last_payment_error: null,
    latest_charge: CH,
    livemode: false,
    metadata: { loan_account_number: 'LN0012345', cif: 'CIF998877', merchant_id: 'M-042', region: 'west', order_id: 'ORD-1001' },
    payment_method: 'pm_1MtwBwLkdIwHu7ixcCBIZ7Tw',
    payment_method_types: ['card'],
    receipt_email: 'jenny.rosen@example.com',
    status: 'succeeded',
    ...overrides,
  };
}

function event(type: string, object: unknown) {
  return {
    id: 'evt_3MtwBwLkdIwHu7ix0Y7Qf1xS',
    object: 'event',
    api_version: '2024-06-20',
    created: 1763805001,
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: 'req_8PvqZ4TvHBcxTe', idempotency_key: '6f1c1e9a-5c3e-4b1e-9d6e-5d2b0c1f2a3b' },
    type,
  };
}

// The adapter's job is a well-formed input; the configurable business rules (zero amounts, dates
// ahead) are the recorder's and are tested there, so they are relaxed here.
const normalise = (input: unknown) =>
  normalisePayment(input, {
    source: 'webhook',
    defaultCurrency: 'INR',
    rules: { allowZeroAmount: true, maxFutureSkewMs: Number.MAX_SAFE_INTEGER },
  });

describe('stripe adapter', () => {
  it('names its channel stripe', () => {
    expect(stripeAdapter.channel).toBe('stripe');
  });

  it('maps charge.succeeded to the canonical payment keyed by its payment intent', () => {
    const input = toPaymentInput(event('charge.succeeded', charge()));
    expect(input).toEqual({
      ok: true,
      value: {
        reference_number: PI,
        amount_minor: 1099,
        currency: 'USD',
        status: 'succeeded',
        payment_date: new Date('2025-11-22T09:50:00Z'),
        // The event's created (1 s after the charge's): when this status happened.
        event_time: new Date('2025-11-22T09:50:01Z'),
        gateway_event_id: 'evt_3MtwBwLkdIwHu7ix0Y7Qf1xS',
        payment_channel: 'stripe',
        gateway: 'stripe',
        payment_method: 'card',
        gateway_txn_id: CH,
        order_id: 'ORD-1001',
        customer_id: 'cus_NffrFeUfNV2Hib',
        loan_account_number: 'LN0012345',
        cif: 'CIF998877',
        merchant_id: 'M-042',
        region: 'west',
        country: 'US',
        fee_minor: null,
        tax_minor: null,
        failure_reason: null,
        failure_code: null,
        failure_category: null,
        metadata: { event_id: 'evt_3MtwBwLkdIwHu7ix0Y7Qf1xS', event: 'charge.succeeded', livemode: false },
      },
    });
    expect(normalise(input.ok ? input.value : null)).toMatchObject({ ok: true, value: { amount_minor: 1099, currency: 'USD' } });
  });

  it('maps charge.succeeded and payment_intent.succeeded of one payment to the same reference and transaction', () => {
    const fromCharge = toPaymentInput(event('charge.succeeded', charge()));
    const fromIntent = toPaymentInput(event('payment_intent.succeeded', paymentIntent()));
    expect(fromIntent).toMatchObject({
      ok: true,
      value: { reference_number: PI, gateway_txn_id: CH, amount_minor: 1099, status: 'succeeded', payment_method: 'card', currency: 'USD' },
    });
    const pick = (r: typeof fromCharge) => (r.ok ? [r.value.reference_number, r.value.gateway_txn_id, r.value.amount_minor] : null);
    expect(pick(fromIntent)).toEqual(pick(fromCharge));
  });

  it('keeps the cardholder’s name, email and address out of the mapped payment', () => {
    const text = JSON.stringify(toPaymentInput(event('charge.succeeded', charge())));
    expect(text).not.toContain('jenny');
    expect(text).not.toContain('Townsend');
  });

  it('maps charge.failed with its failure message', () => {
    const failed = charge({
      status: 'failed',
      captured: false,
      paid: false,
      failure_code: 'card_declined',
      failure_message: 'Your card was declined.',
    });
    expect(toPaymentInput(event('charge.failed', failed))).toMatchObject({
      ok: true,
      value: { status: 'failed', failure_reason: 'Your card was declined.', failure_code: 'card_declined', failure_category: 'other' },
    });
  });

  it('takes an issuer decline code from the charge outcome before the generic card_declined, and calls a Radar block a risk decline', () => {
    const declined = charge({
      status: 'failed',
      captured: false,
      failure_code: 'card_declined',
      outcome: { type: 'issuer_declined', reason: 'insufficient_funds' },
    });
    expect(toPaymentInput(event('charge.failed', declined))).toMatchObject({
      ok: true,
      value: { failure_code: 'insufficient_funds', failure_category: 'insufficient_funds' },
    });
    const blocked = charge({
      status: 'failed',
      captured: false,
      failure_code: 'card_declined',
      outcome: { type: 'blocked', reason: 'rule' },
    });
    expect(toPaymentInput(event('charge.failed', blocked))).toMatchObject({
      ok: true,
      value: { failure_code: 'card_declined', failure_category: 'risk_declined' },
    });
  });

  it.each([
    [{ code: 'card_declined', decline_code: 'insufficient_funds' }, 'insufficient_funds', 'insufficient_funds'],
    [{ code: 'card_declined', decline_code: 'do_not_honor' }, 'do_not_honor', 'other'],
    [{ code: 'card_declined', decline_code: 'fraudulent' }, 'fraudulent', 'risk_declined'],
    [{ code: 'card_declined', decline_code: 'issuer_not_available' }, 'issuer_not_available', 'issuer_unavailable'],
    [{ code: 'expired_card' }, 'expired_card', 'expired'],
    [{ code: 'incorrect_cvc' }, 'incorrect_cvc', 'authentication'],
    [{ code: 'payment_intent_authentication_failure' }, 'payment_intent_authentication_failure', 'authentication'],
    [{ code: 'payment_method_customer_decline' }, 'payment_method_customer_decline', 'customer_cancelled'],
    [{ code: 'card_declined', decline_code: 'a_code_stripe_adds_later' }, 'a_code_stripe_adds_later', 'other'],
  ])('maps last_payment_error %j to failure_code %s and category %s', (error, code, category) => {
    const failed = paymentIntent({ status: 'requires_payment_method', amount_received: 0, last_payment_error: { ...error, message: 'x' } });
    const input = toPaymentInput(event('payment_intent.payment_failed', failed));
    expect(input).toMatchObject({ ok: true, value: { failure_code: code, failure_category: category } });
    expect(normalise(input.ok ? input.value : null)).toMatchObject({ ok: true, value: { failure_code: code, failure_category: category } });
  });

  it('maps every code in its table to a category of the vocabulary', () => {
    for (const [code, category] of Object.entries(STRIPE_FAILURE_CODES)) {
      expect(code, 'table keys are lower case').toBe(code.toLowerCase());
      expect(FAILURE_CATEGORIES).toContain(category);
    }
  });

  it('maps payment_intent.payment_failed with the last payment error and the attempted amount', () => {
    const failed = paymentIntent({
      status: 'requires_payment_method',
      amount_received: 0,
      last_payment_error: {
        code: 'card_declined',
        decline_code: 'insufficient_funds',
        message: 'Your card has insufficient funds.',
        type: 'card_error',
      },
    });
    expect(toPaymentInput(event('payment_intent.payment_failed', failed))).toMatchObject({
      ok: true,
      value: { status: 'failed', amount_minor: 1099, failure_reason: 'Your card has insufficient funds.', reference_number: PI },
    });
  });

  it('maps a charge that was only authorised (manual capture) to authorized', () => {
    const input = toPaymentInput(event('charge.succeeded', charge({ captured: false, amount_captured: 0 })));
    expect(input).toMatchObject({ ok: true, value: { status: 'authorized' } });
  });

  it('keys a charge made without a payment intent by its own id', () => {
    const input = toPaymentInput(event('charge.succeeded', charge({ payment_intent: null })));
    expect(input).toMatchObject({ ok: true, value: { reference_number: CH, gateway_txn_id: CH } });
  });

  it('records the amount received when a payment intent was partly captured', () => {
    const input = toPaymentInput(event('payment_intent.succeeded', paymentIntent({ amount: 5000, amount_received: 3000 })));
    expect(input).toMatchObject({ ok: true, value: { amount_minor: 3000 } });
  });

  it('leaves payment_method empty when the intent allowed several methods', () => {
    const input = toPaymentInput(event('payment_intent.succeeded', paymentIntent({ payment_method_types: ['card', 'link'] })));
    expect(input).toMatchObject({ ok: true, value: { payment_method: null } });
  });

  it.each([
    ['jpy', 500, 500],
    ['kwd', 5120, 5120],
    ['isk', 50000, 500],
    ['mga', 1000, 100000],
    ['huf', 123456, 123456],
  ])('converts a Stripe %s amount of %i to %i ISO minor units', (currency, stripeAmount, isoMinor) => {
    const input = toPaymentInput(event('charge.succeeded', charge({ currency, amount: stripeAmount })));
    expect(input).toMatchObject({ ok: true, value: { amount_minor: isoMinor, currency: currency.toUpperCase() } });
    expect(normalise(input.ok ? input.value : null).ok).toBe(true);
  });

  it('rejects an ISK amount with fractional krónur rather than rounding it', () => {
    const result = toPaymentInput(event('charge.succeeded', charge({ currency: 'isk', amount: 50050 })));
    expect(result).toMatchObject({ ok: false, error: { code: ErrorCode.AMOUNT_PRECISION } });
  });

  it("takes the charge's created as the event time when a hand-made event leaves its own out", () => {
    const full = event('charge.succeeded', charge());
    const { created: _omitted, ...body } = full;
    const result = toPaymentInput(body);
    const object = (full.data as { object: { created: number } }).object;
    expect(result).toMatchObject({ ok: true, value: { event_time: new Date(object.created * 1000) } });
  });

  it('maps payment_intent.amount_capturable_updated to authorized for the capturable amount', () => {
    const intent = paymentIntent({ status: 'requires_capture', amount: 5000, amount_capturable: 5000, amount_received: 0 });
    expect(toPaymentInput(event('payment_intent.amount_capturable_updated', intent))).toMatchObject({
      ok: true,
      value: { status: 'authorized', amount_minor: 5000, reference_number: PI },
    });
  });

  it('maps charge.captured to captured for the amount captured (a partial capture takes less)', () => {
    const captured = charge({ amount: 5000, amount_captured: 3000, captured: true });
    expect(toPaymentInput(event('charge.captured', captured))).toMatchObject({
      ok: true,
      value: { status: 'captured', amount_minor: 3000, reference_number: PI, gateway_txn_id: CH },
    });
  });

  it('maps payment_intent.canceled to cancelled without a failure category', () => {
    const canceled = paymentIntent({ status: 'canceled', amount_received: 0, cancellation_reason: 'abandoned' });
    const input = toPaymentInput(event('payment_intent.canceled', canceled));
    expect(input).toMatchObject({ ok: true, value: { status: 'cancelled', amount_minor: 1099, failure_category: null } });
    expect(normalise(input.ok ? input.value : null)).toMatchObject({ ok: true, value: { status: 'cancelled' } });
  });

  it('rejects an unsupported event type and lists the supported ones', () => {
    const result = toPaymentInput(event('customer.created', { id: 'cus_1', object: 'customer' }));
    expect(result).toMatchObject({ ok: false, error: { code: ErrorCode.UNSUPPORTED_EVENT_TYPE } });
    const message = result.ok ? '' : result.error.message;
    for (const type of ['charge.succeeded', 'charge.failed', 'payment_intent.succeeded', 'payment_intent.payment_failed']) {
      expect(message).toContain(type);
    }
  });

  it('rejects a malformed amount and names the field path', () => {
    const result = toPaymentInput(event('charge.succeeded', charge({ amount: '10.99' })));
    expect(result).toMatchObject({ ok: false, error: { code: ErrorCode.VALIDATION_FAILED } });
    expect(result.ok ? '' : result.error.message).toContain('data.object.amount');
  });

  it('rejects a payment intent event that carries a charge object', () => {
    const result = toPaymentInput(event('payment_intent.succeeded', { id: CH, object: 'charge', amount: 1, currency: 'usd' }));
    expect(result).toMatchObject({ ok: false, error: { code: ErrorCode.VALIDATION_FAILED } });
  });

  it('never throws on arbitrary JSON and answers ok or a Failure', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        const result = stripeAdapter.toDelivery(body, { headers: {} });
        if (!result.ok) expect([ErrorCode.VALIDATION_FAILED, ErrorCode.UNSUPPORTED_EVENT_TYPE]).toContain(result.error.code);
      }),
    );
  });

  it('never throws when any field of a real event is replaced by arbitrary JSON', () => {
    const chargeKeys = Object.keys(charge()).map((k) => ['data', 'object', k]);
    fc.assert(
      fc.property(
        fc.constantFrom(['id'], ['type'], ['data'], ['data', 'object'], ['livemode'], ...chargeKeys),
        fc.jsonValue(),
        (path, value) => {
          const body = structuredClone(event('charge.succeeded', charge())) as Record<string, unknown>;
          setPath(body, path, value);
          expect(typeof toPaymentInput(body).ok).toBe('boolean');
        },
      ),
    );
    const fixtures = [
      event('refund.updated', refund()),
      event('charge.refunded', charge({ refunds: { object: 'list', data: [refund()] } })),
      event('charge.dispute.created', dispute()),
    ];
    for (const fixture of fixtures) {
      const keys = Object.keys(fixture.data.object as object).map((k) => ['data', 'object', k]);
      fc.assert(
        fc.property(fc.constantFrom(['created'], ['id'], ...keys), fc.jsonValue(), (path, value) => {
          const body = structuredClone(fixture) as Record<string, unknown>;
          setPath(body, path, value);
          const result = stripeAdapter.toDelivery(body, { headers: {} });
          if (!result.ok) {
            expect([ErrorCode.VALIDATION_FAILED, ErrorCode.UNSUPPORTED_EVENT_TYPE, ErrorCode.AMOUNT_PRECISION]).toContain(
              result.error.code,
            );
          }
        }),
      );
    }
  });

  it('maps every well-formed charge, whatever its metadata holds, to an input the recorder accepts', () => {
    fc.assert(
      fc.property(
        fc.record({
          amount: fc.integer({ min: 0, max: 10 ** 10 }).map((n) => n * 100),
          currency: fc.constantFrom('usd', 'eur', 'jpy', 'kwd', 'inr', 'isk', 'mga'),
          created: fc.integer({ min: 0, max: 4_000_000_000 }),
          metadata: fc.dictionary(
            fc.constantFrom('loan_account_number', 'cif', 'merchant_id', 'order_id', 'region', 'country', 'x'),
            fc.jsonValue(),
          ),
          payment_intent: fc.option(fc.stringMatching(/^pi_[A-Za-z0-9]{24}$/), { nil: null }),
          failure_message: fc.option(fc.string({ maxLength: 2000 }), { nil: null }),
        }),
        fc.constantFrom('charge.succeeded', 'charge.failed'),
        (fields, type) => {
          const input = toPaymentInput(event(type, charge(fields)));
          expect(input.ok).toBe(true);
          expect(normalise(input.ok ? input.value : null)).toMatchObject({ ok: true });
        },
      ),
    );
  });
});

// Shaped after Stripe's documented Refund object.
function refund(overrides: Record<string, unknown> = {}) {
  return {
    id: 're_3MtwBwLkdIwHu7ix0jY6zl8y',
    object: 'refund',
    amount: 500,
    balance_transaction: 'txn_3MtwBwLkdIwHu7ix0Gd5qyp7',
    charge: CH,
    created: 1763900000,
    currency: 'usd',
    destination_details: { card: { reference: '123456789012', reference_status: 'available', type: 'refund' }, type: 'card' },
    metadata: {},
    payment_intent: PI,
    reason: 'requested_by_customer',
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
    ...overrides,
  };
}

// Shaped after Stripe's documented Dispute object.
function dispute(overrides: Record<string, unknown> = {}) {
  return {
    id: 'dp_1MtJUT2eZvKYlo2CNaw2HvEv',
    object: 'dispute',
    amount: 1099,
    balance_transactions: [],
    charge: CH,
    created: 1764000000,
    currency: 'usd',
    evidence: { customer_name: 'Jenny Rosen', customer_email_address: 'jenny.rosen@example.com' },
    evidence_details: { due_by: 1764800000, has_evidence: false, past_due: false, submission_count: 0 },
    is_charge_refundable: true,
    livemode: false,
    metadata: {},
    payment_intent: PI,
    reason: 'fraudulent',
    status: 'needs_response',
    ...overrides,
  };
}

describe('stripe refunds', () => {
  it.each(['refund.created', 'refund.updated', 'charge.refund.updated'])(
    'maps a succeeded refund in %s to a refund of the payment intent',
    (type) => {
      const delivery = stripeAdapter.toDelivery(event(type, refund()), { headers: {} });
      expect(delivery).toEqual({
        ok: true,
        value: {
          kind: 'refund',
          input: {
            reference_number: PI,
            refund_id: 're_3MtwBwLkdIwHu7ix0jY6zl8y',
            amount_minor: 500,
            currency: 'USD',
            event_time: new Date(1763805001 * 1000),
            gateway_event_id: 'evt_3MtwBwLkdIwHu7ix0Y7Qf1xS',
            reason: 'requested_by_customer',
            gateway: 'stripe',
          },
        },
      });
      expect(normaliseRefund(delivery.ok ? delivery.value.input : null, 'webhook')).toMatchObject({ ok: true });
    },
  );

  it.each(['pending', 'requires_action', 'failed', 'canceled', null])(
    'records nothing for a refund that is %s (answered ignored)',
    (status) => {
      const result = stripeAdapter.toDelivery(event('refund.created', refund({ status })), { headers: {} });
      expect(result).toMatchObject({ ok: false, error: { code: ErrorCode.UNSUPPORTED_EVENT_TYPE, details: { event: 'refund.created' } } });
    },
  );

  it('keys a refund of a charge without a payment intent by the charge id, and needs one of the two', () => {
    const byCharge = stripeAdapter.toDelivery(event('refund.updated', refund({ payment_intent: null })), { headers: {} });
    expect(byCharge).toMatchObject({ ok: true, value: { input: { reference_number: CH } } });
    const neither = stripeAdapter.toDelivery(event('refund.updated', refund({ payment_intent: null, charge: null })), { headers: {} });
    expect(neither).toMatchObject({ ok: false, error: { code: ErrorCode.VALIDATION_FAILED } });
    expect(neither.ok ? '' : neither.error.message).toContain('data.object.charge');
  });

  it('maps reasons outside Payscope’s vocabulary to other, and converts Stripe amounts to ISO minor units', () => {
    const expired = stripeAdapter.toDelivery(event('refund.updated', refund({ reason: 'expired_uncaptured_charge' })), { headers: {} });
    expect(expired).toMatchObject({ ok: true, value: { input: { reason: 'other' } } });
    const isk = stripeAdapter.toDelivery(event('refund.updated', refund({ currency: 'isk', amount: 50000 })), { headers: {} });
    expect(isk).toMatchObject({ ok: true, value: { input: { amount_minor: 500, currency: 'ISK' } } });
    const fraction = stripeAdapter.toDelivery(event('refund.updated', refund({ currency: 'isk', amount: 50050 })), { headers: {} });
    expect(fraction).toMatchObject({ ok: false, error: { code: ErrorCode.AMOUNT_PRECISION } });
  });

  it('maps charge.refunded to the newest refund in the charge’s list, keyed like the charge', () => {
    const older = refund({ id: 're_older', amount: 300, created: 1763850000 });
    const newer = refund({ id: 're_newer', amount: 200, created: 1763900000 });
    const refunded = charge({ amount_refunded: 500, refunds: { object: 'list', data: [newer, older], has_more: false } });
    const delivery = stripeAdapter.toDelivery(event('charge.refunded', refunded), { headers: {} });
    expect(delivery).toMatchObject({
      ok: true,
      value: { kind: 'refund', input: { refund_id: 're_newer', amount_minor: 200, reference_number: PI } },
    });
    const reversed = stripeAdapter.toDelivery(event('charge.refunded', charge({ refunds: { data: [older, newer] } })), { headers: {} });
    expect(reversed).toMatchObject({ ok: true, value: { input: { refund_id: 're_newer' } } });
  });

  it('records nothing for a charge.refunded without its refunds list (current API versions), pointing at the refund events', () => {
    const result = stripeAdapter.toDelivery(event('charge.refunded', charge({ amount_refunded: 500 })), { headers: {} });
    expect(result).toMatchObject({ ok: false, error: { code: ErrorCode.UNSUPPORTED_EVENT_TYPE } });
    expect(result.ok ? '' : result.error.message).toContain('refund.updated');
  });

  it('refuses a refund with a malformed amount naming the field', () => {
    const result = stripeAdapter.toDelivery(event('refund.updated', refund({ amount: -5 })), { headers: {} });
    expect(result).toMatchObject({ ok: false, error: { code: ErrorCode.VALIDATION_FAILED } });
    expect(result.ok ? '' : result.error.message).toContain('data.object.amount');
  });
});

describe('stripe disputes', () => {
  it('maps charge.dispute.created to a needs_response dispute step of the payment intent', () => {
    const delivery = stripeAdapter.toDelivery(event('charge.dispute.created', dispute()), { headers: {} });
    expect(delivery).toEqual({
      ok: true,
      value: {
        kind: 'dispute',
        input: {
          reference_number: PI,
          dispute_id: 'dp_1MtJUT2eZvKYlo2CNaw2HvEv',
          amount_minor: 1099,
          currency: 'USD',
          event_time: new Date(1763805001 * 1000),
          gateway_event_id: 'evt_3MtwBwLkdIwHu7ix0Y7Qf1xS',
          dispute_status: 'needs_response',
          reason: 'fraudulent',
          evidence_due_by: new Date(1764800000 * 1000),
          gateway: 'stripe',
        },
      },
    });
    expect(normaliseDispute(delivery.ok ? delivery.value.input : null, 'webhook')).toMatchObject({ ok: true });
  });

  it.each([
    ['warning_needs_response', 'needs_response'],
    ['appeal_needs_response', 'needs_response'],
    ['warning_under_review', 'under_review'],
    ['under_review', 'under_review'],
    ['appeal_under_review', 'under_review'],
    ['won', 'won'],
    ['lost', 'lost'],
    ['warning_closed', 'withdrawn'],
    ['prevented', 'withdrawn'],
    ['charge_refunded', 'withdrawn'],
  ])('maps the dispute status %s to %s', (status, mapped) => {
    const delivery = stripeAdapter.toDelivery(event('charge.dispute.updated', dispute({ status })), { headers: {} });
    expect(delivery).toMatchObject({ ok: true, value: { input: { dispute_status: mapped } } });
    expect(DISPUTE_STATUSES).toContain(mapped);
  });

  it('keys a dispute by its charge when there is no payment intent; reasons outside the vocabulary are other', () => {
    const delivery = stripeAdapter.toDelivery(
      event(
        'charge.dispute.closed',
        dispute({ payment_intent: null, reason: 'bank_cannot_process', status: 'lost', evidence_details: null }),
      ),
      { headers: {} },
    );
    expect(delivery).toMatchObject({
      ok: true,
      value: { input: { reference_number: CH, reason: 'other', dispute_status: 'lost', evidence_due_by: null } },
    });
  });

  it('refuses an unknown dispute status naming the field', () => {
    const result = stripeAdapter.toDelivery(event('charge.dispute.updated', dispute({ status: 'pondering' })), { headers: {} });
    expect(result).toMatchObject({ ok: false, error: { code: ErrorCode.VALIDATION_FAILED } });
    expect(result.ok ? '' : result.error.message).toContain('data.object.status');
  });
});

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node: Record<string, unknown> = target;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path[path.length - 1] as string] = value;
}
