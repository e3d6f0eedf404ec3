import { z } from 'zod';
import { type FailureCodeTable, categoriseFailure } from '../../../contracts/index.js';
import { type Failure, type Result, ok } from '../../../core/errors.js';
import type { DeliveryInput } from '../../../recorder/ledger-delivery.js';
import type { PaymentInput, PaymentStatus } from '../../../recorder/payment.js';
import { type ChannelAdapter, clipText, dateOfUnixSeconds, parseChannelEvent, referenceFieldsFromNotes } from './channel-port.js';

/**
 * Razorpay payment webhooks (`payment.authorized`, `payment.captured`, `payment.failed`).
 * Amounts are integers in the currency's smallest unit, which for Razorpay is the ISO 4217 minor
 * unit (paise for INR, 3 decimals for KWD, none for JPY), so they pass through unchanged.
 *
 * Status comes from the event, not from `entity.status`: the event says what happened, while
 * the entity is a snapshot that a late delivery may show in a later state.
 *   payment.authorized → authorized   (bank approved, money not yet taken)
 *   payment.captured   → captured     (money taken; Razorpay's terminal success)
 *   payment.failed     → failed
 *
 * Only the fields read below are declared; zod drops the rest, so the customer's email and phone
 * (`email`, `contact`) never leave this function.
 */

const RAZORPAY_EVENTS = ['payment.authorized', 'payment.captured', 'payment.failed'] as const;
type RazorpayEvent = (typeof RAZORPAY_EVENTS)[number];

const STATUS_OF_EVENT: Readonly<Record<RazorpayEvent, PaymentStatus>> = {
  'payment.authorized': 'authorized',
  'payment.captured': 'captured',
  'payment.failed': 'failed',
};

/**
 * Razorpay's `error_reason` (the specific reason; `error_code` is only BAD_REQUEST_ERROR,
 * GATEWAY_ERROR or SERVER_ERROR) → Payscope's failure category. An unknown reason is `other`;
 * add a row here when a new one shows up under `other` in /analytics/failure-reasons?group=code.
 */
export const RAZORPAY_FAILURE_REASONS: FailureCodeTable = {
  insufficient_funds: 'insufficient_funds',
  insufficient_balance: 'insufficient_funds',
  transaction_limit_exceeded: 'insufficient_funds',
  amount_exceeds_limit: 'insufficient_funds',
  authentication_failed: 'authentication',
  incorrect_otp: 'authentication',
  invalid_otp: 'authentication',
  incorrect_pin: 'authentication',
  invalid_pin: 'authentication',
  incorrect_cvv: 'authentication',
  card_not_enrolled: 'authentication',
  pin_attempts_exceeded: 'authentication',
  bank_technical_error: 'issuer_unavailable',
  gateway_technical_error: 'issuer_unavailable',
  server_error: 'issuer_unavailable',
  network_error: 'issuer_unavailable',
  issuer_down: 'issuer_unavailable',
  authorisation_declined_by_psp: 'issuer_unavailable',
  payment_cancelled: 'customer_cancelled',
  payment_declined_by_customer: 'customer_cancelled',
  cancelled_by_user: 'customer_cancelled',
  payment_timed_out: 'expired',
  payment_expired: 'expired',
  card_expired: 'expired',
  expired_card: 'expired',
  payment_risk_check_failed: 'risk_declined',
  fraudulent_transaction: 'risk_declined',
  card_blocked: 'risk_declined',
  payment_declined: 'other',
  card_declined: 'other',
  payment_failed: 'other',
  gateway_error: 'issuer_unavailable',
};

const unixSeconds = z.number().int().nonnegative({ message: 'must be unix seconds' });
const minorUnits = z.number({ message: 'must be an integer in the smallest currency unit' }).int().nonnegative();

const paymentEntitySchema = z.object({
  id: z.string().min(1, { message: 'must be the payment id (pay_…)' }),
  amount: minorUnits,
  currency: z.string().regex(/^[A-Za-z]{3}$/, { message: 'must be a three-letter ISO 4217 code' }),
  order_id: z.string().nullish(),
  method: z.string().nullish(),
  fee: minorUnits.nullish(),
  tax: minorUnits.nullish(),
  customer_id: z.string().nullish(),
  error_code: z.string().nullish(),
  error_description: z.string().nullish(),
  error_reason: z.string().nullish(),
  error_source: z.string().nullish(),
  error_step: z.string().nullish(),
  // Razorpay (a PHP service) sends an empty notes object as [].
  notes: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown()).length(0)]).nullish(),
  created_at: unixSeconds,
});

const webhookSchema = z.object({
  event: z.enum(RAZORPAY_EVENTS),
  account_id: z.string().nullish(),
  payload: z.object({ payment: z.object({ entity: paymentEntitySchema }) }),
});

/** Maps a Razorpay payment webhook to the canonical PaymentInput. */
export const razorpayAdapter: ChannelAdapter = {
  channel: 'razorpay',
  supportedEvents: RAZORPAY_EVENTS,
  toDelivery(body: unknown): Result<DeliveryInput, Failure> {
    const input = toPaymentInput(body);
    return input.ok ? ok({ kind: 'payment', input: input.value }) : input;
  },
};

function toPaymentInput(body: unknown): Result<PaymentInput, Failure> {
  {
    const parsed = parseChannelEvent('razorpay', body, {
      typeField: 'event',
      example: 'payment.captured',
      supported: RAZORPAY_EVENTS,
      schema: webhookSchema,
    });
    if (!parsed.ok) return parsed;

    const { event, account_id: accountId } = parsed.value;
    const payment = parsed.value.payload.payment.entity;
    const notes = Array.isArray(payment.notes) ? null : payment.notes;
    const { fields, ignored } = referenceFieldsFromNotes(notes);
    const failed = event === 'payment.failed';

    return ok({
      reference_number: payment.id,
      amount_minor: payment.amount,
      currency: payment.currency.toUpperCase(),
      status: STATUS_OF_EVENT[event],
      payment_date: dateOfUnixSeconds(payment.created_at),
      payment_channel: 'razorpay',
      gateway: 'razorpay',
      payment_method: clipText(payment.method, 100),
      gateway_txn_id: payment.id,
      order_id: clipText(payment.order_id, 255) ?? fields.order_id,
      customer_id: clipText(payment.customer_id, 255) ?? fields.customer_id,
      loan_account_number: fields.loan_account_number,
      cif: fields.cif,
      merchant_id: fields.merchant_id,
      region: fields.region,
      country: fields.country,
      fee_minor: payment.fee ?? null,
      tax_minor: payment.tax ?? null,
      failure_reason: failed ? clipText(payment.error_description ?? payment.error_reason ?? payment.error_code, 500) : null,
      // The reason is the specific code; error_code (BAD_REQUEST_ERROR…) only when no reason came.
      failure_code: failed ? clipText(payment.error_reason ?? payment.error_code, 100) : null,
      failure_category: failed ? (categoriseFailure(RAZORPAY_FAILURE_REASONS, payment.error_reason, payment.error_code) ?? 'other') : null,
      metadata: {
        account_id: accountId ?? null,
        event,
        ...(payment.error_code ? { error_code: clipText(payment.error_code, 100) } : {}),
        ...(payment.error_source ? { error_source: clipText(payment.error_source, 100) } : {}),
        ...(payment.error_step ? { error_step: clipText(payment.error_step, 100) } : {}),
        ...(ignored.length > 0 ? { ignored_notes: ignored } : {}),
      },
    });
  }
}
