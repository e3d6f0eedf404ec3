import { z } from 'zod';
import { ErrorCode, type Failure, type Result, err, failure, ok } from '../core/errors.js';
import { MAX_MINOR_UNITS, decimalStringOfNumber, isKnownCurrency, toMinorUnits } from '../core/money.js';
import { findJsonProblem, jsonProblemFailure } from '../core/text.js';

/**
 * The canonical payment: the one shape every source is mapped to before it is recorded.
 * Seed fields (reference, loan account, CIF, amount, date, channel, metadata) plus the optional
 * commerce and settlement fields the analytics use, so a lender, an aggregator and a marketplace
 * all fit without code changes.
 */

// One list of sources and statuses, owned by the data contract, so the recorder cannot emit an
// event the contract would refuse.
import {
  FAILURE_CATEGORIES,
  type FailureCategory,
  PAYMENT_STATUSES,
  type PaymentSource,
  type PaymentStatus,
  parsePaymentStatus,
} from '../contracts/index.js';

export { PAYMENT_SOURCES, PAYMENT_STATUSES, type PaymentSource, type PaymentStatus } from '../contracts/index.js';

export interface CanonicalPayment {
  reference_number: string;
  loan_account_number: string | null;
  cif: string | null;
  /** Integer minor units (paise, cents, yen) of `currency`. */
  amount_minor: number;
  currency: string;
  payment_date: Date;
  payment_channel: string | null;
  source: PaymentSource;
  status: PaymentStatus;
  gateway: string | null;
  payment_method: string | null;
  merchant_id: string | null;
  order_id: string | null;
  customer_id: string | null;
  region: string | null;
  country: string | null;
  fee_minor: number | null;
  tax_minor: number | null;
  gateway_txn_id: string | null;
  failure_reason: string | null;
  /** The gateway's own failure code (U30, insufficient_funds, BAD_REQUEST_ERROR…), as its channel adapter read it. */
  failure_code: string | null;
  /** The code's category in Payscope's vocabulary (src/contracts/failure-categories.ts). */
  failure_category: FailureCategory | null;
  metadata: Record<string, unknown> | null;
  /**
   * When the sender says this status happened: the gateway's event time. The ledger orders a
   * payment's deliveries by it (src/contracts/payment-lifecycle.ts); `payment_date` when not sent.
   */
  status_time: Date;
  /** The gateway's id of this event (Stripe evt_…, Razorpay x-razorpay-event-id), when known. */
  gateway_event_id: string | null;
}

/** A payment as recorded: the canonical payment plus its id. */
export interface RecordedPayment extends CanonicalPayment {
  id: string;
}

// Text PostgreSQL cannot hold (NUL, lone surrogates) is refused for the whole input, keys and
// metadata included, by findJsonProblem before this schema runs: one bad value never fails a batch.
const text = (max: number) => z.string().max(max, { message: `must be at most ${max} characters` });
const optionalText = (max: number) => text(max).nullish();
const amountValue = z.union([z.number(), z.string()], { message: 'must be a number or a decimal string' });
const minorValue = z
  .number({ message: 'must be an integer number of minor units' })
  .int({ message: 'must be an integer number of minor units' })
  .refine((n) => Math.abs(n) <= Number(MAX_MINOR_UNITS), { message: 'is too large' });

/**
 * What a source hands to the recorder: amounts either in major units (`amount`, the seed's
 * DECIMAL) or already in minor units (`amount_minor`, as gateways send them).
 */
export const paymentInputSchema = z
  .object({
    reference_number: text(255).refine((s) => s.trim().length > 0, { message: 'must not be empty' }),
    loan_account_number: optionalText(20),
    cif: optionalText(20),
    amount: amountValue.optional(),
    amount_minor: minorValue.optional(),
    currency: z
      .string()
      .transform((s) => s.toUpperCase())
      .refine((s) => /^[A-Z]{3}$/.test(s), { message: 'must be a three-letter ISO 4217 code' })
      .optional(),
    payment_date: z.union([z.string(), z.date()], { message: 'must be an ISO 8601 date-time' }),
    payment_channel: optionalText(100),
    // The seed's SUCCESS / FAILED / PENDING and gateways' words too, case-insensitively.
    status: z
      .string({ message: `must be one of ${PAYMENT_STATUSES.join(', ')} (or SUCCESS, FAILED, PENDING…)` })
      .transform((s, ctx) => {
        const status = parsePaymentStatus(s);
        if (status === null) {
          ctx.addIssue({
            code: 'custom',
            message: `'${s.slice(0, 40)}' is not a payment status; use one of ${PAYMENT_STATUSES.join(', ')} (or SUCCESS, FAILED, PENDING…)`,
          });
          return z.NEVER;
        }
        return status;
      })
      .optional(),
    event_time: z.union([z.string(), z.date()], { message: 'must be an ISO 8601 date-time' }).nullish(),
    gateway_event_id: optionalText(255),
    gateway: optionalText(100),
    payment_method: optionalText(100),
    merchant_id: optionalText(100),
    order_id: optionalText(255),
    customer_id: optionalText(255),
    region: optionalText(100),
    country: z
      .string()
      .regex(/^[A-Za-z]{2}$/, { message: 'must be a two-letter ISO 3166 code' })
      .transform((s) => s.toUpperCase())
      .nullish(),
    fee_amount: amountValue.nullish(),
    fee_minor: minorValue.nullish(),
    tax_amount: amountValue.nullish(),
    tax_minor: minorValue.nullish(),
    gateway_txn_id: optionalText(255),
    failure_reason: optionalText(500),
    failure_code: optionalText(100),
    failure_category: z.enum(FAILURE_CATEGORIES, { message: `must be one of ${FAILURE_CATEGORIES.join(', ')}` }).nullish(),
    metadata: z.record(z.string(), z.unknown()).nullish(),
  })
  .refine((p) => (p.amount === undefined) !== (p.amount_minor === undefined), {
    message: 'send exactly one of amount (major units) or amount_minor (integer minor units)',
    path: ['amount'],
  });

export type PaymentInput = z.input<typeof paymentInputSchema>;

/**
 * Business rules a payment must meet beyond its shape, from configuration (`ALLOW_ZERO_AMOUNT`,
 * `MAX_FUTURE_PAYMENT_SKEW`). A zero amount is usually a sender's bug (a card verification, a
 * missing field read as 0); a date far ahead is a mistyped year that would also make the
 * partition job create a partition for it.
 */
export interface PaymentRules {
  allowZeroAmount: boolean;
  /** How far after `now` a payment_date may lie (clock skew between sender and Payscope). */
  maxFutureSkewMs: number;
}

/** The defaults of `ALLOW_ZERO_AMOUNT` (false) and `MAX_FUTURE_PAYMENT_SKEW` (1d). */
export const DEFAULT_PAYMENT_RULES: PaymentRules = { allowZeroAmount: false, maxFutureSkewMs: 86_400_000 };

export interface NormaliseOptions {
  source: PaymentSource;
  defaultCurrency: string;
  /** Default: DEFAULT_PAYMENT_RULES. */
  rules?: PaymentRules;
  /** The clock `payment_date` is compared with; default: the current time. */
  now?: Date;
}

const MIN_DATE = Date.UTC(1970, 0, 1);
const MAX_DATE = Date.UTC(2100, 0, 1);
const MAX_METADATA_BYTES = 16 * 1024;
const OFFSET_RE = /(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Validates any input and turns it into a canonical payment, or a Failure that names the field and
 * says what to fix. No I/O, safe to call on untrusted input; reads the clock only when `options.now`
 * is not given.
 */
export function normalisePayment(input: unknown, options: NormaliseOptions): Result<CanonicalPayment, Failure> {
  const rules = options.rules ?? DEFAULT_PAYMENT_RULES;
  // First, before anything serialises or stores it: every string and key, metadata included.
  const problem = findJsonProblem(input);
  if (problem !== null) return err(jsonProblemFailure(problem));
  const parsed = paymentInputSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
    return err(failure(ErrorCode.VALIDATION_FAILED, issues.map((i) => `${i.field}: ${i.message}`).join('; '), { issues }));
  }
  const p = parsed.data;
  const currency = p.currency ?? options.defaultCurrency;
  if (!isKnownCurrency(currency)) {
    return err(failure(ErrorCode.UNKNOWN_CURRENCY, `currency: '${currency}' is not an ISO 4217 code; send e.g. INR, USD, JPY`));
  }

  const amount = minorOf('amount', p.amount, p.amount_minor, currency);
  if (!amount.ok) return amount;
  if (amount.value === null) return err(failure(ErrorCode.VALIDATION_FAILED, 'amount: is required'));
  if (amount.value < 0) return err(failure(ErrorCode.VALIDATION_FAILED, 'amount: must not be negative'));
  if (amount.value === 0 && !rules.allowZeroAmount) {
    return err(
      failure(ErrorCode.AMOUNT_ZERO, 'amount: is 0; send the amount paid (zero amounts are refused unless ALLOW_ZERO_AMOUNT=true)'),
    );
  }
  const fee = minorOf('fee_amount', p.fee_amount, p.fee_minor, currency);
  if (!fee.ok) return fee;
  const tax = minorOf('tax_amount', p.tax_amount, p.tax_minor, currency);
  if (!tax.ok) return tax;

  const date = parseEventTime('payment_date', p.payment_date);
  if (!date.ok) return date;
  const statusTime = p.event_time == null ? date : parseEventTime('event_time', p.event_time);
  if (!statusTime.ok) return statusTime;
  const latest = (options.now ?? new Date()).getTime() + rules.maxFutureSkewMs;
  if (date.value.getTime() > latest) {
    return err(
      failure(
        ErrorCode.PAYMENT_DATE_IN_FUTURE,
        `payment_date: ${date.value.toISOString()} is later than ${new Date(latest).toISOString()} (now plus MAX_FUTURE_PAYMENT_SKEW); check the date and the sender's clock`,
        { payment_date: date.value.toISOString(), latest_allowed: new Date(latest).toISOString() },
      ),
    );
  }

  if (p.metadata != null) {
    const size = Buffer.byteLength(JSON.stringify(p.metadata));
    if (size > MAX_METADATA_BYTES) {
      return err(failure(ErrorCode.VALIDATION_FAILED, `metadata: is ${size} bytes; keep it under ${MAX_METADATA_BYTES}`));
    }
  }

  return ok({
    reference_number: p.reference_number,
    loan_account_number: p.loan_account_number ?? null,
    cif: p.cif ?? null,
    amount_minor: amount.value,
    currency,
    payment_date: date.value,
    payment_channel: p.payment_channel ?? null,
    source: options.source,
    status: p.status ?? 'succeeded',
    gateway: p.gateway ?? null,
    payment_method: p.payment_method ?? null,
    merchant_id: p.merchant_id ?? null,
    order_id: p.order_id ?? null,
    customer_id: p.customer_id ?? null,
    region: p.region ?? null,
    country: p.country ?? null,
    fee_minor: fee.value,
    tax_minor: tax.value,
    gateway_txn_id: p.gateway_txn_id ?? null,
    failure_reason: p.failure_reason ?? null,
    failure_code: p.failure_code ?? null,
    failure_category: p.failure_category ?? null,
    metadata: p.metadata ?? null,
    status_time: statusTime.value,
    gateway_event_id: p.gateway_event_id ?? null,
  });
}

function minorOf(
  field: string,
  major: number | string | null | undefined,
  minor: number | null | undefined,
  currency: string,
): Result<number | null, Failure> {
  if (minor != null) return ok(minor);
  if (major == null) return ok(null);
  const decimal = typeof major === 'number' ? decimalStringOfNumber(major) : ok(major);
  if (!decimal.ok) return err({ ...decimal.error, message: `${field}: ${decimal.error.message}` });
  const converted = toMinorUnits(decimal.value, currency);
  if (!converted.ok) return err({ ...converted.error, message: `${field}: ${converted.error.message}` });
  return ok(Number(converted.value));
}

/** An ISO 8601 date or date-time (UTC when it has no offset) between 1970 and 2099, named `field` in errors. */
export function parseEventTime(field: string, value: string | Date): Result<Date, Failure> {
  let date: Date;
  if (value instanceof Date) {
    date = value;
  } else {
    const trimmed = value.trim();
    if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(trimmed)) {
      return err(failure(ErrorCode.VALIDATION_FAILED, `${field}: '${value}' is not ISO 8601; send e.g. 2026-11-22T10:15:00Z`));
    }
    // A date-time without an offset is taken as UTC, as the seed's TIMESTAMP columns are.
    const withZone = trimmed.length > 10 && !OFFSET_RE.test(trimmed) ? `${trimmed.replace(' ', 'T')}Z` : trimmed.replace(' ', 'T');
    date = new Date(withZone.length === 10 ? `${withZone}T00:00:00Z` : withZone);
    // The parser rolls 2026-02-30 over to 2026-03-02 instead of refusing it; refuse it here.
    const day = Number(trimmed.slice(8, 10));
    if (new Date(Date.UTC(Number(trimmed.slice(0, 4)), Number(trimmed.slice(5, 7)) - 1, day)).getUTCDate() !== day) {
      return err(failure(ErrorCode.VALIDATION_FAILED, `${field}: '${value}' is not a calendar date; check the day of the month`));
    }
  }
  const t = date.getTime();
  if (Number.isNaN(t)) return err(failure(ErrorCode.VALIDATION_FAILED, `${field}: '${String(value)}' is not a valid date`));
  if (t < MIN_DATE || t >= MAX_DATE) {
    return err(failure(ErrorCode.VALIDATION_FAILED, `${field}: must be between 1970-01-01 and 2099-12-31`));
  }
  return ok(date);
}
