import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../core/errors.js';
import { DISPUTE_STATUSES, FAILURE_CATEGORIES } from '../../../contracts/index.js';
import { normaliseDispute, normaliseRefund } from '../../../recorder/ledger-delivery.js';
import { normalisePayment } from '../../../recorder/payment.js';
import { RAZORPAY_FAILURE_REASONS, razorpayAdapter } from './razorpay-adapter.js';

/** The adapter's payment delivery, or its failure (a refund or dispute delivery fails the test). */
function toPaymentInput(body: unknown) {
  const delivery = razorpayAdapter.toDelivery(body, { headers: {} });
  if (!delivery.ok) return delivery;
  if (delivery.value.kind !== 'payment') throw new Error(`expected a payment delivery, got ${delivery.value.kind}`);
  return { ok: true as const, value: delivery.value.input };
}

// Shaped after Razorpay's documented payment.captured webhook, with the personal fields it carries.
function capturedWebhook(entity: Record<string, unknown> = {}, event = 'payment.captured') {
  return {
    entity: 'event',
    account_id: 'acc_BFQ7uQEaa7j2z7',
    event,
    contains: ['payment'],
    payload: {
      payment: {
        entity: {
          id: 'pay_DESlfW9H8K9uqM',
          entity: 'payment',
          amount: 150050,
          currency: 'INR',
          base_amount: 150050,
          status: 'captured',
          order_id: 'order_DESlLckIVRkHWj',
          invoice_id: null,
          international: false,
          method: 'upi',
          amount_refunded: 0,
          refund_status: null,
          captured: true,
          description: 'EMI for loan LN0012345',
          card_id: null,
          bank: null,
          wallet: null,
          vpa: 'gaurav.kumar@exampleupi',
          email: 'gaurav.kumar@example.com',
          contact: '+919876543210',
          customer_id: 'cust_DtHaBuooGHTuyZ',
          notes: { loan_account_number: 'LN0012345', cif: 'CIF998877', merchant_id: 'M-042', region: 'south', country: 'in' },
          fee: 3540,
          tax: 540,
          error_code: null,
          error_description: null,
          error_source: null,
          error_step: null,
          error_reason: null,
          acquirer_data: { rrn: '428573957362', upi_transaction_id: 'AXI2a1b2c3' },
          created_at: 1763805000,
          ...entity,
        },
      },
    },
    created_at: 1763805012,
  };
}

const failedWebhook = capturedWebhook(
  {
    status: 'failed',
    method: 'card',
    captured: false,
    fee: null,
    tax: null,
    notes: [],
    error_code: 'BAD_REQUEST_ERROR',
    error_description: 'Payment failed because the card was declined by the issuing bank',
    error_source: 'bank',
    error_step: 'payment_authorization',
    error_reason: 'card_declined',
  },
  'payment.failed',
);

// The adapter's job is a well-formed input; the configurable business rules (zero amounts, dates
// ahead) are the recorder's and are tested there, so they are relaxed here.
const normalise = (input: unknown) =>
  normalisePayment(input, {
    source: 'webhook',
    defaultCurrency: 'INR',
    rules: { allowZeroAmount: true, maxFutureSkewMs: Number.MAX_SAFE_INTEGER },
  });

describe('razorpay adapter', () => {
  it('names its channel razorpay', () => {
    expect(razorpayAdapter.channel).toBe('razorpay');
  });

  it('maps a payment.captured webhook to the canonical payment', () => {
    const input = toPaymentInput(capturedWebhook());
    expect(input).toEqual({
      ok: true,
      value: {
        reference_number: 'pay_DESlfW9H8K9uqM',
        amount_minor: 150050,
        currency: 'INR',
        status: 'captured',
        payment_date: new Date('2025-11-22T09:50:00Z'),
        // The envelope's created_at (12 s later), not the payment entity's: when this event happened.
        event_time: new Date('2025-11-22T09:50:12Z'),
        gateway_event_id: null,
        payment_channel: 'razorpay',
        gateway: 'razorpay',
        payment_method: 'upi',
        gateway_txn_id: 'pay_DESlfW9H8K9uqM',
        order_id: 'order_DESlLckIVRkHWj',
        customer_id: 'cust_DtHaBuooGHTuyZ',
        loan_account_number: 'LN0012345',
        cif: 'CIF998877',
        merchant_id: 'M-042',
        region: 'south',
        country: 'IN',
        fee_minor: 3540,
        tax_minor: 540,
        failure_reason: null,
        failure_code: null,
        failure_category: null,
        metadata: { account_id: 'acc_BFQ7uQEaa7j2z7', event: 'payment.captured' },
      },
    });
    const payment = normalise(input.ok ? input.value : null);
    expect(payment).toMatchObject({ ok: true, value: { amount_minor: 150050, currency: 'INR', source: 'webhook', status: 'captured' } });
  });

  it('keeps the customer’s email, phone and UPI address out of the mapped payment', () => {
    const text = JSON.stringify(toPaymentInput(capturedWebhook()));
    expect(text).not.toContain('gaurav.kumar');
    expect(text).not.toContain('+919876543210');
  });

  it('maps a payment.failed webhook with its reason and Razorpay’s empty notes array', () => {
    const input = toPaymentInput(failedWebhook);
    expect(input).toMatchObject({
      ok: true,
      value: {
        status: 'failed',
        payment_method: 'card',
        failure_reason: 'Payment failed because the card was declined by the issuing bank',
        fee_minor: null,
        tax_minor: null,
        loan_account_number: null,
        failure_code: 'card_declined',
        failure_category: 'other',
        metadata: {
          account_id: 'acc_BFQ7uQEaa7j2z7',
          event: 'payment.failed',
          error_code: 'BAD_REQUEST_ERROR',
          error_source: 'bank',
          error_step: 'payment_authorization',
        },
      },
    });
    expect(normalise(input.ok ? input.value : null).ok).toBe(true);
  });

  it.each([
    ['insufficient_funds', 'insufficient_funds'],
    ['incorrect_pin', 'authentication'],
    ['invalid_otp', 'authentication'],
    ['bank_technical_error', 'issuer_unavailable'],
    ['payment_cancelled', 'customer_cancelled'],
    ['payment_timed_out', 'expired'],
    ['payment_risk_check_failed', 'risk_declined'],
    ['some_reason_razorpay_adds_later', 'other'],
  ])('maps error_reason %s to failure_code %s and category %s', (reason, category) => {
    const input = toPaymentInput(
      capturedWebhook({ status: 'failed', error_code: 'BAD_REQUEST_ERROR', error_reason: reason }, 'payment.failed'),
    );
    expect(input).toMatchObject({ ok: true, value: { failure_code: reason, failure_category: category } });
    expect(normalise(input.ok ? input.value : null)).toMatchObject({
      ok: true,
      value: { failure_code: reason, failure_category: category },
    });
  });

  it('falls back to error_code when a failure has no error_reason, and sets no category on a success', () => {
    const failed = toPaymentInput(capturedWebhook({ status: 'failed', error_code: 'GATEWAY_ERROR' }, 'payment.failed'));
    expect(failed).toMatchObject({ ok: true, value: { failure_code: 'GATEWAY_ERROR', failure_category: 'issuer_unavailable' } });
    const captured = toPaymentInput(capturedWebhook({ error_reason: 'insufficient_funds' }));
    expect(captured).toMatchObject({ ok: true, value: { failure_code: null, failure_category: null } });
  });

  it('maps every reason in its table to a category of the vocabulary', () => {
    for (const [reason, category] of Object.entries(RAZORPAY_FAILURE_REASONS)) {
      expect(reason, 'table keys are lower case').toBe(reason.toLowerCase());
      expect(FAILURE_CATEGORIES).toContain(category);
    }
  });

  it('maps payment.authorized to authorized', () => {
    const input = toPaymentInput(capturedWebhook({ status: 'authorized', captured: false, fee: null }, 'payment.authorized'));
    expect(input).toMatchObject({ ok: true, value: { status: 'authorized', fee_minor: null } });
  });

  it('takes three-decimal and zero-decimal amounts as ISO minor units', () => {
    const kwd = toPaymentInput(capturedWebhook({ currency: 'KWD', amount: 295990 }));
    expect(normalise(kwd.ok ? kwd.value : null)).toMatchObject({ ok: true, value: { amount_minor: 295990, currency: 'KWD' } });
    const jpy = toPaymentInput(capturedWebhook({ currency: 'jpy', amount: 295 }));
    expect(jpy).toMatchObject({ ok: true, value: { amount_minor: 295, currency: 'JPY' } });
  });

  it('leaves out notes that do not fit their field and names them without their values', () => {
    const input = toPaymentInput(
      capturedWebhook({ notes: { loan_account_number: 'L'.repeat(21), country: 'India', cif: 12345678, region: { nested: true } } }),
    );
    expect(input).toMatchObject({
      ok: true,
      value: {
        loan_account_number: null,
        country: null,
        cif: '12345678',
        region: null,
        metadata: { ignored_notes: ['loan_account_number', 'region', 'country'] },
      },
    });
    expect(JSON.stringify(input)).not.toContain('India');
  });

  it.each(['order.paid', 'refund.created', 'refund.failed'])('rejects the unmapped event %s and lists the supported ones', (event) => {
    const result = toPaymentInput({ ...capturedWebhook(), event });
    expect(result).toMatchObject({ ok: false, error: { code: ErrorCode.UNSUPPORTED_EVENT_TYPE, details: { event } } });
    const message = result.ok ? '' : result.error.message;
    for (const supported of ['payment.authorized', 'payment.captured', 'payment.failed', 'refund.processed', 'payment.dispute.won']) {
      expect(message).toContain(supported);
    }
  });

  it('reads the event id from the x-razorpay-event-id header', () => {
    const delivery = razorpayAdapter.toDelivery(capturedWebhook(), { headers: { 'x-razorpay-event-id': 'KxPq8QcN0ztVPl' } });
    expect(delivery).toMatchObject({ ok: true, value: { kind: 'payment', input: { gateway_event_id: 'KxPq8QcN0ztVPl' } } });
    const repeated = razorpayAdapter.toDelivery(capturedWebhook(), { headers: { 'x-razorpay-event-id': ['Kx1', 'Kx2'] } });
    expect(repeated).toMatchObject({ ok: true, value: { input: { gateway_event_id: 'Kx1' } } });
    // An id that cannot be stored only loses the label; the payment is still recorded.
    const unstorable = razorpayAdapter.toDelivery(capturedWebhook(), { headers: { 'x-razorpay-event-id': 'a\u0000b' } });
    expect(unstorable).toMatchObject({ ok: true, value: { input: { gateway_event_id: null } } });
  });

  it("takes the payment's created_at as the event time when a hand-made webhook leaves the envelope's out", () => {
    const { created_at: _omitted, ...body } = capturedWebhook();
    const result = toPaymentInput(body);
    expect(result).toMatchObject({ ok: true, value: { event_time: new Date(1763805000 * 1000) } });
  });

  it('rejects an amount that is not an integer and names the field path', () => {
    const result = toPaymentInput(capturedWebhook({ amount: 1500.5 }));
    expect(result).toMatchObject({ ok: false, error: { code: ErrorCode.VALIDATION_FAILED } });
    expect(result.ok ? '' : result.error.message).toContain('payload.payment.entity.amount');
  });

  it('rejects a body without an event name or without the payment entity', () => {
    expect(toPaymentInput({ payload: {} })).toMatchObject({ ok: false, error: { code: ErrorCode.VALIDATION_FAILED } });
    const result = toPaymentInput({ event: 'payment.captured', payload: {} });
    expect(result.ok ? '' : result.error.message).toContain('payload.payment');
    expect(toPaymentInput([])).toMatchObject({ ok: false, error: { code: ErrorCode.VALIDATION_FAILED } });
  });

  it('never throws on arbitrary JSON and answers ok or a Failure', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        const result = razorpayAdapter.toDelivery(body, { headers: {} });
        if (!result.ok) expect([ErrorCode.VALIDATION_FAILED, ErrorCode.UNSUPPORTED_EVENT_TYPE]).toContain(result.error.code);
      }),
    );
  });

  it('never throws when any field of a real webhook is replaced by arbitrary JSON', () => {
    const paths = [['event'], ['account_id'], ['payload'], ['payload', 'payment'], ['payload', 'payment', 'entity']];
    const entityKeys = Object.keys(capturedWebhook().payload.payment.entity).map((k) => ['payload', 'payment', 'entity', k]);
    fc.assert(
      fc.property(fc.constantFrom(...paths, ...entityKeys), fc.jsonValue(), (path, value) => {
        const body = structuredClone(capturedWebhook()) as Record<string, unknown>;
        setPath(body, path, value);
        const result = toPaymentInput(body);
        expect(typeof result.ok).toBe('boolean');
      }),
    );
    for (const fixture of [refundProcessedWebhook(), disputeWebhook()]) {
      const kind = Object.keys(fixture.payload).find((k) => k !== 'payment') as string;
      const keys = Object.keys((fixture.payload as Record<string, { entity: object }>)[kind]?.entity ?? {});
      fc.assert(
        fc.property(
          fc.constantFrom(['created_at'], ['payload', kind], ...keys.map((k) => ['payload', kind, 'entity', k])),
          fc.jsonValue(),
          (path, value) => {
            const body = structuredClone(fixture) as Record<string, unknown>;
            setPath(body, path, value);
            const result = razorpayAdapter.toDelivery(body, { headers: {} });
            if (!result.ok) expect([ErrorCode.VALIDATION_FAILED, ErrorCode.UNSUPPORTED_EVENT_TYPE]).toContain(result.error.code);
          },
        ),
      );
    }
  });

  it('maps every well-formed payment, whatever its notes hold, to an input the recorder accepts', () => {
    fc.assert(
      fc.property(
        fc.record({
          id: fc.stringMatching(/^pay_[A-Za-z0-9]{14}$/),
          amount: fc.integer({ min: 0, max: 10 ** 12 }),
          currency: fc.constantFrom('INR', 'USD', 'KWD', 'JPY', 'EUR'),
          method: fc.option(fc.constantFrom('upi', 'card', 'netbanking', 'wallet', 'emi'), { nil: null }),
          fee: fc.option(fc.integer({ min: 0, max: 10 ** 6 }), { nil: null }),
          created_at: fc.integer({ min: 0, max: 4_000_000_000 }),
          notes: fc.dictionary(
            fc.constantFrom('loan_account_number', 'cif', 'merchant_id', 'customer_id', 'region', 'country', 'x'),
            fc.jsonValue(),
          ),
          // Any UTF-16 code units, lone surrogates and NUL included: the description is cleaned, never fatal.
          error_description: fc.option(
            fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 2000 }),
            {
              nil: null,
            },
          ),
        }),
        fc.constantFrom('payment.captured', 'payment.failed', 'payment.authorized'),
        (entity, event) => {
          const input = toPaymentInput(capturedWebhook(entity, event));
          expect(input.ok).toBe(true);
          expect(normalise(input.ok ? input.value : null)).toMatchObject({ ok: true });
        },
      ),
    );
  });
});

// Razorpay's documented refund.processed sample: the refund entity and the refunded payment.
function refundProcessedWebhook(refund: Record<string, unknown> = {}, payment: Record<string, unknown> = {}) {
  return {
    entity: 'event',
    account_id: 'acc_BFQ7uQEaa7j2z7',
    event: 'refund.processed',
    contains: ['refund', 'payment'],
    payload: {
      refund: {
        entity: {
          id: 'rfnd_FS8TWyPrCsa0OB',
          entity: 'refund',
          amount: 50000,
          currency: 'INR',
          payment_id: 'pay_DESlfW9H8K9uqM',
          notes: { comment: 'Customer Notes for Webhooks.' },
          receipt: null,
          acquirer_data: { arn: '10000000000000' },
          created_at: 1763900000,
          batch_id: null,
          status: 'processed',
          speed_processed: 'normal',
          speed_requested: 'optimum',
          ...refund,
        },
      },
      payment: { entity: { ...capturedWebhook().payload.payment.entity, amount_refunded: 50000, refund_status: 'partial', ...payment } },
    },
    created_at: 1763900042,
  };
}

// Razorpay's dispute entity (api/disputes/entity) inside its webhook envelope.
function disputeWebhook(event = 'payment.dispute.created', dispute: Record<string, unknown> = {}) {
  return {
    entity: 'event',
    account_id: 'acc_BFQ7uQEaa7j2z7',
    event,
    contains: ['payment', 'dispute'],
    payload: {
      payment: { entity: capturedWebhook().payload.payment.entity },
      dispute: {
        entity: {
          id: 'disp_AHfqOvkldwsbqt',
          entity: 'dispute',
          payment_id: 'pay_DESlfW9H8K9uqM',
          amount: 150050,
          currency: 'INR',
          amount_deducted: 0,
          reason_code: 'chargeback',
          respond_by: 1764604200,
          status: 'open',
          phase: 'chargeback',
          created_at: 1764059211,
          evidence: { amount: 150050, summary: null, shipping_proof: null },
          ...dispute,
        },
      },
    },
    created_at: 1764059300,
  };
}

describe('razorpay refunds', () => {
  it('maps refund.processed to a refund of the pay_ reference with the envelope time and the header event id', () => {
    const delivery = razorpayAdapter.toDelivery(refundProcessedWebhook(), { headers: { 'x-razorpay-event-id': 'Kx9RfNd' } });
    expect(delivery).toEqual({
      ok: true,
      value: {
        kind: 'refund',
        input: {
          reference_number: 'pay_DESlfW9H8K9uqM',
          refund_id: 'rfnd_FS8TWyPrCsa0OB',
          amount_minor: 50000,
          currency: 'INR',
          event_time: new Date(1763900042 * 1000),
          gateway_event_id: 'Kx9RfNd',
          reason: 'other',
          gateway: 'razorpay',
        },
      },
    });
    expect(normaliseRefund(delivery.ok ? delivery.value.input : null, 'webhook')).toMatchObject({ ok: true });
  });

  it('takes the reason from notes.reason when it is a refund reason, any case', () => {
    const known = razorpayAdapter.toDelivery(refundProcessedWebhook({ notes: { reason: ' Duplicate ' } }), { headers: {} });
    expect(known).toMatchObject({ ok: true, value: { input: { reason: 'duplicate' } } });
    const unknown = razorpayAdapter.toDelivery(refundProcessedWebhook({ notes: { reason: 'changed mind' } }), { headers: {} });
    expect(unknown).toMatchObject({ ok: true, value: { input: { reason: 'other' } } });
    const empty = razorpayAdapter.toDelivery(refundProcessedWebhook({ notes: [] }), { headers: {} });
    expect(empty).toMatchObject({ ok: true, value: { input: { reason: 'other' } } });
  });

  it('maps a refund without the payment entity, and lower-case currencies upper-cased', () => {
    const body = refundProcessedWebhook({ currency: 'usd' }) as { payload: Record<string, unknown> };
    delete body.payload.payment;
    expect(razorpayAdapter.toDelivery(body, { headers: {} })).toMatchObject({
      ok: true,
      value: { kind: 'refund', input: { currency: 'USD', reference_number: 'pay_DESlfW9H8K9uqM' } },
    });
  });

  it('maps an auto-refund of a never-captured payment to the payment being cancelled', () => {
    const delivery = razorpayAdapter.toDelivery(refundProcessedWebhook({ amount: 150050 }, { captured: false, status: 'refunded' }), {
      headers: {},
    });
    expect(delivery).toMatchObject({
      ok: true,
      value: {
        kind: 'payment',
        input: {
          reference_number: 'pay_DESlfW9H8K9uqM',
          status: 'cancelled',
          amount_minor: 150050,
          payment_date: new Date('2025-11-22T09:50:00Z'),
          event_time: new Date(1763900042 * 1000),
        },
      },
    });
  });

  it('refuses a refund without its payment id or with a fractional amount, naming the field', () => {
    const noPayment = razorpayAdapter.toDelivery(refundProcessedWebhook({ payment_id: '' }), { headers: {} });
    expect(noPayment).toMatchObject({ ok: false, error: { code: ErrorCode.VALIDATION_FAILED } });
    expect(noPayment.ok ? '' : noPayment.error.message).toContain('payload.refund.entity.payment_id');
    const fraction = razorpayAdapter.toDelivery(refundProcessedWebhook({ amount: 12.5 }), { headers: {} });
    expect(fraction.ok ? '' : fraction.error.message).toContain('payload.refund.entity.amount');
    const missing = razorpayAdapter.toDelivery({ event: 'refund.processed', created_at: 1, payload: {} }, { headers: {} });
    expect(missing.ok ? '' : missing.error.message).toContain('payload.refund');
  });
});

describe('razorpay disputes', () => {
  it('maps payment.dispute.created to needs_response with the evidence deadline', () => {
    const delivery = razorpayAdapter.toDelivery(disputeWebhook(), { headers: { 'x-razorpay-event-id': 'KxDsp1' } });
    expect(delivery).toEqual({
      ok: true,
      value: {
        kind: 'dispute',
        input: {
          reference_number: 'pay_DESlfW9H8K9uqM',
          dispute_id: 'disp_AHfqOvkldwsbqt',
          amount_minor: 150050,
          currency: 'INR',
          event_time: new Date(1764059300 * 1000),
          gateway_event_id: 'KxDsp1',
          dispute_status: 'needs_response',
          reason: 'other',
          evidence_due_by: new Date(1764604200 * 1000),
          gateway: 'razorpay',
        },
      },
    });
    expect(normaliseDispute(delivery.ok ? delivery.value.input : null, 'webhook')).toMatchObject({ ok: true });
  });

  it.each([
    ['payment.dispute.action_required', 'needs_response'],
    ['payment.dispute.under_review', 'under_review'],
    ['payment.dispute.won', 'won'],
    ['payment.dispute.lost', 'lost'],
    ['payment.dispute.closed', 'withdrawn'],
  ])('maps %s to dispute_status %s (from the event, whatever the entity status says)', (event, status) => {
    const delivery = razorpayAdapter.toDelivery(disputeWebhook(event, { status: 'open' }), { headers: {} });
    expect(delivery).toMatchObject({ ok: true, value: { kind: 'dispute', input: { dispute_status: status } } });
    expect(DISPUTE_STATUSES).toContain(status);
  });

  it.each([
    ['fraud', 'fraudulent'],
    ['FRAUDULENT', 'fraudulent'],
    ['product_not_received', 'product_not_received'],
    ['chargeback', 'other'],
    [null, 'other'],
  ])('maps reason_code %s to reason %s', (code, reason) => {
    const delivery = razorpayAdapter.toDelivery(disputeWebhook('payment.dispute.created', { reason_code: code }), { headers: {} });
    expect(delivery).toMatchObject({ ok: true, value: { input: { reason } } });
  });

  it('keeps a dispute without respond_by, and refuses one without its id naming the field', () => {
    const noDeadline = razorpayAdapter.toDelivery(disputeWebhook('payment.dispute.won', { respond_by: null }), { headers: {} });
    expect(noDeadline).toMatchObject({ ok: true, value: { input: { evidence_due_by: null } } });
    const noId = razorpayAdapter.toDelivery(disputeWebhook('payment.dispute.won', { id: 7 }), { headers: {} });
    expect(noId).toMatchObject({ ok: false, error: { code: ErrorCode.VALIDATION_FAILED } });
    expect(noId.ok ? '' : noId.error.message).toContain('payload.dispute.entity.id');
  });
});

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node: Record<string, unknown> = target;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path[path.length - 1] as string] = value;
}
