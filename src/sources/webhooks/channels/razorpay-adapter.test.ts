import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../core/errors.js';
import { normalisePayment } from '../../../recorder/payment.js';
import { FAILURE_CATEGORIES } from '../../../contracts/index.js';
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

  it('rejects an unsupported event type and lists the supported ones', () => {
    const result = toPaymentInput({ ...capturedWebhook(), event: 'refund.processed' });
    expect(result).toMatchObject({ ok: false, error: { code: ErrorCode.UNSUPPORTED_EVENT_TYPE } });
    const message = result.ok ? '' : result.error.message;
    for (const event of ['payment.authorized', 'payment.captured', 'payment.failed']) expect(message).toContain(event);
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
        const result = toPaymentInput(body);
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

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node: Record<string, unknown> = target;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path[path.length - 1] as string] = value;
}
