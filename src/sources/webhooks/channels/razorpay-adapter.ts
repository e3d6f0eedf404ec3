import { z } from 'zod';
import { DISPUTE_REASONS, type FailureCodeTable, REFUND_REASONS, categoriseFailure } from '../../../contracts/index.js';
import { type Failure, type Result, ok } from '../../../core/errors.js';
import type { DeliveryInput, DisputeInput, RefundInput } from '../../../recorder/ledger-delivery.js';
import type { PaymentInput, PaymentStatus } from '../../../recorder/payment.js';
import {
  type ChannelAdapter,
  type DeliveryContext,
  clipText,
  dateOfUnixSeconds,
  eventIdFromHeader,
  memberOf,
  parseChannelEvent,
  referenceFieldsFromNotes,
} from './channel-port.js';

/**
 * Razorpay webhooks: a payment's status, its refunds and its disputes.
 * Amounts are integers in the currency's smallest unit, which for Razorpay is the ISO 4217 minor
 * unit (paise for INR, 3 decimals for KWD, none for JPY), so they pass through unchanged.
 *
 * Every delivery carries the gateway's event time — the envelope's top-level `created_at`, not
 * the entity's `created_at` (the payment's creation, the same for all its events) — which orders a
 * payment's deliveries in the ledger, and the event id Razorpay sends only as the
 * `x-razorpay-event-id` header. `payment_date` stays the payment's own creation time.
 *
 * Status comes from the event, not from `entity.status`: the event says what happened, while
 * the entity is a snapshot that a late delivery may show in a later state.
 *   payment.authorized → authorized   (bank approved, money not yet taken)
 *   payment.captured   → captured     (money taken; Razorpay's terminal success)
 *   payment.failed     → failed
 *
 * Refunds: only `refund.processed` records one (kind refund, reference = the refund's `payment_id`,
 * the pay_… id the payment is recorded under). `refund.created` only says a refund was initiated —
 * it may still end in `refund.failed` — and recording it would count money as returned that never
 * was, so it is not mapped (answered `ignored`). An auto-refund — Razorpay returning a payment it
 * authorised but that was never captured (`payload.payment.entity.captured` false) — returns no
 * captured money: it is mapped as the payment's `cancelled` status, which is what happened to it.
 *
 * Disputes (kind dispute, reference = `payment_id`), status from the event:
 *   payment.dispute.created, payment.dispute.action_required → needs_response
 *   payment.dispute.under_review → under_review
 *   payment.dispute.won → won, payment.dispute.lost → lost
 *   payment.dispute.closed → withdrawn (closed without a chargeback, e.g. a fraud alert answered)
 * `reason_code` becomes the reason when it is one of Payscope's (`fraud` is `fraudulent`), else `other`;
 * `respond_by` is the evidence deadline.
 *
 * Only the fields read below are declared; zod drops the rest, so the customer's email and phone
 * (`email`, `contact`) never leave this function.
 */

const PAYMENT_EVENTS = ['payment.authorized', 'payment.captured', 'payment.failed'] as const;
const DISPUTE_EVENTS = [
  'payment.dispute.created',
  'payment.dispute.action_required',
  'payment.dispute.under_review',
  'payment.dispute.won',
  'payment.dispute.lost',
  'payment.dispute.closed',
] as const;
const RAZORPAY_EVENTS = [...PAYMENT_EVENTS, 'refund.processed', ...DISPUTE_EVENTS] as const;
type PaymentEvent = (typeof PAYMENT_EVENTS)[number];
type DisputeEvent = (typeof DISPUTE_EVENTS)[number];

const STATUS_OF_EVENT: Readonly<Record<PaymentEvent, PaymentStatus>> = {
  'payment.authorized': 'authorized',
  'payment.captured': 'captured',
  'payment.failed': 'failed',
};

const DISPUTE_STATUS_OF_EVENT: Readonly<Record<DisputeEvent, DisputeInput['dispute_status']>> = {
  'payment.dispute.created': 'needs_response',
  'payment.dispute.action_required': 'needs_response',
  'payment.dispute.under_review': 'under_review',
  'payment.dispute.won': 'won',
  'payment.dispute.lost': 'lost',
  'payment.dispute.closed': 'withdrawn',
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
const currency = z.string().regex(/^[A-Za-z]{3}$/, { message: 'must be a three-letter ISO 4217 code' });
// Razorpay (a PHP service) sends an empty notes object as [].
const notes = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown()).length(0)]).nullish();

const paymentEntitySchema = z.object({
  id: z.string().min(1, { message: 'must be the payment id (pay_…)' }),
  amount: minorUnits,
  currency,
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
  notes,
  captured: z.boolean().nullish(),
  created_at: unixSeconds,
});
type PaymentEntity = z.infer<typeof paymentEntitySchema>;

const refundEntitySchema = z.object({
  id: z.string().min(1, { message: 'must be the refund id (rfnd_…)' }),
  payment_id: z.string().min(1, { message: 'must be the refunded payment id (pay_…)' }),
  amount: minorUnits,
  currency,
  notes,
  created_at: unixSeconds,
});

const disputeEntitySchema = z.object({
  id: z.string().min(1, { message: 'must be the dispute id (disp_…)' }),
  payment_id: z.string().min(1, { message: 'must be the disputed payment id (pay_…)' }),
  amount: minorUnits,
  currency,
  reason_code: z.string().nullish(),
  respond_by: unixSeconds.nullish(),
  created_at: unixSeconds,
});

// The envelope's created_at is when Razorpay raised this event: the ledger's event time. Razorpay
// always sends it; a body without it (a hand-made test event) falls back to its entity's created_at.
const envelope = { account_id: z.string().nullish(), created_at: unixSeconds.nullish() };
const webhookSchema = z.discriminatedUnion('event', [
  z.object({ ...envelope, event: z.enum(PAYMENT_EVENTS), payload: z.object({ payment: z.object({ entity: paymentEntitySchema }) }) }),
  z.object({
    ...envelope,
    event: z.literal('refund.processed'),
    payload: z.object({
      refund: z.object({ entity: refundEntitySchema }),
      payment: z.object({ entity: paymentEntitySchema }).nullish(),
    }),
  }),
  z.object({ ...envelope, event: z.enum(DISPUTE_EVENTS), payload: z.object({ dispute: z.object({ entity: disputeEntitySchema }) }) }),
]);
type RazorpayWebhook = z.infer<typeof webhookSchema>;

/** Maps a Razorpay webhook to a payment status, a refund or a dispute step. */
export const razorpayAdapter: ChannelAdapter = {
  channel: 'razorpay',
  supportedEvents: RAZORPAY_EVENTS,
  toDelivery(body: unknown, context: DeliveryContext): Result<DeliveryInput, Failure> {
    const parsed = parseChannelEvent('razorpay', body, {
      typeField: 'event',
      example: 'payment.captured',
      supported: RAZORPAY_EVENTS,
      schema: webhookSchema,
    });
    if (!parsed.ok) return parsed;
    const webhook = parsed.value;
    const entityCreatedAt =
      webhook.event === 'refund.processed'
        ? webhook.payload.refund.entity.created_at
        : 'dispute' in webhook.payload
          ? webhook.payload.dispute.entity.created_at
          : webhook.payload.payment.entity.created_at;
    const stamp: EventStamp = {
      event_time: dateOfUnixSeconds(webhook.created_at ?? entityCreatedAt),
      gateway_event_id: eventIdFromHeader(context.headers, 'x-razorpay-event-id'),
    };
    switch (webhook.event) {
      case 'refund.processed': {
        const { refund } = webhook.payload;
        const payment = webhook.payload.payment?.entity;
        // An auto-refund releases an authorisation that was never captured: no captured money to return.
        if (payment?.captured === false && payment.id === refund.entity.payment_id) {
          return ok({ kind: 'payment', input: paymentInput(payment, 'cancelled', webhook, stamp) });
        }
        return ok({ kind: 'refund', input: refundInput(refund.entity, stamp) });
      }
      case 'payment.authorized':
      case 'payment.captured':
      case 'payment.failed':
        return ok({ kind: 'payment', input: paymentInput(webhook.payload.payment.entity, STATUS_OF_EVENT[webhook.event], webhook, stamp) });
      default:
        return ok({ kind: 'dispute', input: disputeInput(webhook.payload.dispute.entity, DISPUTE_STATUS_OF_EVENT[webhook.event], stamp) });
    }
  },
};

interface EventStamp {
  event_time: Date;
  gateway_event_id: string | null;
}

function paymentInput(payment: PaymentEntity, status: PaymentStatus, webhook: RazorpayWebhook, stamp: EventStamp): PaymentInput {
  const notesObject = Array.isArray(payment.notes) ? null : payment.notes;
  const { fields, ignored } = referenceFieldsFromNotes(notesObject);
  const failed = status === 'failed';
  return {
    reference_number: payment.id,
    amount_minor: payment.amount,
    currency: payment.currency.toUpperCase(),
    status,
    payment_date: dateOfUnixSeconds(payment.created_at),
    event_time: stamp.event_time,
    gateway_event_id: stamp.gateway_event_id,
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
      account_id: webhook.account_id ?? null,
      event: webhook.event,
      ...(payment.error_code ? { error_code: clipText(payment.error_code, 100) } : {}),
      ...(payment.error_source ? { error_source: clipText(payment.error_source, 100) } : {}),
      ...(payment.error_step ? { error_step: clipText(payment.error_step, 100) } : {}),
      ...(ignored.length > 0 ? { ignored_notes: ignored } : {}),
    },
  };
}

function refundInput(refund: z.infer<typeof refundEntitySchema>, stamp: EventStamp): RefundInput {
  const reason = Array.isArray(refund.notes) ? undefined : refund.notes?.reason;
  return {
    reference_number: refund.payment_id,
    refund_id: refund.id,
    amount_minor: refund.amount,
    currency: refund.currency.toUpperCase(),
    ...stamp,
    // Razorpay refunds have no reason field; merchants put one in notes.reason.
    reason: memberOf(REFUND_REASONS, reason) ?? 'other',
    gateway: 'razorpay',
  };
}

function disputeInput(
  dispute: z.infer<typeof disputeEntitySchema>,
  status: DisputeInput['dispute_status'],
  stamp: EventStamp,
): DisputeInput {
  const code = dispute.reason_code?.trim().toLowerCase();
  return {
    reference_number: dispute.payment_id,
    dispute_id: dispute.id,
    amount_minor: dispute.amount,
    currency: dispute.currency.toUpperCase(),
    ...stamp,
    dispute_status: status,
    reason: code === 'fraud' ? 'fraudulent' : (memberOf(DISPUTE_REASONS, code) ?? 'other'),
    evidence_due_by: dispute.respond_by == null ? null : dateOfUnixSeconds(dispute.respond_by),
    gateway: 'razorpay',
  };
}
