import { z } from 'zod';
import { formatMinorUnits, isKnownCurrency } from '../../core/money.js';
import { defineEventContract } from '../event-contract.js';
import { failureCategoryField } from '../failure-categories.js';
import { anyText, countryCode, currencyCode, money, oneCurrency, text, timestamp } from '../fields.js';
import { PAYMENT_STATUSES } from '../payment-lifecycle.js';

/** Where a recorded payment came from. The recorder takes this list from here. */
export const PAYMENT_SOURCES = ['webhook', 'staging', 'cdc', 'import'] as const;
export type PaymentSource = (typeof PAYMENT_SOURCES)[number];

// A payment's status as recorded: the lifecycle's states (../payment-lifecycle.ts).

// ── payment.recorded v1 ─────────────────────────────────────────────────────────────────────────
// Exactly what src/recorder/payment-event.ts emits: the seed's PaymentRecordedEvent (event_id,
// event_type, timestamp, payment{…}) with absent values as null. Lengths are the recorder's input
// limits. Its flat amount fields predate the `{amount_minor, currency}` money object used by every
// other event; a v2 would move to it.

const recordedPayment = z
  .strictObject({
    id: z.uuid().describe('Payscope id of the payment.'),
    reference_number: text(255).describe('The business reference; unique, the deduplication key.'),
    loan_account_number: anyText(20).nullable(),
    cif: anyText(20).nullable().describe('Customer information file number of the borrower.'),
    amount: z
      .string()
      .regex(/^\d+(\.\d+)?$/, { error: 'must be a decimal string in major units, e.g. "1500.50"' })
      .describe('The amount in major units as an exact decimal string, e.g. "1500.50"; equals amount_minor.'),
    amount_minor: z
      .int({ error: 'must be an integer number of minor units' })
      .min(0, { error: 'must not be negative' })
      .describe('The amount in integer minor units of currency (paise, cents, yen).'),
    currency: currencyCode(),
    payment_date: timestamp(),
    payment_channel: anyText(100).nullable(),
    source: z.enum(PAYMENT_SOURCES),
    status: z.enum(PAYMENT_STATUSES),
    gateway: anyText(100).nullable(),
    payment_method: anyText(100).nullable(),
    merchant_id: anyText(100).nullable(),
    order_id: anyText(255).nullable(),
    customer_id: anyText(255).nullable(),
    region: anyText(100).nullable(),
    country: countryCode().nullable(),
    fee_minor: z.int({ error: 'must be an integer number of minor units' }).nullable().describe('Gateway fee in minor units of currency.'),
    tax_minor: z.int({ error: 'must be an integer number of minor units' }).nullable().describe('Tax in minor units of currency.'),
    gateway_txn_id: anyText(255).nullable(),
    failure_reason: anyText(500).nullable(),
    failure_code: anyText(100)
      .nullish()
      .describe("The gateway's failure code as its channel adapter read it, e.g. U30 or insufficient_funds."),
    failure_category: failureCategoryField().nullish(),
    metadata: z.record(z.string(), z.unknown()).describe('Free-form metadata sent with the payment.'),
  })
  .superRefine((p, ctx) => {
    if (isKnownCurrency(p.currency) && p.amount !== formatMinorUnits(BigInt(p.amount_minor), p.currency)) {
      ctx.addIssue({
        code: 'custom',
        path: ['amount'],
        message: `is "${p.amount}" but amount_minor ${p.amount_minor} ${p.currency} is "${formatMinorUnits(BigInt(p.amount_minor), p.currency)}"`,
      });
    }
  });

export const paymentRecordedV1 = defineEventContract({
  type: 'payment.recorded',
  version: 1,
  description:
    'A payment was recorded (from a webhook, the staging table, CDC or an import); emitted once per payment in the same transaction that stored it.',
  subject: 'the payment id',
  data: z.strictObject({
    event_id: z.uuid().describe('Equal to the envelope id.'),
    event_type: z.literal('payment.recorded'),
    timestamp: timestamp().describe('Equal to the envelope time.'),
    payment: recordedPayment,
  }),
  piiFields: ['payment.loan_account_number', 'payment.cif', 'payment.customer_id'],
  freeFormFields: ['payment.metadata'],
  keyFields: [
    'payment.id',
    'payment.reference_number',
    'payment.amount_minor',
    'payment.currency',
    'payment.status',
    'payment.merchant_id',
  ],
  example: {
    event_id: '0b6f3a52-4a8e-4c39-9d1e-2f0c6a1d5e11',
    event_type: 'payment.recorded',
    timestamp: '2026-11-21T04:00:01.250Z',
    payment: {
      id: '5f1c2d3e-8a9b-4c7d-9e0f-1a2b3c4d5e6f',
      reference_number: 'PAY-2026-000123',
      loan_account_number: 'LN0012345',
      cif: 'CIF998877',
      amount: '1500.50',
      amount_minor: 150050,
      currency: 'INR',
      payment_date: '2026-11-21T04:00:00.000Z',
      payment_channel: 'UPI',
      source: 'webhook',
      status: 'succeeded',
      gateway: 'razorpay',
      payment_method: 'upi',
      merchant_id: 'M-042',
      order_id: null,
      customer_id: null,
      region: 'west',
      country: 'IN',
      fee_minor: 1180,
      tax_minor: 180,
      gateway_txn_id: 'pay_HAPPY123',
      failure_reason: null,
      metadata: {},
    },
  },
});
export type PaymentRecordedV1 = z.output<typeof paymentRecordedV1.data>;

// ── payment.status_changed v1 ─────────────────────────────────────────────────────────────────
// Emitted by the ledger, in the same transaction, for every delivery after a payment's first that
// is not an exact redelivery: a later status, a refund, a dispute step. `from_status`/`to_status`
// are the ledger's state before and after (equal when the event did not move it: a step backwards
// in event time, or a move the state machine refuses); `amounts` is the ledger's state after it.
// `version` counts the payment's ledger changes (1 = payment.recorded): the newest version is the
// ledger's current state, whatever order the log delivers the events in.

const minorOrNull = () => z.int({ error: 'must be an integer number of minor units' }).min(0).nullable();

export const paymentStatusChangedV1 = defineEventContract({
  type: 'payment.status_changed',
  version: 1,
  description:
    'A later delivery changed (or tried to change) a recorded payment: a new status, a refund or a dispute step; emitted by the ledger in the same transaction as the change, with the state and amounts after it.',
  subject: 'the payment id',
  data: z.strictObject({
    payment_id: z.uuid().describe('Payscope id of the payment.'),
    reference_number: text(255),
    version: z.int().min(2).describe("The payment's ledger version after this change (payment.recorded is version 1)."),
    change: z.enum(['status', 'refund', 'dispute']).describe('What the delivery reported.'),
    reported_status: z.enum(PAYMENT_STATUSES).describe('The status the delivery asked for (for a refund: partially_refunded or refunded).'),
    from_status: z.enum(PAYMENT_STATUSES),
    to_status: z.enum(PAYMENT_STATUSES).describe('The state after this change; equals from_status when not applied.'),
    applied: z
      .boolean()
      .describe('False when the event was kept in history but did not move the state (older in event time, or not an allowed move).'),
    amount: money().describe("The delivery's own amount (authorised, captured, refunded or disputed)."),
    amounts: z
      .strictObject({
        authorized_minor: minorOrNull(),
        captured_minor: minorOrNull(),
        refunded_minor: z.int().min(0),
        disputed_minor: z.int().min(0),
        fee_minor: minorOrNull(),
        tax_minor: minorOrNull(),
      })
      .describe("The payment's amounts after the change, in minor units of amount.currency."),
    status_time: timestamp().describe('Event time of the event that set to_status.'),
    event_time: timestamp().describe("The gateway's time of this event (the payment date when the sender sent none)."),
    gateway_event_id: text(255).nullish().describe("The gateway's event id (Stripe evt_…, Razorpay x-razorpay-event-id), when known."),
    refund_id: text(255).nullish(),
    dispute_id: text(255).nullish(),
    source: z.enum(PAYMENT_SOURCES),
    gateway: anyText(100).nullish(),
    failure_code: anyText(100).nullish(),
    failure_reason: anyText(500).nullish(),
    failure_category: failureCategoryField().nullish(),
  }),
  piiFields: [],
  freeFormFields: [],
  keyFields: ['payment_id', 'reference_number', 'version', 'from_status', 'to_status', 'applied', 'amount'],
  example: {
    payment_id: '5f1c2d3e-8a9b-4c7d-9e0f-1a2b3c4d5e6f',
    reference_number: 'pay_HAPPY123',
    version: 2,
    change: 'status',
    reported_status: 'captured',
    from_status: 'authorized',
    to_status: 'captured',
    applied: true,
    amount: { amount_minor: 800000, currency: 'INR' },
    amounts: { authorized_minor: 1000000, captured_minor: 800000, refunded_minor: 0, disputed_minor: 0, fee_minor: 18880, tax_minor: 2880 },
    status_time: '2026-11-21T04:02:10Z',
    event_time: '2026-11-21T04:02:10Z',
    gateway_event_id: null,
    source: 'webhook',
    gateway: 'razorpay',
  },
});
export type PaymentStatusChangedV1 = z.output<typeof paymentStatusChangedV1.data>;

// ── payment lifecycle ──────────────────────────────────────────────────────────────────────────
// Status changes after recording, sent by gateways' adapters or other services. A payment is
// identified by its reference_number (every source knows it); payment_id is Payscope's id when the
// sender has it.

const paymentFacts = () => ({
  reference_number: text(255).describe('The payment reference (the deduplication key of payment.recorded).'),
  payment_id: text(255).nullish().describe('Payscope id of the payment, when the sender knows it.'),
  amount: money(),
  gateway: text(100).nullish(),
  payment_method: text(100).nullish(),
  payment_channel: text(100).nullish(),
  merchant_id: text(100).nullish(),
  order_id: text(255).nullish(),
  customer_id: text(255).nullish(),
  loan_account_number: text(20).nullish(),
  cif: text(20).nullish(),
  gateway_txn_id: text(255).nullish(),
  region: text(100).nullish(),
  country: countryCode().nullish(),
});
const PAYMENT_PII = ['customer_id', 'loan_account_number', 'cif'] as const;
const PAYMENT_KEYS = ['reference_number', 'amount', 'gateway', 'payment_method', 'merchant_id'] as const;

const paymentExample = {
  reference_number: 'PAY-2026-000123',
  payment_id: '5f1c2d3e-8a9b-4c7d-9e0f-1a2b3c4d5e6f',
  amount: { amount_minor: 150050, currency: 'INR' },
  gateway: 'razorpay',
  payment_method: 'upi',
  merchant_id: 'M-042',
  customer_id: 'C-1001',
};

export const paymentSucceededV1 = defineEventContract({
  type: 'payment.succeeded',
  version: 1,
  description: 'A payment succeeded at the gateway (money is committed by the payer).',
  subject: 'the payment reference',
  data: z
    .strictObject({
      ...paymentFacts(),
      fee: money().nullish().describe('Gateway fee charged on this payment.'),
      tax: money().nullish().describe('Tax charged on the gateway fee.'),
    })
    .superRefine(oneCurrency),
  piiFields: PAYMENT_PII,
  freeFormFields: [],
  keyFields: [...PAYMENT_KEYS, 'fee'],
  example: { ...paymentExample, fee: { amount_minor: 1180, currency: 'INR' } },
});
export type PaymentSucceededV1 = z.output<typeof paymentSucceededV1.data>;

export const paymentFailedV1 = defineEventContract({
  type: 'payment.failed',
  version: 1,
  description: 'A payment attempt failed; failure_code and failure_reason say why.',
  subject: 'the payment reference',
  data: z
    .strictObject({
      ...paymentFacts(),
      failure_code: text(100).nullish().describe("The gateway's failure code, e.g. card_declined."),
      failure_reason: text(500).nullish().describe("The gateway's failure message."),
      failure_category: failureCategoryField().nullish(),
    })
    .superRefine(oneCurrency),
  piiFields: PAYMENT_PII,
  freeFormFields: [],
  keyFields: [...PAYMENT_KEYS, 'failure_code', 'failure_reason'],
  example: {
    ...paymentExample,
    failure_code: 'card_declined',
    failure_reason: 'Your card was declined.',
    failure_category: 'other',
  },
});
export type PaymentFailedV1 = z.output<typeof paymentFailedV1.data>;

export const paymentCapturedV1 = defineEventContract({
  type: 'payment.captured',
  version: 1,
  description: 'An authorised payment was captured; amount is the captured amount (may be less than authorised).',
  subject: 'the payment reference',
  data: z
    .strictObject({
      ...paymentFacts(),
      authorized_amount: money().nullish(),
      fee: money().nullish(),
      tax: money().nullish(),
    })
    .superRefine(oneCurrency),
  piiFields: PAYMENT_PII,
  freeFormFields: [],
  keyFields: [...PAYMENT_KEYS, 'authorized_amount', 'fee'],
  example: { ...paymentExample, authorized_amount: { amount_minor: 150050, currency: 'INR' } },
});
export type PaymentCapturedV1 = z.output<typeof paymentCapturedV1.data>;

// ── refunds and disputes ───────────────────────────────────────────────────────────────────────

export const REFUND_REASONS = [
  'requested_by_customer',
  'duplicate',
  'fraudulent',
  'product_not_received',
  'product_unacceptable',
  'order_cancelled',
  'other',
] as const;

export const paymentRefundedV1 = defineEventContract({
  type: 'payment.refunded',
  version: 1,
  description: 'A refund was processed (money returned to the payer); full or partial.',
  subject: 'the payment reference',
  data: z
    .strictObject({
      refund_id: text(255),
      reference_number: text(255).describe('Reference of the refunded payment.'),
      payment_id: text(255).nullish(),
      amount: money().describe('The refunded amount (the whole payment or part of it).'),
      reason: z.enum(REFUND_REASONS),
      reason_detail: text(500).nullish().describe('Free text; may hold personal data, so it never reaches the warehouse as is.'),
      gateway: text(100).nullish(),
      gateway_refund_id: text(255).nullish(),
      merchant_id: text(100).nullish(),
      order_id: text(255).nullish(),
      customer_id: text(255).nullish(),
    })
    .superRefine(oneCurrency),
  piiFields: ['customer_id'],
  freeFormFields: ['reason_detail'],
  keyFields: ['refund_id', 'reference_number', 'amount', 'reason', 'merchant_id'],
  example: {
    refund_id: 'rfnd_001',
    reference_number: 'PAY-2026-000123',
    amount: { amount_minor: 50000, currency: 'INR' },
    reason: 'requested_by_customer',
    gateway: 'razorpay',
    merchant_id: 'M-042',
  },
});
export type PaymentRefundedV1 = z.output<typeof paymentRefundedV1.data>;

export const DISPUTE_REASONS = [
  'fraudulent',
  'unrecognized',
  'duplicate',
  'product_not_received',
  'product_unacceptable',
  'subscription_canceled',
  'credit_not_processed',
  'general',
  'other',
] as const;
export const DISPUTE_STATUSES = ['needs_response', 'under_review', 'won', 'lost', 'accepted', 'withdrawn'] as const;

const disputeFields = () => ({
  dispute_id: text(255),
  reference_number: text(255).describe('Reference of the disputed payment.'),
  payment_id: text(255).nullish(),
  amount: money().describe('The disputed amount.'),
  reason: z.enum(DISPUTE_REASONS),
  status: z.enum(DISPUTE_STATUSES),
  evidence_due_by: timestamp().nullish(),
  gateway: text(100).nullish(),
  gateway_dispute_id: text(255).nullish(),
  merchant_id: text(100).nullish(),
  order_id: text(255).nullish(),
  customer_id: text(255).nullish(),
});
const disputeExample = {
  dispute_id: 'dp_001',
  reference_number: 'PAY-2026-000123',
  amount: { amount_minor: 150050, currency: 'INR' },
  reason: 'product_not_received',
  merchant_id: 'M-042',
} as const;

export const paymentDisputeOpenedV1 = defineEventContract({
  type: 'payment.dispute_opened',
  version: 1,
  description: 'The payer (or their bank) opened a dispute / chargeback on a payment.',
  subject: 'the payment reference',
  data: z.strictObject(disputeFields()).superRefine(oneCurrency),
  piiFields: ['customer_id'],
  freeFormFields: [],
  keyFields: ['dispute_id', 'reference_number', 'amount', 'reason', 'status'],
  example: { ...disputeExample, status: 'needs_response', evidence_due_by: '2026-12-05T00:00:00Z' },
});
export type PaymentDisputeOpenedV1 = z.output<typeof paymentDisputeOpenedV1.data>;

export const paymentDisputeUpdatedV1 = defineEventContract({
  type: 'payment.dispute_updated',
  version: 1,
  description: "A dispute's status changed (evidence submitted, won, lost…).",
  subject: 'the payment reference',
  data: z.strictObject({ ...disputeFields(), previous_status: z.enum(DISPUTE_STATUSES).nullish() }).superRefine(oneCurrency),
  piiFields: ['customer_id'],
  freeFormFields: [],
  keyFields: ['dispute_id', 'reference_number', 'amount', 'status', 'previous_status'],
  example: { ...disputeExample, status: 'won', previous_status: 'under_review' },
});
export type PaymentDisputeUpdatedV1 = z.output<typeof paymentDisputeUpdatedV1.data>;
