import { ErrorCode, type Result, err, failure, ok } from '../core/errors.js';
import { type QueryRunner, runQuery } from '../warehouse/typed-query.js';
import { ratio } from './decimal.js';
import { notesOf } from './filters.js';
import { type UsedRate, convertTotals, ratesFor, ratesView } from './fx-rates.js';
import { type Kpis, type Totals, addTotals, emptyTotals, kpisOf } from './kpis.js';
import { type LifecycleStats, queryLifecycleStats } from './lifecycle-stats.js';
import type { AnalyticsQuery, ResolvedRange } from './query-params.js';
import { rangeView } from './query-params.js';
import { type Cell, type GroupBy, type RollupRow, defineRollupQuery, readTotals, segmentsOf } from './rollup-query.js';
import { type Granularity, formatLocal, localBucketStarts, localDateOf } from './time-zones.js';

/**
 * The analytics queries behind `/api/v1/analytics/*`: each reads rollup totals for its buckets
 * (`readTotals`) and shapes them; amounts stay per currency unless a report currency is asked for.
 */

export const DIMENSIONS = {
  gateway: { payments: 'gateway', refunds: 'gateway', disputes: 'gateway' },
  payment_method: { payments: 'payment_method' },
  region: { payments: 'region' },
  merchant: { payments: 'merchant_id', refunds: 'merchant_id', disputes: 'merchant_id' },
  currency: { payments: 'currency', refunds: 'currency', disputes: 'currency' },
  status: { payments: 'status' },
} as const satisfies Record<string, GroupBy>;
export type Dimension = keyof typeof DIMENSIONS;
export const DIMENSION_NAMES = Object.keys(DIMENSIONS) as Dimension[];

export const MAX_POINTS = 5000;

const byCurrency = (a: { currency: string }, b: { currency: string }) => a.currency.localeCompare(b.currency);

/** The last local date of a range: the day rates are looked up for. */
const lastLocalDate = (range: ResolvedRange) => localDateOf(range.tz, range.to - 1);

async function reportRates(
  warehouse: QueryRunner,
  q: AnalyticsQuery,
  cells: readonly Cell[],
): Promise<Result<Map<string, UsedRate> | null>> {
  if (!q.reportCurrency) return ok(null);
  return ratesFor(
    warehouse,
    cells.map((c) => c.currency),
    q.reportCurrency,
    lastLocalDate(q.range),
  );
}

/** Sums cells per key after converting each to the report currency. */
function convertedSum(cells: readonly Cell[], rates: Map<string, UsedRate>, attributable: boolean): Totals {
  let t = emptyTotals(attributable);
  for (const c of cells) t = addTotals(t, convertTotals(c.totals, rates.get(c.currency) as UsedRate));
  return t;
}

export interface KpisResponse {
  range: ReturnType<typeof rangeView>;
  currencies: Kpis[];
  /** Per currency, from the status history: attempts and time to capture (lifecycle-stats.ts). */
  lifecycle: LifecycleStats[];
  report?: { currency: string; kpis: Kpis; rates: ReturnType<typeof ratesView> };
  notes: string[];
}

/** `GET /api/v1/analytics/kpis`: the KPIs of the range, per currency. */
export async function queryKpis(warehouse: QueryRunner, q: AnalyticsQuery): Promise<Result<KpisResponse>> {
  const [cells, lifecycle] = await Promise.all([
    readTotals(warehouse, [{ from: q.range.from, to: q.range.to }], q.filters),
    queryLifecycleStats(warehouse, q.range, q.filters),
  ]);
  const rates = await reportRates(warehouse, q, cells);
  if (!rates.ok) return rates;
  const out: KpisResponse = {
    range: rangeView(q.range),
    currencies: cells.map((c) => kpisOf(c.currency, c.totals)).sort(byCurrency),
    lifecycle,
    notes: notesOf(q.filters),
  };
  if (rates.value && q.reportCurrency) {
    out.report = {
      currency: q.reportCurrency,
      kpis: kpisOf(q.reportCurrency, convertedSum(cells, rates.value, true)),
      rates: ratesView(rates.value),
    };
  }
  return ok(out);
}

export interface BreakdownItem extends Kpis {
  value: string;
}

/** Every (value, currency) of a dimension, sorted; or one converted row per value with a report currency. */
async function breakdownItems(
  warehouse: QueryRunner,
  q: AnalyticsQuery,
  dimension: Dimension,
): Promise<Result<{ items: BreakdownItem[]; rates: Map<string, UsedRate> | null }>> {
  const group: GroupBy = DIMENSIONS[dimension];
  const cells = await readTotals(warehouse, [{ from: q.range.from, to: q.range.to }], q.filters, group);
  const rates = await reportRates(warehouse, q, cells);
  if (!rates.ok) return rates;
  const attributable = 'refunds' in group;
  if (rates.value && q.reportCurrency) {
    const perValue = new Map<string, Cell[]>();
    for (const c of cells) perValue.set(c.value, [...(perValue.get(c.value) ?? []), c]);
    const report = q.reportCurrency;
    const rateMap = rates.value;
    const items = [...perValue].map(([value, list]) => ({ value, ...kpisOf(report, convertedSum(list, rateMap, attributable)) }));
    return ok({ items: items.sort(byGmv), rates: rateMap });
  }
  const items = cells.map((c) => ({ value: c.value, ...kpisOf(c.currency, c.totals) }));
  return ok({ items: items.sort((a, b) => byCurrency(a, b) || byGmv(a, b)), rates: null });
}

const byGmv = (a: BreakdownItem, b: BreakdownItem) =>
  b.gmv_minor - a.gmv_minor || b.payment_count - a.payment_count || a.value.localeCompare(b.value);

/** `GET /api/v1/analytics/breakdown`: KPIs per value of a dimension, paginated. */
export async function queryBreakdown(
  warehouse: QueryRunner,
  q: AnalyticsQuery,
  options: { dimension: Dimension; limit: number; offset: number },
): Promise<Result<Record<string, unknown>>> {
  const r = await breakdownItems(warehouse, q, options.dimension);
  if (!r.ok) return r;
  return ok({
    range: rangeView(q.range),
    dimension: options.dimension,
    total: r.value.items.length,
    limit: options.limit,
    offset: options.offset,
    items: r.value.items.slice(options.offset, options.offset + options.limit),
    ...(r.value.rates ? { rates: ratesView(r.value.rates) } : {}),
    notes: notesOf(q.filters),
  });
}

export const TOP_METRICS = {
  gmv: (k: Kpis) => k.gmv_minor,
  payment_count: (k: Kpis) => k.payment_count,
  failed_count: (k: Kpis) => k.failed_count,
  refund_amount: (k: Kpis) => k.refund_amount_minor ?? 0,
  dispute_count: (k: Kpis) => k.dispute_count ?? 0,
} as const;
export type TopMetric = keyof typeof TOP_METRICS;

/** `GET /api/v1/analytics/top`: the top `n` values of a dimension per currency by a metric. */
export async function queryTop(
  warehouse: QueryRunner,
  q: AnalyticsQuery,
  options: { dimension: Dimension; n: number; metric: TopMetric },
): Promise<Result<Record<string, unknown>>> {
  const r = await breakdownItems(warehouse, q, options.dimension);
  if (!r.ok) return r;
  const metric = TOP_METRICS[options.metric];
  const perCurrency = new Map<string, BreakdownItem[]>();
  for (const item of r.value.items) perCurrency.set(item.currency, [...(perCurrency.get(item.currency) ?? []), item]);
  const items = [...perCurrency.keys()].sort().flatMap((currency) =>
    (perCurrency.get(currency) as BreakdownItem[])
      .sort((a, b) => metric(b) - metric(a) || a.value.localeCompare(b.value))
      .slice(0, options.n)
      .map((item, i) => ({ rank: i + 1, ...item })),
  );
  return ok({
    range: rangeView(q.range),
    dimension: options.dimension,
    metric: options.metric,
    n: options.n,
    items,
    ...(r.value.rates ? { rates: ratesView(r.value.rates) } : {}),
    notes: notesOf(q.filters),
  });
}

/** `GET /api/v1/analytics/timeseries`: KPIs per local bucket, every bucket present. */
export async function queryTimeseries(
  warehouse: QueryRunner,
  q: AnalyticsQuery,
  options: { granularity: Granularity },
): Promise<Result<Record<string, unknown>>> {
  const { from, to, tz } = q.range;
  const starts = localBucketStarts(tz, options.granularity, from, to, MAX_POINTS);
  if (starts.length > MAX_POINTS) {
    return err(
      failure(
        ErrorCode.TOO_MANY_POINTS,
        `the range has more than ${MAX_POINTS} ${options.granularity} buckets; use a coarser granularity or a shorter range`,
        { max_points: MAX_POINTS, granularity: options.granularity },
      ),
    );
  }
  // Buckets clipped to the range: the first may start before `from`, the last end after `to`.
  const buckets = starts.map((s, i) => ({ from: Math.max(s, from), to: Math.min(starts[i + 1] ?? to, to) }));
  const cells = await readTotals(warehouse, buckets, q.filters);
  const rates = await reportRates(warehouse, q, cells);
  if (!rates.ok) return rates;
  const labels = starts.map((s) => formatLocal(tz, s));
  const currencies = [...new Set(cells.map((c) => c.currency))].sort();
  const grid = new Map<string, Totals[]>(currencies.map((c) => [c, buckets.map(() => emptyTotals())]));
  for (const c of cells) (grid.get(c.currency) as Totals[])[c.index] = c.totals;
  const series = currencies.map((currency) => ({
    currency,
    points: (grid.get(currency) as Totals[]).map((t, i) => ({ start: labels[i] as string, ...kpisOf(currency, t) })),
  }));
  const out: Record<string, unknown> = {
    range: rangeView(q.range),
    granularity: options.granularity,
    buckets: labels,
    series,
    notes: notesOf(q.filters),
  };
  if (rates.value && q.reportCurrency) {
    const report = q.reportCurrency;
    const rateMap = rates.value;
    const sums = buckets.map(() => emptyTotals());
    for (const c of cells) sums[c.index] = addTotals(sums[c.index] as Totals, convertTotals(c.totals, rateMap.get(c.currency) as UsedRate));
    out.report = {
      currency: report,
      points: sums.map((t, i) => ({ start: labels[i] as string, ...kpisOf(report, t) })),
      rates: ratesView(rateMap),
    };
  }
  return ok(out);
}

export const FAILURE_GROUPS = ['category', 'code'] as const;
export type FailureGroup = (typeof FAILURE_GROUPS)[number];

/** Failed payments per failure category (`group_value`) and code. */
const failureTotals = defineRollupQuery('rollup_failure_totals', 'payments', {
  extra: ['failure_code'],
  measures: ['payments', 'amount_minor'],
});
type FailureRow = RollupRow<'failure_code', 'payments' | 'amount_minor'>;
/** Refunds per reason (`group_value`). */
const refundReasonTotals = defineRollupQuery('rollup_refund_reasons', 'refunds', { extra: [], measures: ['refunds', 'amount_minor'] });

interface FailureCount {
  count: number;
  amount_minor: number;
}

/**
 * `GET /api/v1/analytics/failure-reasons`: failed payments per currency, grouped by failure
 * category (insufficient_funds, authentication, … — src/contracts/failure-categories.ts) with the
 * gateway codes of each category for the drill-down, or (`group: 'code'`) by gateway code with its
 * category. `category` keeps only that category's failures. A failure recorded before categories
 * existed counts under `(unknown)`; one without a code under its reason text.
 */
export async function queryFailureReasons(
  warehouse: QueryRunner,
  q: AnalyticsQuery,
  options: { group: FailureGroup; category: string | null; limit: number },
): Promise<Result<Record<string, unknown>>> {
  const rows = (
    await runQuery(warehouse, failureTotals, {
      segments: segmentsOf([{ from: q.range.from, to: q.range.to }]),
      group: 'failure_category',
      filters: q.filters,
      equal: [
        { column: 'status', value: 'failed' },
        ...(options.category === null ? [] : [{ column: 'failure_category', value: options.category }]),
      ],
    })
  ).filter((r) => r.payments !== 0);
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(r.currency, (totals.get(r.currency) ?? 0) + r.payments);
  const share = (n: number, currency: string) => ratio(n, totals.get(currency) ?? 0);
  const add = <K extends string>(map: Map<K, FailureCount>, key: K, r: FailureRow) => {
    const c = map.get(key) ?? { count: 0, amount_minor: 0 };
    c.count += r.payments;
    c.amount_minor += r.amount_minor;
    map.set(key, c);
  };
  const byCount = <T extends { count: number }>(a: T, b: T, ka: string, kb: string) => b.count - a.count || ka.localeCompare(kb);

  if (options.group === 'code') {
    const cells = new Map<string, FailureCount & { code: string; category: string; currency: string }>();
    for (const r of rows) {
      const key = `${r.currency}\u0000${r.failure_code}\u0000${r.group_value}`;
      const c = cells.get(key) ?? { code: r.failure_code, category: r.group_value, currency: r.currency, count: 0, amount_minor: 0 };
      c.count += r.payments;
      c.amount_minor += r.amount_minor;
      cells.set(key, c);
    }
    const items = [...cells.values()]
      .map((c) => ({
        reason: c.code,
        code: c.code,
        category: c.category,
        currency: c.currency,
        count: c.count,
        amount_minor: c.amount_minor,
        share: share(c.count, c.currency),
      }))
      .sort((a, b) => byCurrency(a, b) || byCount(a, b, a.code, b.code));
    return ok({ range: rangeView(q.range), group: options.group, items: limitPerCurrency(items, options.limit), notes: [] });
  }

  const categories = new Map<string, { currency: string; category: string; total: FailureCount; codes: Map<string, FailureCount> }>();
  for (const r of rows) {
    const key = `${r.currency}\u0000${r.group_value}`;
    let c = categories.get(key);
    if (!c) {
      c = { currency: r.currency, category: r.group_value, total: { count: 0, amount_minor: 0 }, codes: new Map() };
      categories.set(key, c);
    }
    c.total.count += r.payments;
    c.total.amount_minor += r.amount_minor;
    add(c.codes, r.failure_code, r);
  }
  const items = [...categories.values()]
    .map((c) => ({
      reason: c.category,
      category: c.category,
      currency: c.currency,
      count: c.total.count,
      amount_minor: c.total.amount_minor,
      share: share(c.total.count, c.currency),
      codes: [...c.codes]
        .map(([code, n]) => ({ code, count: n.count, amount_minor: n.amount_minor, share: ratio(n.count, c.total.count) }))
        .sort((a, b) => byCount(a, b, a.code, b.code))
        .slice(0, options.limit),
    }))
    .sort((a, b) => byCurrency(a, b) || byCount(a, b, a.category, b.category));
  return ok({ range: rangeView(q.range), group: options.group, items: limitPerCurrency(items, options.limit), notes: [] });
}

function limitPerCurrency<T extends { currency: string }>(items: readonly T[], limit: number): T[] {
  return [...new Set(items.map((i) => i.currency))].flatMap((c) => items.filter((i) => i.currency === c).slice(0, limit));
}

/** `GET /api/v1/analytics/refund-reasons`: counts and amounts per refund reason and currency. */
export async function queryRefundReasons(
  warehouse: QueryRunner,
  q: AnalyticsQuery,
  options: { limit: number },
): Promise<Result<Record<string, unknown>>> {
  const rows = (
    await runQuery(warehouse, refundReasonTotals, {
      segments: segmentsOf([{ from: q.range.from, to: q.range.to }]),
      group: 'reason',
      filters: q.filters,
    })
  ).filter((r) => r.refunds !== 0);
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(r.currency, (totals.get(r.currency) ?? 0) + r.refunds);
  const items = rows
    .map((r) => ({
      reason: r.group_value,
      currency: r.currency,
      count: r.refunds,
      amount_minor: r.amount_minor,
      share: ratio(r.refunds, totals.get(r.currency) ?? 0),
    }))
    .sort((a, b) => byCurrency(a, b) || b.count - a.count || a.reason.localeCompare(b.reason));
  return ok({ range: rangeView(q.range), items: limitPerCurrency(items, options.limit), notes: notesOf(q.filters) });
}
