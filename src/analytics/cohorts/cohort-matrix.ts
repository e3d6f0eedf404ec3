import { ErrorCode, type Result, err, failure, ok } from '../../core/errors.js';
import { type QueryRunner, runQuery } from '../../warehouse/typed-query.js';
import { ratio } from '../decimal.js';
import { formatLocal, localBucketStarts } from '../time-zones.js';
import {
  type ActivityEventType,
  type CohortBasis,
  type CohortQueryParams,
  cohortActiveCustomers,
  cohortRevenue,
  cohortSizes,
} from './cohort-queries.js';
import { type CohortPeriod, periodStarts } from './periods.js';

/** M0…M12: the cohort's own period and the twelve after it. */
export const MAX_OFFSET = 12;
/** Offsets summarised across cohorts. */
export const SUMMARY_OFFSETS = [1, 3, 6] as const;
/** At most this many cohorts per request (three years of months, two of weeks). */
export const MAX_COHORTS: Readonly<Record<CohortPeriod, number>> = { month: 36, week: 104 };

export interface CohortRequest {
  /** UTC instants: every period overlapping [from, to) is a cohort, taken whole. */
  from: number;
  to: number;
  tz: string;
  period: CohortPeriod;
  basis: CohortBasis;
  activity: 'purchase' | ActivityEventType;
  /** Cells of periods that start after `now` are null; a period is complete once it ended by `now`. */
  now: number;
}

export interface CohortRow {
  /** Local start of the cohort's period, ISO with offset. */
  start: string;
  /** Customers acquired in the period. */
  size: number;
  /** Periods M0, M1… that have fully elapsed by `as_of` (the next one, if any, is in progress). */
  offsets_complete: number;
  /** Active customers in M0…M12; null for periods not started yet. */
  customers: (number | null)[];
  /** customers / size, 6 decimals; null when not started (or size 0). */
  rates: (number | null)[];
  /** Revenue retention per currency: the cohort's purchases per period, and each as a share of M0's. */
  revenue: CohortRevenue[];
}

export interface CohortRevenue {
  currency: string;
  amounts_minor: (number | null)[];
  /** Customers who paid in this currency in the period. */
  paying_customers: (number | null)[];
  /** amount / M0 amount (may exceed 1), 6 decimals; null when M0 had none or not started. */
  rates: (number | null)[];
}

export interface SummaryCell {
  offset: number;
  /** Cohorts whose period `offset` is complete: only they count. */
  cohorts: number;
  cohort_customers: number;
  active_customers: number;
  rate: number | null;
}

export interface RevenueSummaryCell {
  offset: number;
  currency: string;
  cohorts: number;
  base_minor: number;
  amount_minor: number;
  rate: number | null;
}

export interface CohortMatrix {
  period: CohortPeriod;
  basis: CohortBasis;
  activity: string;
  as_of: string;
  offsets: number[];
  cohorts: CohortRow[];
  summary: SummaryCell[];
  revenue_summary: RevenueSummaryCell[];
}

/** The cohort starts of a request (the periods overlapping [from, to)), or TOO_MANY_POINTS. */
export function cohortStartsOf(r: Pick<CohortRequest, 'from' | 'to' | 'tz' | 'period'>): Result<number[]> {
  const max = MAX_COHORTS[r.period];
  const starts = localBucketStarts(r.tz, r.period, r.from, r.to, max);
  if (starts.length > max) {
    return err(
      failure(ErrorCode.TOO_MANY_POINTS, `the range holds more than ${max} ${r.period}ly cohorts; narrow from/to or use period=month`, {
        max_cohorts: max,
      }),
    );
  }
  return ok(starts);
}

/**
 * The retention matrix of a range (`GET /api/v1/analytics/cohorts`, the monthly job): cohort sizes,
 * active customers and revenue per cohort and offset M0…M12, and the M1/M3/M6 summary.
 */
export async function queryCohortMatrix(warehouse: QueryRunner, r: CohortRequest): Promise<Result<CohortMatrix>> {
  const starts = cohortStartsOf(r);
  if (!starts.ok) return starts;
  const first = starts.value[0];
  if (first === undefined) return err(failure(ErrorCode.VALIDATION_FAILED, 'the range holds no cohort'));
  const n = starts.value.length;
  const bounds = periodStarts(r.tz, r.period, first, n + MAX_OFFSET + 1);
  const params: CohortQueryParams = { bounds, cohorts: n, basis: r.basis, activity: r.activity, maxOffset: MAX_OFFSET };
  const [sizes, active, revenue] = await Promise.all([
    runQuery(warehouse, cohortSizes, params),
    runQuery(warehouse, cohortActiveCustomers, params),
    runQuery(warehouse, cohortRevenue, params),
  ]);
  return ok(shapeMatrix(r, bounds, n, sizes, active, revenue));
}

type Started = (c: number, k: number) => boolean;

/** Adds minor units (or counts), refusing a sum a JS number cannot hold exactly: never silent rounding. */
export function addExact(a: number, b: number): number {
  const s = a + b;
  if (!Number.isSafeInteger(s)) throw new Error(`sum ${a} + ${b} is beyond 2^53: not exact as a JS number`);
  return s;
}

/** Pure: the rows of the three reads → the matrix. Exported for unit tests. */
export function shapeMatrix(
  r: CohortRequest,
  bounds: readonly number[],
  n: number,
  sizes: readonly { c: number; customers: number }[],
  active: readonly { c: number; k: number; customers: number }[],
  revenue: readonly { c: number; k: number; currency: string; amount_minor: number; customers: number }[],
): CohortMatrix {
  const offsets = Array.from({ length: MAX_OFFSET + 1 }, (_, k) => k);
  const at = (i: number) => bounds[i] as number;
  const started: Started = (c, k) => at(c + k) <= r.now;
  const complete = (c: number, k: number) => at(c + k + 1) <= r.now;
  const sizeOf = new Map(sizes.map((s) => [s.c, s.customers]));
  const activeOf = new Map(active.map((a) => [`${a.c}:${a.k}`, a.customers]));
  const currencies = [...new Set(revenue.map((x) => x.currency))].sort();
  const revenueOf = new Map(revenue.map((x) => [`${x.c}:${x.k}:${x.currency}`, x]));
  const cohorts: CohortRow[] = [];
  for (let c = 0; c < n; c++) {
    const size = sizeOf.get(c) ?? 0;
    const customers = offsets.map((k) => (started(c, k) ? (activeOf.get(`${c}:${k}`) ?? 0) : null));
    cohorts.push({
      start: formatLocal(r.tz, at(c)),
      size,
      offsets_complete: offsets.filter((k) => complete(c, k)).length,
      customers,
      rates: customers.map((v) => (v === null ? null : ratio(v, size))),
      revenue: currencies
        .filter((cur) => offsets.some((k) => revenueOf.has(`${c}:${k}:${cur}`)))
        .map((cur) => {
          const amounts = offsets.map((k) => (started(c, k) ? (revenueOf.get(`${c}:${k}:${cur}`)?.amount_minor ?? 0) : null));
          const base = amounts[0] ?? 0;
          return {
            currency: cur,
            amounts_minor: amounts,
            paying_customers: offsets.map((k) => (started(c, k) ? (revenueOf.get(`${c}:${k}:${cur}`)?.customers ?? 0) : null)),
            rates: amounts.map((v) => (v === null ? null : ratio(v, base))),
          };
        }),
    });
  }
  const summary = SUMMARY_OFFSETS.map((k) => {
    const done = cohorts.filter((_, c) => complete(c, k));
    const base = done.reduce((s, x) => s + x.size, 0);
    const act = done.reduce((s, x) => s + (x.customers[k] ?? 0), 0);
    return { offset: k, cohorts: done.length, cohort_customers: base, active_customers: act, rate: ratio(act, base) };
  });
  const revenue_summary = SUMMARY_OFFSETS.flatMap((k) =>
    currencies.map((cur) => {
      const done = cohorts.map((x, c) => ({ x, c })).filter(({ c }) => complete(c, k));
      const amount = (x: CohortRow, i: number) => x.revenue.find((v) => v.currency === cur)?.amounts_minor[i] ?? 0;
      const base = done.reduce((s, { x }) => addExact(s, amount(x, 0)), 0);
      const amt = done.reduce((s, { x }) => addExact(s, amount(x, k)), 0);
      return { offset: k, currency: cur, cohorts: done.length, base_minor: base, amount_minor: amt, rate: ratio(amt, base) };
    }),
  );
  return {
    period: r.period,
    basis: r.basis,
    activity: r.activity,
    as_of: formatLocal(r.tz, r.now),
    offsets,
    cohorts,
    summary,
    revenue_summary,
  };
}
