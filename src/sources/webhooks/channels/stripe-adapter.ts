import { z } from 'zod';
import {
  DISPUTE_REASONS,
  type FailureCategory,
  type FailureCodeTable,
  REFUND_REASONS,
  categoriseFailure,
} from '../../../contracts/index.js';
import { ErrorCode, type Failure, type Result, err, failure, ok } from '../../../core/errors.js';
import { currencyExponent } from '../../../core/money.js';
import type { DeliveryInput, DisputeInput } from '../../../recorder/ledger-delivery.js';
import type { PaymentInput, PaymentStatus } from '../../../recorder/payment.js';
import {
  type ChannelAdapter,
  clipText,
  dateOfUnixSeconds,
  fieldFailure,
  memberOf,
  notRecordedFailure,
  parseChannelEvent,
  referenceFieldsFromNotes,
} from './channel-port.js';

/**
 * Stripe events about charges, payment intents, refunds and disputes. One payment usually
 * produces both a `charge.succeeded` and a `payment_intent.succeeded`; both map to
 * reference_number = the payment intent id (a charge made without an intent falls back to its own
 * id), so the recorder keeps one payment, whichever event arrives first. Refunds and disputes use
 * the same rule (`payment_intent ?? charge`), so they land on the payment they belong to.
 * gateway_txn_id is the charge id.
 *
 * Every delivery carries the event's `created` as its event time (the ledger orders a payment's
 * deliveries by it) and the event id `evt_…`; `payment_date` stays the object's own `created`.
 *
 * Status:
 *   charge.succeeded                → succeeded, or authorized when `captured` is false
 *                                     (manual capture: the card was only authorised)
 *   payment_intent.amount_capturable_updated → authorized (for `amount_capturable`)
 *   charge.captured                 → captured (for `amount_captured`: a capture may be partial)
 *   payment_intent.succeeded        → succeeded
 *   charge.failed, payment_intent.payment_failed → failed
 *   payment_intent.canceled         → cancelled
 *
 * Refunds (kind refund, one per Refund `re_…`, recorded once it has `status: succeeded`):
 *   refund.created, refund.updated, charge.refund.updated → the Refund object itself. These are the
 *     events to subscribe to: each names exactly one refund, and a refund that starts `pending`
 *     (some payment methods) is recorded by the refund.updated that reports it succeeded.
 *   charge.refunded → the charge's newest refund in `refunds.data` (the one this event announces:
 *     Stripe sends one charge.refunded per refund). Since API version 2022-11-15 Stripe leaves
 *     `refunds` out of the charge, and `amount_refunded` alone cannot say which refund happened,
 *     so a charge.refunded without the list records nothing (answered `ignored`).
 * The same refund seen through two of these events is the same `refund_id`: an exact duplicate.
 * A refund not (yet) succeeded — pending, requires_action, failed, canceled — records nothing.
 *
 * Disputes (kind dispute, one per `dp_…` and status): charge.dispute.created, .updated, .closed,
 * with the dispute's `status` at event time mapped to Payscope's:
 *   warning_needs_response, needs_response, appeal_needs_response → needs_response
 *   warning_under_review, under_review, appeal_under_review → under_review
 *   won → won, lost → lost
 *   warning_closed, prevented, charge_refunded → withdrawn (ended without a chargeback; a refund
 *     that closed it is recorded by its own refund event)
 * `evidence_details.due_by` is the evidence deadline; Stripe's reason is kept when it is one of
 * Payscope's, else `other`.
 *
 * Fees are not in these events (the charge carries only a balance_transaction id), so fee_minor
 * and tax_minor stay null; settlement files fill them in.
 *
 * Stripe's minor units differ from ISO 4217 for a few currencies (ISK is two-decimal at Stripe and
 * zero-decimal in ISO; MGA the reverse), so amounts are converted to ISO minor units.
 */

const CHARGE_EVENTS = ['charge.succeeded', 'charge.failed', 'charge.captured'] as const;
const INTENT_EVENTS = [
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
  'payment_intent.amount_capturable_updated',
] as const;
const REFUND_EVENTS = ['refund.created', 'refund.updated', 'charge.refund.updated'] as const;
const DISPUTE_EVENTS = ['charge.dispute.created', 'charge.dispute.updated', 'charge.dispute.closed'] as const;
const STRIPE_EVENTS = [...CHARGE_EVENTS, ...INTENT_EVENTS, 'charge.refunded', ...REFUND_EVENTS, ...DISPUTE_EVENTS] as const;

const STATUS_OF_INTENT_EVENT: Readonly<Record<(typeof INTENT_EVENTS)[number], PaymentStatus>> = {
  'payment_intent.succeeded': 'succeeded',
  'payment_intent.payment_failed': 'failed',
  'payment_intent.canceled': 'cancelled',
  'payment_intent.amount_capturable_updated': 'authorized',
};

const DISPUTE_STATUS_OF: Readonly<Record<string, DisputeInput['dispute_status']>> = {
  warning_needs_response: 'needs_response',
  needs_response: 'needs_response',
  appeal_needs_response: 'needs_response',
  warning_under_review: 'under_review',
  under_review: 'under_review',
  appeal_under_review: 'under_review',
  won: 'won',
  lost: 'lost',
  warning_closed: 'withdrawn',
  prevented: 'withdrawn',
  charge_refunded: 'withdrawn',
};
const STRIPE_DISPUTE_STATUSES = Object.keys(DISPUTE_STATUS_OF) as [string, ...string[]];

// https://docs.stripe.com/currencies: zero-decimal and three-decimal lists; every other currency is two-decimal.
const STRIPE_ZERO_DECIMAL = new Set('BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF'.split(' '));
const STRIPE_THREE_DECIMAL = new Set('BHD JOD KWD OMR TND'.split(' '));

/**
 * Stripe's decline codes (`last_payment_error.decline_code`, a charge's `outcome.reason`) and error
 * codes (`code`, `failure_code`) → Payscope's failure category. The decline code is tried first:
 * `card_declined` alone says nothing about why. An unknown code is `other`.
 */
export const STRIPE_FAILURE_CODES: FailureCodeTable = {
  insufficient_funds: 'insufficient_funds',
  card_velocity_exceeded: 'insufficient_funds',
  withdrawal_count_limit_exceeded: 'insufficient_funds',
  authentication_required: 'authentication',
  payment_intent_authentication_failure: 'authentication',
  incorrect_cvc: 'authentication',
  invalid_cvc: 'authentication',
  incorrect_pin: 'authentication',
  invalid_pin: 'authentication',
  offline_pin_required: 'authentication',
  online_or_offline_pin_required: 'authentication',
  pin_try_exceeded: 'authentication',
  issuer_not_available: 'issuer_unavailable',
  processing_error: 'issuer_unavailable',
  try_again_later: 'issuer_unavailable',
  reenter_transaction: 'issuer_unavailable',
  payment_method_provider_timeout: 'issuer_unavailable',
  payment_method_customer_decline: 'customer_cancelled',
  expired_card: 'expired',
  payment_intent_payment_attempt_expired: 'expired',
  fraudulent: 'risk_declined',
  lost_card: 'risk_declined',
  stolen_card: 'risk_declined',
  pickup_card: 'risk_declined',
  restricted_card: 'risk_declined',
  security_violation: 'risk_declined',
  merchant_blacklist: 'risk_declined',
  highest_risk_level: 'risk_declined',
  elevated_risk_level: 'risk_declined',
  generic_decline: 'other',
  do_not_honor: 'other',
  card_declined: 'other',
  payment_method_provider_decline: 'other',
};

/** The most specific code first; a charge Radar blocked is a risk decline whatever its code says. */
function stripeFailure(declineCode: string | null | undefined, code: string | null | undefined, blocked = false) {
  const failureCode = clipText(declineCode ?? code, 100);
  const category: FailureCategory | null = blocked ? 'risk_declined' : categoriseFailure(STRIPE_FAILURE_CODES, declineCode, code);
  return { failureCode, failureCategory: category };
}

const unixSeconds = z.number().int().nonnegative({ message: 'must be unix seconds' });
const minorUnits = z.number({ message: 'must be an integer in the smallest currency unit' }).int().nonnegative();
const currency = z.string().regex(/^[A-Za-z]{3}$/, { message: 'must be a three-letter ISO 4217 code' });
// Webhooks send related objects as ids; an expanded object (from a re-sent API response) is read by its id.
const objectId = z.union([z.string(), z.object({ id: z.string() }).transform((o) => o.id)]).nullish();
const metadata = z.record(z.string(), z.unknown()).nullish();

const refundSchema = z.object({
  id: z.string().min(1, { message: 'must be the refund id (re_…)' }),
  amount: minorUnits,
  currency,
  charge: objectId,
  payment_intent: objectId,
  status: z.string().nullish(),
  reason: z.string().nullish(),
  created: unixSeconds,
});
type StripeRefund = z.infer<typeof refundSchema>;

const chargeSchema = z.object({
  id: z.string().min(1, { message: 'must be the charge id (ch_…)' }),
  amount: minorUnits,
  amount_captured: minorUnits.nullish(),
  currency,
  captured: z.boolean().nullish(),
  payment_intent: objectId,
  payment_method_details: z.object({ type: z.string().nullish() }).nullish(),
  customer: objectId,
  metadata,
  billing_details: z.object({ address: z.object({ country: z.string().nullish() }).nullish() }).nullish(),
  failure_code: z.string().nullish(),
  failure_message: z.string().nullish(),
  // For an issuer decline `reason` is the decline code; `type: blocked` is a Radar (risk) block.
  outcome: z.object({ type: z.string().nullish(), reason: z.string().nullish() }).nullish(),
  refunds: z.object({ data: z.array(refundSchema) }).nullish(),
  created: unixSeconds,
});

const paymentIntentSchema = z.object({
  id: z.string().min(1, { message: 'must be the payment intent id (pi_…)' }),
  amount: minorUnits,
  amount_capturable: minorUnits.nullish(),
  amount_received: minorUnits.nullish(),
  currency,
  payment_method_types: z.array(z.string()).nullish(),
  latest_charge: objectId,
  customer: objectId,
  metadata,
  last_payment_error: z.object({ code: z.string().nullish(), decline_code: z.string().nullish(), message: z.string().nullish() }).nullish(),
  created: unixSeconds,
});

const disputeSchema = z.object({
  id: z.string().min(1, { message: 'must be the dispute id (du_… or dp_…)' }),
  amount: minorUnits,
  currency,
  charge: objectId,
  payment_intent: objectId,
  reason: z.string().nullish(),
  status: z.enum(STRIPE_DISPUTE_STATUSES, { message: `must be a Stripe dispute status (${STRIPE_DISPUTE_STATUSES.join(', ')})` }),
  evidence_details: z.object({ due_by: unixSeconds.nullish() }).nullish(),
  created: unixSeconds,
});

const eventFields = {
  id: z.string().min(1, { message: 'must be the event id (evt_…)' }),
  // When Stripe raised the event: the ledger's event time. Stripe always sends it; a body without
  // it (a hand-made test event) falls back to its object's created.
  created: unixSeconds.nullish(),
  livemode: z.boolean().nullish(),
};
const chargeEventSchema = z.object({ ...eventFields, type: z.enum(CHARGE_EVENTS), data: z.object({ object: chargeSchema }) });
const paymentIntentEventSchema = z.object({ ...eventFields, type: z.enum(INTENT_EVENTS), data: z.object({ object: paymentIntentSchema }) });
const chargeRefundedEventSchema = z.object({
  ...eventFields,
  type: z.literal('charge.refunded'),
  data: z.object({ object: chargeSchema }),
});
const refundEventSchema = z.object({ ...eventFields, type: z.enum(REFUND_EVENTS), data: z.object({ object: refundSchema }) });
const disputeEventSchema = z.object({ ...eventFields, type: z.enum(DISPUTE_EVENTS), data: z.object({ object: disputeSchema }) });
const eventSchema = z.discriminatedUnion('type', [
  chargeEventSchema,
  paymentIntentEventSchema,
  chargeRefundedEventSchema,
  refundEventSchema,
  disputeEventSchema,
]);
type StripeEvent = z.infer<typeof eventSchema>;
type ChargeEvent = z.infer<typeof chargeEventSchema>;
type PaymentIntentEvent = z.infer<typeof paymentIntentEventSchema>;

/** Maps a Stripe event to a payment status, a refund or a dispute step. */
export const stripeAdapter: ChannelAdapter = {
  channel: 'stripe',
  supportedEvents: STRIPE_EVENTS,
  toDelivery(body: unknown): Result<DeliveryInput, Failure> {
    const parsed = parseChannelEvent('stripe', body, {
      typeField: 'type',
      example: 'charge.succeeded',
      supported: STRIPE_EVENTS,
      schema: eventSchema,
    });
    if (!parsed.ok) return parsed;
    const event = parsed.value;
    switch (event.type) {
      case 'charge.succeeded':
      case 'charge.failed':
      case 'charge.captured':
        return asPayment(chargeInput(event as ChargeEvent));
      case 'charge.refunded':
        return chargeRefundedInput(event);
      case 'refund.created':
      case 'refund.updated':
      case 'charge.refund.updated': {
        const refund = event.data.object;
        const reference = refund.payment_intent ?? refund.charge;
        if (!reference)
          return err(fieldFailure('stripe', 'data.object.charge', 'must be the refunded charge (ch_…) when payment_intent is absent'));
        return refundInput(event, refund, reference);
      }
      case 'charge.dispute.created':
      case 'charge.dispute.updated':
      case 'charge.dispute.closed':
        return disputeInput(event);
      default:
        return asPayment(paymentIntentInput(event as PaymentIntentEvent));
    }
  },
};

const asPayment = (input: Result<PaymentInput, Failure>): Result<DeliveryInput, Failure> =>
  input.ok ? ok({ kind: 'payment', input: input.value }) : input;

function chargeInput(event: ChargeEvent): Result<PaymentInput, Failure> {
  const charge = event.data.object;
  const status: PaymentStatus =
    event.type === 'charge.failed'
      ? 'failed'
      : event.type === 'charge.captured'
        ? 'captured'
        : charge.captured === false
          ? 'authorized'
          : 'succeeded';
  return canonicalInput(event, {
    reference: charge.payment_intent ?? charge.id,
    // A partial capture takes less than was authorised; record what was actually taken.
    amount: status === 'captured' ? (charge.amount_captured ?? charge.amount) : charge.amount,
    currency: charge.currency,
    status,
    created: charge.created,
    paymentMethod: charge.payment_method_details?.type ?? null,
    customer: charge.customer ?? null,
    metadata: charge.metadata,
    billingCountry: charge.billing_details?.address?.country ?? null,
    chargeId: charge.id,
    failureReason: status === 'failed' ? (charge.failure_message ?? charge.failure_code ?? null) : null,
    ...(status === 'failed'
      ? stripeFailure(
          charge.outcome?.type === 'issuer_declined' ? charge.outcome.reason : null,
          charge.failure_code,
          charge.outcome?.type === 'blocked',
        )
      : { failureCode: null, failureCategory: null }),
  });
}

function paymentIntentInput(event: PaymentIntentEvent): Result<PaymentInput, Failure> {
  const intent = event.data.object;
  const status = STATUS_OF_INTENT_EVENT[event.type];
  const failed = status === 'failed';
  const types = intent.payment_method_types ?? [];
  // A partial capture receives less than was authorised; record what was actually taken. An
  // authorisation is for what may be captured.
  const amount =
    status === 'succeeded' && intent.amount_received
      ? intent.amount_received
      : status === 'authorized' && intent.amount_capturable
        ? intent.amount_capturable
        : intent.amount;
  return canonicalInput(event, {
    reference: intent.id,
    amount,
    currency: intent.currency,
    status,
    created: intent.created,
    // The intent lists the methods it allowed, not the one used; only a single entry is certain.
    paymentMethod: types.length === 1 ? (types[0] ?? null) : null,
    customer: intent.customer ?? null,
    metadata: intent.metadata,
    billingCountry: null,
    chargeId: intent.latest_charge ?? null,
    failureReason: failed ? (intent.last_payment_error?.message ?? intent.last_payment_error?.code ?? null) : null,
    ...(failed
      ? stripeFailure(intent.last_payment_error?.decline_code, intent.last_payment_error?.code)
      : { failureCode: null, failureCategory: null }),
  });
}

function chargeRefundedInput(event: Extract<StripeEvent, { type: 'charge.refunded' }>): Result<DeliveryInput, Failure> {
  const charge = event.data.object;
  const refunds = charge.refunds?.data ?? [];
  if (refunds.length === 0) {
    return err(
      notRecordedFailure(
        'stripe',
        event.type,
        'the charge carries no refunds list (left out since API version 2022-11-15); subscribe to refund.created and refund.updated',
      ),
    );
  }
  // Stripe lists newest first; the newest is the refund this event announces.
  const newest = refunds.reduce((a, b) => (b.created > a.created ? b : a));
  return refundInput(event, newest, charge.payment_intent ?? charge.id);
}

function refundInput(event: StripeEvent, refund: StripeRefund, reference: string): Result<DeliveryInput, Failure> {
  if (refund.status !== 'succeeded') {
    return err(
      notRecordedFailure(
        'stripe',
        event.type,
        `refund ${refund.id.slice(0, 60)} is ${refund.status ?? 'without a status'}; it is recorded once Stripe reports it succeeded`,
      ),
    );
  }
  const currencyCode = refund.currency.toUpperCase();
  const amount = isoMinorUnits(refund.amount, currencyCode, 'data.object.amount');
  if (!amount.ok) return amount;
  return ok({
    kind: 'refund',
    input: {
      reference_number: reference,
      refund_id: refund.id,
      amount_minor: amount.value,
      currency: currencyCode,
      event_time: eventTimeOf(event),
      gateway_event_id: event.id,
      reason: memberOf(REFUND_REASONS, refund.reason) ?? 'other',
      gateway: 'stripe',
    },
  });
}

function disputeInput(event: Extract<StripeEvent, { type: (typeof DISPUTE_EVENTS)[number] }>): Result<DeliveryInput, Failure> {
  const dispute = event.data.object;
  const reference = dispute.payment_intent ?? dispute.charge;
  if (!reference)
    return err(fieldFailure('stripe', 'data.object.charge', 'must be the disputed charge (ch_…) when payment_intent is absent'));
  const currencyCode = dispute.currency.toUpperCase();
  const amount = isoMinorUnits(dispute.amount, currencyCode, 'data.object.amount');
  if (!amount.ok) return amount;
  const dueBy = dispute.evidence_details?.due_by;
  return ok({
    kind: 'dispute',
    input: {
      reference_number: reference,
      dispute_id: dispute.id,
      amount_minor: amount.value,
      currency: currencyCode,
      event_time: eventTimeOf(event),
      gateway_event_id: event.id,
      dispute_status: DISPUTE_STATUS_OF[dispute.status] as DisputeInput['dispute_status'],
      reason: memberOf(DISPUTE_REASONS, dispute.reason) ?? 'other',
      evidence_due_by: dueBy == null ? null : dateOfUnixSeconds(dueBy),
      gateway: 'stripe',
    },
  });
}

interface StripePayment {
  reference: string;
  amount: number;
  currency: string;
  status: PaymentStatus;
  created: number;
  paymentMethod: string | null;
  customer: string | null;
  metadata: Record<string, unknown> | null | undefined;
  billingCountry: string | null;
  chargeId: string | null;
  failureReason: string | null;
  failureCode: string | null;
  failureCategory: FailureCategory | null;
}

function canonicalInput(event: ChargeEvent | PaymentIntentEvent, p: StripePayment): Result<PaymentInput, Failure> {
  const currencyCode = p.currency.toUpperCase();
  const amount = isoMinorUnits(p.amount, currencyCode, 'data.object.amount');
  if (!amount.ok) return amount;
  const { fields, ignored } = referenceFieldsFromNotes(p.metadata);
  const billingCountry = p.billingCountry && /^[A-Za-z]{2}$/.test(p.billingCountry) ? p.billingCountry.toUpperCase() : null;
  return ok({
    reference_number: p.reference,
    amount_minor: amount.value,
    currency: currencyCode,
    status: p.status,
    payment_date: dateOfUnixSeconds(p.created),
    event_time: eventTimeOf(event),
    gateway_event_id: event.id,
    payment_channel: 'stripe',
    gateway: 'stripe',
    payment_method: clipText(p.paymentMethod, 100),
    gateway_txn_id: p.chargeId ?? p.reference,
    order_id: fields.order_id,
    customer_id: clipText(p.customer, 255) ?? fields.customer_id,
    loan_account_number: fields.loan_account_number,
    cif: fields.cif,
    merchant_id: fields.merchant_id,
    region: fields.region,
    country: billingCountry ?? fields.country,
    fee_minor: null,
    tax_minor: null,
    failure_reason: clipText(p.failureReason, 500),
    failure_code: p.failureCode,
    failure_category: p.status === 'failed' ? (p.failureCategory ?? 'other') : null,
    metadata: {
      event_id: event.id,
      event: event.type,
      ...(event.livemode == null ? {} : { livemode: event.livemode }),
      ...(ignored.length > 0 ? { ignored_metadata: ignored } : {}),
    },
  });
}

/** Converts a Stripe amount to ISO 4217 minor units; an unknown currency passes through for the recorder to reject. */
function isoMinorUnits(stripeAmount: number, currencyCode: string, field: string): Result<number, Failure> {
  const isoExponent = currencyExponent(currencyCode);
  if (isoExponent === undefined) return ok(stripeAmount);
  const stripeExponent = STRIPE_ZERO_DECIMAL.has(currencyCode) ? 0 : STRIPE_THREE_DECIMAL.has(currencyCode) ? 3 : 2;
  const shift = isoExponent - stripeExponent;
  if (shift >= 0) return ok(stripeAmount * 10 ** shift);
  const divisor = 10 ** -shift;
  if (stripeAmount % divisor !== 0) {
    return err(
      failure(
        ErrorCode.AMOUNT_PRECISION,
        `${field}: Stripe amount ${stripeAmount} ${currencyCode} has a fraction ${currencyCode} does not have ` +
          `(ISO 4217 allows ${isoExponent} decimals); it is never rounded, record this by hand`,
        { currency: currencyCode, allowed_decimals: isoExponent },
      ),
    );
  }
  return ok(stripeAmount / divisor);
}

/** The event's own time, or its object's creation when a hand-made body leaves it out. */
function eventTimeOf(event: { created?: number | null; data: { object: { created: number } } }): Date {
  return dateOfUnixSeconds(event.created ?? event.data.object.created);
}
