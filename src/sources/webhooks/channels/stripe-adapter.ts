import { z } from 'zod';
import { type FailureCategory, type FailureCodeTable, categoriseFailure } from '../../../contracts/index.js';
import { ErrorCode, type Failure, type Result, err, failure, ok } from '../../../core/errors.js';
import { currencyExponent } from '../../../core/money.js';
import type { DeliveryInput } from '../../../recorder/ledger-delivery.js';
import type { PaymentInput, PaymentStatus } from '../../../recorder/payment.js';
import { type ChannelAdapter, clipText, dateOfUnixSeconds, parseChannelEvent, referenceFieldsFromNotes } from './channel-port.js';

/**
 * Stripe events about charges and payment intents. One payment usually produces both a
 * `charge.succeeded` and a `payment_intent.succeeded`; both map to reference_number = the payment
 * intent id (a charge made without an intent falls back to its own id), so the recorder keeps one
 * payment, whichever event arrives first. gateway_txn_id is the charge id in both cases.
 *
 * Status:
 *   charge.succeeded                → succeeded, or authorized when `captured` is false
 *                                     (manual capture: the card was only authorised)
 *   payment_intent.succeeded        → succeeded
 *   charge.failed, payment_intent.payment_failed → failed
 *
 * Fees are not in these events (the charge carries only a balance_transaction id), so fee_minor
 * and tax_minor stay null; settlement files fill them in.
 *
 * Stripe's minor units differ from ISO 4217 for a few currencies (ISK is two-decimal at Stripe and
 * zero-decimal in ISO; MGA the reverse), so amounts are converted to ISO minor units.
 */

const STRIPE_EVENTS = ['charge.succeeded', 'charge.failed', 'payment_intent.succeeded', 'payment_intent.payment_failed'] as const;

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

const chargeSchema = z.object({
  id: z.string().min(1, { message: 'must be the charge id (ch_…)' }),
  amount: minorUnits,
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
  created: unixSeconds,
});

const paymentIntentSchema = z.object({
  id: z.string().min(1, { message: 'must be the payment intent id (pi_…)' }),
  amount: minorUnits,
  amount_received: minorUnits.nullish(),
  currency,
  payment_method_types: z.array(z.string()).nullish(),
  latest_charge: objectId,
  customer: objectId,
  metadata,
  last_payment_error: z.object({ code: z.string().nullish(), decline_code: z.string().nullish(), message: z.string().nullish() }).nullish(),
  created: unixSeconds,
});

const eventFields = { id: z.string().min(1, { message: 'must be the event id (evt_…)' }), livemode: z.boolean().nullish() };
const chargeEventSchema = z.object({
  ...eventFields,
  type: z.enum(['charge.succeeded', 'charge.failed']),
  data: z.object({ object: chargeSchema }),
});
const paymentIntentEventSchema = z.object({
  ...eventFields,
  type: z.enum(['payment_intent.succeeded', 'payment_intent.payment_failed']),
  data: z.object({ object: paymentIntentSchema }),
});
const eventSchema = z.discriminatedUnion('type', [chargeEventSchema, paymentIntentEventSchema]);
type ChargeEvent = z.infer<typeof chargeEventSchema>;
type PaymentIntentEvent = z.infer<typeof paymentIntentEventSchema>;

/** Maps a Stripe charge or payment-intent event to the canonical PaymentInput. */
export const stripeAdapter: ChannelAdapter = {
  channel: 'stripe',
  supportedEvents: STRIPE_EVENTS,
  toDelivery(body: unknown): Result<DeliveryInput, Failure> {
    const input = toPaymentInput(body);
    return input.ok ? ok({ kind: 'payment', input: input.value }) : input;
  },
};

function toPaymentInput(body: unknown): Result<PaymentInput, Failure> {
  {
    const parsed = parseChannelEvent('stripe', body, {
      typeField: 'type',
      example: 'charge.succeeded',
      supported: STRIPE_EVENTS,
      schema: eventSchema,
    });
    if (!parsed.ok) return parsed;
    const event = parsed.value;
    return isChargeEvent(event) ? chargeInput(event) : paymentIntentInput(event);
  }
}

const isChargeEvent = (event: ChargeEvent | PaymentIntentEvent): event is ChargeEvent => event.type.startsWith('charge.');

function chargeInput(event: ChargeEvent): Result<PaymentInput, Failure> {
  const charge = event.data.object;
  const status: PaymentStatus = event.type === 'charge.failed' ? 'failed' : charge.captured === false ? 'authorized' : 'succeeded';
  return canonicalInput(event, {
    reference: charge.payment_intent ?? charge.id,
    amount: charge.amount,
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
  const failed = event.type === 'payment_intent.payment_failed';
  const types = intent.payment_method_types ?? [];
  return canonicalInput(event, {
    reference: intent.id,
    // A partial capture receives less than was authorised; record what was actually taken.
    amount: !failed && intent.amount_received ? intent.amount_received : intent.amount,
    currency: intent.currency,
    status: failed ? 'failed' : 'succeeded',
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
  const amount = isoMinorUnits(p.amount, currencyCode);
  if (!amount.ok) return amount;
  const { fields, ignored } = referenceFieldsFromNotes(p.metadata);
  const billingCountry = p.billingCountry && /^[A-Za-z]{2}$/.test(p.billingCountry) ? p.billingCountry.toUpperCase() : null;
  return ok({
    reference_number: p.reference,
    amount_minor: amount.value,
    currency: currencyCode,
    status: p.status,
    payment_date: dateOfUnixSeconds(p.created),
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
function isoMinorUnits(stripeAmount: number, currencyCode: string): Result<number, Failure> {
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
        `data.object.amount: Stripe amount ${stripeAmount} ${currencyCode} has a fraction ${currencyCode} does not have ` +
          `(ISO 4217 allows ${isoExponent} decimals); it is never rounded, record this payment by hand`,
        { currency: currencyCode, allowed_decimals: isoExponent },
      ),
    );
  }
  return ok(stripeAmount / divisor);
}
