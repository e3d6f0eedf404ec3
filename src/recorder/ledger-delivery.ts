import { z } from 'zod';
import { DISPUTE_REASONS, DISPUTE_STATUSES, REFUND_REASONS } from '../contracts/index.js';
import { ErrorCode, type Failure, type Result, err, failure, ok } from '../core/errors.js';
import { MAX_MINOR_UNITS, isKnownCurrency } from '../core/money.js';
import { findJsonProblem, jsonProblemFailure } from '../core/text.js';
import { type CanonicalPayment, type PaymentInput, type PaymentSource, parseEventTime } from './payment.js';

/**
 * What a source hands the ledger besides a payment: a refund or a dispute step of a payment it
 * already sent. Each is validated here into its canonical form (integer minor units, UTC times),
 * like `normalisePayment` does for payments.
 */

const text = (max: number) =>
  z
    .string()
    .max(max, { message: `must be at most ${max} characters` })
    .refine((s) => s.trim().length > 0, { message: 'must not be empty' });
const minorUnits = z
  .number({ message: 'must be an integer number of minor units' })
  .int({ message: 'must be an integer number of minor units' })
  .positive({ message: 'must be more than 0' })
  .refine((n) => n <= Number(MAX_MINOR_UNITS), { message: 'is too large' });
const currency = z
  .string()
  .transform((s) => s.toUpperCase())
  .refine((s) => /^[A-Z]{3}$/.test(s), { message: 'must be a three-letter ISO 4217 code' });
const when = z.union([z.string(), z.date()], { message: 'must be an ISO 8601 date-time' });

export const refundInputSchema = z.object({
  reference_number: text(255).describe('Reference of the refunded payment.'),
  refund_id: text(255),
  amount_minor: minorUnits,
  currency,
  event_time: when,
  reason: z.enum(REFUND_REASONS).nullish(),
  gateway: text(100).nullish(),
  gateway_event_id: text(255).nullish(),
});
export type RefundInput = z.input<typeof refundInputSchema>;

export const disputeInputSchema = z.object({
  reference_number: text(255).describe('Reference of the disputed payment.'),
  dispute_id: text(255),
  amount_minor: minorUnits,
  currency,
  event_time: when,
  dispute_status: z.enum(DISPUTE_STATUSES),
  reason: z.enum(DISPUTE_REASONS).nullish(),
  evidence_due_by: when.nullish(),
  gateway: text(100).nullish(),
  gateway_event_id: text(255).nullish(),
});
export type DisputeInput = z.input<typeof disputeInputSchema>;

export interface CanonicalRefund {
  reference_number: string;
  refund_id: string;
  amount_minor: number;
  currency: string;
  event_time: Date;
  reason: (typeof REFUND_REASONS)[number];
  gateway: string | null;
  gateway_event_id: string | null;
  source: PaymentSource;
}

export interface CanonicalDispute {
  reference_number: string;
  dispute_id: string;
  amount_minor: number;
  currency: string;
  event_time: Date;
  dispute_status: (typeof DISPUTE_STATUSES)[number];
  reason: (typeof DISPUTE_REASONS)[number];
  evidence_due_by: Date | null;
  gateway: string | null;
  gateway_event_id: string | null;
  source: PaymentSource;
}

/** One thing for the ledger to record: a payment (new, or a later status of one), a refund, a dispute step. */
export type LedgerDelivery =
  | { kind: 'payment'; payment: CanonicalPayment }
  | { kind: 'refund'; refund: CanonicalRefund }
  | { kind: 'dispute'; dispute: CanonicalDispute };

/** The payment, refund or dispute a delivery carries (each has its reference and source). */
export const deliveryBody = (d: LedgerDelivery): CanonicalPayment | CanonicalRefund | CanonicalDispute =>
  d.kind === 'payment' ? d.payment : d.kind === 'refund' ? d.refund : d.dispute;

/** What a source (a channel adapter, the generic body) asks to record, before validation. */
export type DeliveryInput =
  | { kind: 'payment'; input: PaymentInput }
  | { kind: 'refund'; input: RefundInput }
  | { kind: 'dispute'; input: DisputeInput };

function invalid(error: z.ZodError): Failure {
  const issues = error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
  return failure(ErrorCode.VALIDATION_FAILED, issues.map((i) => `${i.field}: ${i.message}`).join('; '), { issues });
}

function knownCurrency(code: string): Result<string, Failure> {
  return isKnownCurrency(code)
    ? ok(code)
    : err(failure(ErrorCode.UNKNOWN_CURRENCY, `currency: '${code}' is not an ISO 4217 code; send e.g. INR, USD, JPY`));
}

export function normaliseRefund(input: unknown, source: PaymentSource): Result<CanonicalRefund, Failure> {
  const problem = findJsonProblem(input);
  if (problem !== null) return err(jsonProblemFailure(problem));
  const parsed = refundInputSchema.safeParse(input);
  if (!parsed.success) return err(invalid(parsed.error));
  const r = parsed.data;
  const cur = knownCurrency(r.currency);
  if (!cur.ok) return cur;
  const time = parseEventTime('event_time', r.event_time);
  if (!time.ok) return time;
  return ok({
    reference_number: r.reference_number,
    refund_id: r.refund_id,
    amount_minor: r.amount_minor,
    currency: cur.value,
    event_time: time.value,
    reason: r.reason ?? 'other',
    gateway: r.gateway ?? null,
    gateway_event_id: r.gateway_event_id ?? null,
    source,
  });
}

export function normaliseDispute(input: unknown, source: PaymentSource): Result<CanonicalDispute, Failure> {
  const problem = findJsonProblem(input);
  if (problem !== null) return err(jsonProblemFailure(problem));
  const parsed = disputeInputSchema.safeParse(input);
  if (!parsed.success) return err(invalid(parsed.error));
  const d = parsed.data;
  const cur = knownCurrency(d.currency);
  if (!cur.ok) return cur;
  const time = parseEventTime('event_time', d.event_time);
  if (!time.ok) return time;
  let due: Date | null = null;
  if (d.evidence_due_by != null) {
    const parsedDue = parseEventTime('evidence_due_by', d.evidence_due_by);
    if (!parsedDue.ok) return parsedDue;
    due = parsedDue.value;
  }
  return ok({
    reference_number: d.reference_number,
    dispute_id: d.dispute_id,
    amount_minor: d.amount_minor,
    currency: cur.value,
    event_time: time.value,
    dispute_status: d.dispute_status,
    reason: d.reason ?? 'general',
    evidence_due_by: due,
    gateway: d.gateway ?? null,
    gateway_event_id: d.gateway_event_id ?? null,
    source,
  });
}

/** The lifecycle state a dispute status moves the payment to. */
export function disputeLifecycleStatus(status: CanonicalDispute['dispute_status']): 'disputed' | 'dispute_won' | 'dispute_lost' {
  if (status === 'won' || status === 'withdrawn') return 'dispute_won';
  if (status === 'lost' || status === 'accepted') return 'dispute_lost';
  return 'disputed';
}
