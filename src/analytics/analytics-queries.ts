import { ErrorCode, type Result, err, failure, ok } from '../core/errors.js';
import type { Warehouse } from '../warehouse/warehouse-port.js';
import { ratio } from './decimal.js';
import { notesOf } from './filters.js';
import { type UsedRate, convertTotals, ratesFor, ratesView } from './fx-rates.js';
import { type Kpis, type Totals, addTotals, emptyTotals, kpisOf } from './kpis.js';
import type { AnalyticsQuery, ResolvedRange } from './query-params.js';
import { rangeView } from './query-params.js';
import { type Cell, type GroupBy, readTotals, rollupSql, segmentsOf } from './rollup-query.js';
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

async function reportRates(warehouse: Warehouse, q: AnalyticsQuery, cells: readonly Cell[]): Promise<Result<Map<string, UsedRate> | null>> {
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
  report?: { currency: string; kpis: Kpis; rates: ReturnType<typeof ratesView> };
  notes: string[];
}

/** `GET /api/v1/analytics/kpis`: the KPIs of the range, per currency. */
export async function queryKpis(warehouse: Warehouse, q: AnalyticsQuery): Promise<Result<KpisResponse>> {
  const cells = await readTotals(warehouse, [{ from: q.range.from, to: q.range.to }], q.filters);
  const rates = await reportRates(warehouse, q, cells);
  if (!rates.ok) return rates;
  const out: KpisResponse = {
    range: rangeView(q.range),
    currencies: cells.map((c) => kpisOf(c.currency, c.totals)).sort(byCurrency),
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
  warehouse: Warehouse,
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
  warehouse: Warehouse,
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
  warehouse: Warehouse,
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
  warehouse: Warehouse,
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

/** `GET /api/v1/analytics/failure-reasons` and `…/refund-reasons`: counts and amounts per reason and currency. */
export async function queryReasons(
  warehouse: Warehouse,
  q: AnalyticsQuery,
  options: { kind: 'failure' | 'refund'; limit: number },
): Promise<Result<Record<string, unknown>>> {
  const segments = segmentsOf([{ from: q.range.from, to: q.range.to }]);
  const params: unknown[] = [];
  const sql =
    options.kind === 'failure'
      ? rollupSql(
          'payments',
          segments,
          { group: 'failure_code', extra: [], measures: ['payments', 'amount_minor'] },
          q.filters,
          params,
          ` AND r.status = 'failed'`,
        )
      : rollupSql('refunds', segments, { group: 'reason', extra: [], measures: ['refunds', 'amount_minor'] }, q.filters, params);
  const rows = await warehouse.query<Record<string, unknown>>(sql, params);
  const countOf = (r: Record<string, unknown>) => (options.kind === 'failure' ? r.payments : r.refunds) as number;
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(r.currency as string, (totals.get(r.currency as string) ?? 0) + countOf(r));
  const items = rows
    .filter((r) => countOf(r) !== 0)
    .map((r) => ({
      reason: String(options.kind === 'failure' ? r.failure_code : r.reason),
      currency: r.currency as string,
      count: countOf(r),
      amount_minor: r.amount_minor as number,
      share: ratio(countOf(r), totals.get(r.currency as string) ?? 0),
    }))
    .sort((a, b) => byCurrency(a, b) || b.count - a.count || a.reason.localeCompare(b.reason));
  const limited = [...new Set(items.map((i) => i.currency))].flatMap((c) => items.filter((i) => i.currency === c).slice(0, options.limit));
  return ok({ range: rangeView(q.range), items: limited, notes: options.kind === 'refund' ? notesOf(q.filters) : [] });
}
