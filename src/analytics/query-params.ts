import { z } from 'zod';
import { ErrorCode, type Failure, type Result, err, failure, ok } from '../core/errors.js';
import { isKnownCurrency } from '../core/money.js';
import type { AnalyticsFilters } from './filters.js';
import { formatLocal, startOfLocalDate, timeZoneProblem } from './time-zones.js';

/**
 * The query parameters every analytics endpoint shares, as one zod schema (the routes extend it,
 * the OpenAPI document can be derived from it), and the resolution of `from`/`to` in `tz`.
 */

const list = z
  .string()
  .max(2000)
  .transform((s) =>
    s
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v.length > 0),
  );
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2})$/;
export const timeParam = z
  .string()
  .refine((s) => (DATE.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`))) || (RFC3339.test(s) && !Number.isNaN(Date.parse(s))), {
    message: 'expected an RFC 3339 time with offset (2026-11-20T09:30:00+05:30) or a date YYYY-MM-DD',
  });
const currencyParam = z
  .string()
  .transform((s) => s.toUpperCase())
  .refine(isKnownCurrency, { message: 'expected an ISO 4217 currency code such as INR or USD' });

/** `tz`: an IANA zone name, default UTC; abbreviations such as IST or EST are refused (see timeZoneProblem). */
export const timeZoneParam = z
  .string()
  .default('UTC')
  .superRefine((tz, ctx) => {
    const problem = timeZoneProblem(tz);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('IANA time zone name (default UTC), e.g. Asia/Kolkata; abbreviations such as IST or EST are refused');

export const analyticsQuerySchema = z.object({
  from: timeParam.optional(),
  to: timeParam.optional(),
  tz: timeZoneParam,
  merchant: list.optional(),
  gateway: list.optional(),
  method: list.optional(),
  region: list.optional(),
  currency: list.optional(),
  status: list.optional(),
  report_currency: currencyParam.optional(),
});
export type AnalyticsQueryInput = z.input<typeof analyticsQuerySchema>;

export interface ResolvedRange {
  /** UTC instants on whole minutes, `from` inclusive, `to` exclusive. */
  from: number;
  to: number;
  tz: string;
}

export interface AnalyticsQuery {
  range: ResolvedRange;
  filters: AnalyticsFilters;
  reportCurrency: string | null;
}

/** Builds a VALIDATION_FAILED failure listing every issue as `field: message`. */
export function validationFailure(issues: readonly z.core.$ZodIssue[], where = 'query'): Failure {
  const list = issues.map((i) => ({ field: i.path.join('.') || where, message: i.message }));
  return failure(ErrorCode.VALIDATION_FAILED, list.map((i) => `${i.field}: ${i.message}`).join('; '), { issues: list });
}

const DEFAULT_DAYS = 30;
export const MAX_RANGE_DAYS = 3660;

/**
 * `from`/`to` → UTC instants: an RFC 3339 time is an instant; a date is local midnight in `tz`
 * (for `to`, the end of that day). Widened to whole minutes; `from` must precede `to`.
 */
export function resolveRange(
  input: { from?: string | undefined; to?: string | undefined; tz: string },
  now = Date.now(),
): Result<ResolvedRange> {
  const at = (s: string, end: boolean) => {
    if (!DATE.test(s)) return Date.parse(s);
    const start = startOfLocalDate(input.tz, s);
    if (!end) return start;
    const next = new Date(Date.parse(`${s}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    return startOfLocalDate(input.tz, next);
  };
  const rawTo = input.to === undefined ? now : at(input.to, true);
  const rawFrom = input.from === undefined ? rawTo - DEFAULT_DAYS * 86_400_000 : at(input.from, false);
  const from = Math.floor(rawFrom / 60_000) * 60_000;
  const to = Math.ceil(rawTo / 60_000) * 60_000;
  if (from >= to) {
    return err(
      failure(
        ErrorCode.VALIDATION_FAILED,
        // Local times in tz, as the caller chose them — a UTC instant here read as another day.
        `from (${formatLocal(input.tz, rawFrom)} in ${input.tz}) must be before to (${formatLocal(input.tz, rawTo)}${
          input.to !== undefined && DATE.test(input.to) ? ', the end of the to date' : ''
        })`,
        {
          issues: [{ field: 'from', message: 'must be before to' }],
        },
      ),
    );
  }
  if (to - from > MAX_RANGE_DAYS * 86_400_000) {
    return err(failure(ErrorCode.VALIDATION_FAILED, `the range is longer than ${MAX_RANGE_DAYS} days; narrow from/to`));
  }
  return ok({ from, to, tz: input.tz });
}

/** Parses the shared parameters from a query string object. */
export function parseAnalyticsQuery(query: unknown, now = Date.now()): Result<AnalyticsQuery & { rest: Record<string, unknown> }> {
  const parsed = analyticsQuerySchema.safeParse(query ?? {});
  if (!parsed.success) return err(validationFailure(parsed.error.issues));
  const q = parsed.data;
  const range = resolveRange(q, now);
  if (!range.ok) return range;
  const filters: AnalyticsFilters = {};
  for (const k of ['merchant', 'gateway', 'method', 'region', 'currency', 'status'] as const) {
    const v = q[k];
    if (v && v.length > 0) filters[k] = k === 'currency' ? v.map((c) => c.toUpperCase()) : v;
  }
  return ok({ range: range.value, filters, reportCurrency: q.report_currency ?? null, rest: {} });
}

/** The range as the responses show it: local times with offset. */
export function rangeView(range: ResolvedRange): { from: string; to: string; tz: string } {
  return { from: formatLocal(range.tz, range.from), to: formatLocal(range.tz, range.to), tz: range.tz };
}
