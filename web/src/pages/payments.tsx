import { type ReactNode, useEffect, useMemo, useState } from 'react';
import { Chart, PALETTE } from '../components/chart';
import { FailureReasons } from '../components/failure-reasons';
import { Async, Empty } from '../components/states';
import { Card, Tile } from '../components/tile';
import { formatChartMoney, formatCount, formatMoney, formatRate, minorToChartValue } from '../format';
import { useApi, useMerchantNames } from '../hooks';
import {
  BUCKET_FIELDS,
  type BreakdownResponse,
  type KpisResponse,
  type TimeseriesResponse,
  COUNT_FIELDS,
  currenciesByAmount,
  currencyOf,
  GMV_FIELDS,
  groupKey,
  kpisByCurrency,
  listOf,
  pick,
  type Row,
  rate,
  SUCCESS_FIELDS,
  seriesOf,
} from '../shapes';

export interface Filters {
  from: string; // YYYY-MM-DD, inclusive, in `tz`
  to: string; // YYYY-MM-DD, inclusive, in `tz`
  tz: string;
  merchant: string;
  gateway: string;
  method: string;
  region: string;
  currency: string;
  status: string;
}

const ZONES = [
  'UTC',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Asia/Singapore',
  'Asia/Dubai',
  'Europe/London',
  'Europe/Berlin',
  'America/New_York',
  'America/Los_Angeles',
  'Australia/Adelaide',
];
const DIMENSIONS = [
  { key: 'gateway', title: 'By gateway' },
  { key: 'payment_method', title: 'By method' },
  { key: 'region', title: 'By region' },
  { key: 'merchant', title: 'By merchant' },
] as const;

function isoDay(d: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

export function defaultFilters(): Filters {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const now = new Date();
  return {
    from: isoDay(new Date(now.getTime() - 29 * 86_400_000), tz),
    to: isoDay(now, tz),
    tz,
    merchant: '',
    gateway: '',
    method: '',
    region: '',
    currency: '',
    status: '',
  };
}

const FILTER_KEYS = ['from', 'to', 'tz', 'merchant', 'gateway', 'method', 'region', 'currency', 'status'] as const;

/** Filters from the address bar (`/payments?gateway=razorpay&tz=Asia/Kolkata`), defaults for the rest: a filtered view can be shared. */
export function filtersFromSearch(search: string): Filters {
  const f = defaultFilters();
  const params = new URLSearchParams(search);
  for (const k of FILTER_KEYS) {
    const v = params.get(k);
    if (v !== null && v !== '') f[k] = v;
  }
  return f;
}

/** The address-bar query of `f`: only what differs from the defaults. */
export function searchOfFilters(f: Filters): string {
  const d = defaultFilters();
  const params = new URLSearchParams();
  for (const k of FILTER_KEYS) if (f[k] !== d[k] && f[k] !== '') params.set(k, f[k]);
  const qs = params.toString();
  return qs ? `?${qs}` : '';
}

/** The query every analytics endpoint takes (docs/analytics-api.md). */
export function filterQuery(f: Filters): Record<string, string> {
  return {
    from: f.from,
    to: f.to,
    tz: f.tz,
    merchant: f.merchant,
    gateway: f.gateway,
    method: f.method,
    region: f.region,
    currency: f.currency,
    status: f.status,
  };
}

/**
 * The statuses the warehouse holds for the range and the other filters, commonest first: the
 * status filter offers only values that match payments (a fixed list once offered "refunded",
 * which is no payment status, and lacked "succeeded").
 */
export function useStatusOptions(query: Record<string, string>): string[] {
  const state = useApi<BreakdownResponse>('/api/v1/analytics/breakdown', { ...query, status: '', dimension: 'status', limit: 50 });
  return useMemo(() => {
    const counts = new Map<string, number>();
    for (const r of listOf(state.data)) {
      const k = groupKey(r, 'status');
      if (k !== '(none)') counts.set(k, (counts.get(k) ?? 0) + (pick(r, ...COUNT_FIELDS) ?? 0));
    }
    return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k);
  }, [state.data]);
}

const OPTION_DIMENSIONS = ['gateway', 'payment_method', 'region', 'merchant', 'currency'] as const;

/** The values of each filter over the range (every other filter off), from the breakdown API: what the selects offer. */
export function useFilterOptions(f: Filters): Record<string, string[]> {
  const range = { from: f.from, to: f.to, tz: f.tz, limit: 500 };
  const gateway = useApi<BreakdownResponse>('/api/v1/analytics/breakdown', { ...range, dimension: 'gateway' });
  const method = useApi<BreakdownResponse>('/api/v1/analytics/breakdown', { ...range, dimension: 'payment_method' });
  const region = useApi<BreakdownResponse>('/api/v1/analytics/breakdown', { ...range, dimension: 'region' });
  const merchant = useApi<BreakdownResponse>('/api/v1/analytics/breakdown', { ...range, dimension: 'merchant' });
  const states = [gateway, method, region, merchant];
  // biome-ignore lint/correctness/useExhaustiveDependencies: the four answers are the inputs
  return useMemo(() => {
    const out: Record<string, string[]> = {};
    OPTION_DIMENSIONS.forEach((dim, i) => {
      const rows = dim === 'currency' ? listOf(gateway.data) : listOf(states[i]?.data);
      const values = rows.map((r) => (dim === 'currency' ? String(r.currency ?? '') : groupKey(r, dim)));
      out[dim] = [...new Set(values.filter((v) => v && v !== '(none)'))].sort();
    });
    return out;
  }, [gateway.data, method.data, region.data, merchant.data]);
}

/** What is wrong with the chosen dates, said once, in the chosen zone's local dates; null when nothing. */
export function rangeProblem(f: Filters, maxDays?: number): string | null {
  if (!f.from || !f.to) return null;
  if (f.from > f.to) return `From (${f.from}) is after To (${f.to}) in ${f.tz}: choose a From on or before the To date.`;
  const days = Math.round((Date.parse(f.to) - Date.parse(f.from)) / 86_400_000) + 1;
  if (maxDays !== undefined && days > maxDays)
    return `The range is ${days} days; this page shows at most ${maxDays}. Move From or To closer.`;
  return null;
}

export function FilterBar(props: {
  value: Filters;
  onChange(f: Filters): void;
  options: Record<string, string[]>;
  names: Map<string, string>;
  statuses: string[];
  /** Filters this page does not offer. */
  hide?: readonly (keyof Filters)[];
  children?: ReactNode;
}) {
  const f = props.value;
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => props.onChange({ ...f, [k]: e.target.value });
  const zones = ZONES.includes(f.tz) ? ZONES : [f.tz, ...ZONES];
  const select = (k: keyof Filters, label: string, values: string[], labelOf: (v: string) => string = (v) => v) =>
    props.hide?.includes(k) ? null : (
      <label className="field">
        <span>{label}</span>
        <select value={f[k]} onChange={set(k)} data-testid={`filter-${k}`}>
          <option value="">All</option>
          {[...new Set([...values, ...(f[k] ? [f[k]] : [])])].filter(Boolean).map((v) => (
            <option key={v} value={v}>
              {labelOf(v)}
            </option>
          ))}
        </select>
      </label>
    );
  return (
    <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
      <label className="field">
        <span>From</span>
        <input type="date" value={f.from} max={f.to} onChange={set('from')} data-testid="filter-from" />
      </label>
      <label className="field">
        <span>To</span>
        <input type="date" value={f.to} min={f.from} onChange={set('to')} data-testid="filter-to" />
      </label>
      <label className="field">
        <span>Time zone</span>
        <select value={f.tz} onChange={set('tz')} data-testid="filter-tz">
          {zones.map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </select>
      </label>
      {select('merchant', 'Merchant', props.options.merchant ?? [], (id) => props.names.get(id) ?? id)}
      {select('gateway', 'Gateway', props.options.gateway ?? [])}
      {select('method', 'Method', props.options.payment_method ?? [])}
      {select('region', 'Region', props.options.region ?? [])}
      {select('currency', 'Currency', props.options.currency ?? [])}
      {select('status', 'Status', props.statuses)}
      {props.children}
      <button type="button" className="secondary" onClick={() => props.onChange(defaultFilters())}>
        Reset
      </button>
    </form>
  );
}

function Kpis(props: { query: Record<string, string> }) {
  const state = useApi<KpisResponse>('/api/v1/analytics/kpis', props.query);
  return (
    <div data-testid="kpis-area">
      <Async state={state} what="the KPIs">
        {(body) => {
          const all = kpisByCurrency(body);
          const k = all[0];
          if (!k || all.length === 0 || (pick(k, ...COUNT_FIELDS) ?? 0) === 0) return <Empty>No payments match these filters.</Empty>;
          const currency = currencyOf(k);
          return (
            <div className="tiles tiles-4" data-testid="kpis">
              <Tile
                testId="kpi-gmv"
                label="GMV"
                value={formatMoney(pick(k, ...GMV_FIELDS), currency)}
                sub={
                  all.length > 1
                    ? `also ${all
                        .slice(1, 4)
                        .map((o) => formatMoney(pick(o, ...GMV_FIELDS), currencyOf(o), true))
                        .join(' · ')}`
                    : (currency ?? undefined)
                }
              />
              <Tile testId="kpi-count" label="Transactions" value={formatCount(pick(k, ...COUNT_FIELDS))} />
              <Tile
                testId="kpi-aov"
                label="Average order value"
                value={formatMoney(pick(k, 'aov_minor', 'aov', 'average_order_value_minor'), currency)}
              />
              <Tile
                testId="kpi-success"
                label="Success rate"
                value={formatRate(rate(k, ...SUCCESS_FIELDS))}
                sub={`authorised ${formatRate(rate(k, 'authorization_rate'))} · captured ${formatRate(rate(k, 'capture_rate'))}`}
              />
              <Tile
                testId="kpi-refunds"
                label="Refunds"
                value={formatMoney(pick(k, 'refund_amount_minor', 'refunds_minor', 'refund_amount'), currency)}
                sub={`rate ${formatRate(rate(k, 'refund_rate', 'refund_rate_pct'))}`}
              />
              <Tile
                testId="kpi-disputes"
                label="Disputes"
                value={formatMoney(pick(k, 'dispute_amount_minor', 'disputes_minor', 'dispute_amount'), currency)}
                sub={`rate ${formatRate(rate(k, 'dispute_rate', 'dispute_rate_pct'))}`}
              />
              <Tile testId="kpi-failure" label="Failure rate" value={formatRate(rate(k, 'failure_rate', 'failure_rate_pct'))} />
              <Tile testId="kpi-net" label="Net revenue" value={formatMoney(pick(k, 'net_revenue_minor', 'net_revenue'), currency)} />
            </div>
          );
        }}
      </Async>
    </div>
  );
}

function Timeseries(props: { query: Record<string, string>; days: number }) {
  const granularity = props.days <= 2 ? 'hour' : props.days <= 120 ? 'day' : 'week';
  const state = useApi<TimeseriesResponse>('/api/v1/analytics/timeseries', { ...props.query, granularity });
  return (
    <Card title={`GMV and transactions per ${granularity} (${props.query.tz})`} testId="timeseries-card">
      <Async state={state} what="the time series">
        {(body) => {
          const series = seriesOf(body, props.query.currency || undefined);
          const rows = series.points;
          if (rows.length === 0 || rows.every((r) => (pick(r, ...COUNT_FIELDS) ?? 0) === 0))
            return <Empty>No payments match these filters.</Empty>;
          const currency = series.currency ?? 'INR';
          const x = rows.map((r) =>
            String(BUCKET_FIELDS.map((f) => r[f]).find((v) => v !== undefined) ?? '')
              .replace('T', ' ')
              .slice(0, granularity === 'hour' ? 16 : 10),
          );
          const gmv = rows.map((r) => pick(r, ...GMV_FIELDS) ?? 0);
          const counts = rows.map((r) => pick(r, ...COUNT_FIELDS) ?? 0);
          return (
            <Chart
              label="GMV and transactions over time"
              testId="payments-timeseries"
              summary={JSON.stringify({
                points: rows.length,
                gmv_minor: gmv.reduce((a, b) => a + b, 0),
                count: counts.reduce((a, b) => a + b, 0),
                currency,
              })}
              option={{
                color: PALETTE,
                legend: { top: 0 },
                grid: { left: 72, right: 56, top: 32, bottom: 32 },
                tooltip: { trigger: 'axis' },
                xAxis: { type: 'category', data: x },
                yAxis: [
                  { type: 'value', axisLabel: { formatter: (v: number) => formatChartMoney(v, currency, true) } },
                  { type: 'value', splitLine: { show: false } },
                ],
                series: [
                  {
                    type: 'bar',
                    name: `GMV (${currency})`,
                    data: gmv.map((m) => minorToChartValue(m, currency)),
                    tooltip: { valueFormatter: (v: number) => formatChartMoney(v, currency) },
                  },
                  { type: 'line', name: 'Transactions', yAxisIndex: 1, data: counts, smooth: true },
                ],
              }}
            />
          );
        }}
      </Async>
    </Card>
  );
}

function Breakdown(props: {
  query: Record<string, string>;
  dimension: string;
  title: string;
  names: Map<string, string>;
  onRows(dim: string, keys: string[]): void;
}) {
  const state = useApi<BreakdownResponse>('/api/v1/analytics/breakdown', { ...props.query, dimension: props.dimension, limit: 50 });
  return (
    <Card title={props.title} testId={`breakdown-${props.dimension}`}>
      <Async state={state} what={props.title.toLowerCase()}>
        {(body) => {
          const all = listOf(body);
          if (all.length === 0) return <Empty>No payments match these filters.</Empty>;
          queueMicrotask(() => {
            props.onRows(
              props.dimension,
              all.map((r) => groupKey(r, props.dimension)),
            );
            props.onRows('currency', all.map((r) => String(r.currency ?? '')).filter(Boolean));
          });
          // One item per (value, currency), sorted by currency: lead with the headline currency (as the
          // KPI tiles do); a share of GMV is of its own currency's total — currencies are never added.
          const currencies = currenciesByAmount(all, 'gmv_minor');
          const rank = (r: Row) => currencies.indexOf(String(r.currency ?? ''));
          const rows = all
            .map((r, i) => ({ r, i }))
            .sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i)
            .map((x) => x.r);
          const totals = new Map<string, number>();
          for (const r of rows)
            totals.set(String(r.currency ?? ''), (totals.get(String(r.currency ?? '')) ?? 0) + (pick(r, ...GMV_FIELDS) ?? 0));
          const label = (key: string) => (props.dimension === 'merchant' ? (props.names.get(key) ?? key) : key);
          return (
            <div className="table-scroll">
              <table
                className="table"
                data-summary={JSON.stringify({ rows: rows.length, gmv_minor_by_currency: Object.fromEntries(totals) })}
              >
                <thead>
                  <tr>
                    <th>{props.title.replace(/^By /, '').replace(/^./, (c) => c.toUpperCase())}</th>
                    <th className="num">GMV</th>
                    <th className="num">Transactions</th>
                    <th className="num">Success</th>
                    <th title="Share of the GMV in the row's currency">Share</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.slice(0, 10).map((r) => {
                    const key = groupKey(r, props.dimension);
                    const currency = String(r.currency ?? '');
                    const gmv = pick(r, ...GMV_FIELDS) ?? 0;
                    const total = totals.get(currency) ?? 0;
                    const share = total > 0 ? gmv / total : null;
                    return (
                      <tr key={`${key} ${currency}`} data-testid="breakdown-row" data-value={key} data-currency={currency}>
                        <td className="wrap" title={label(key) !== key ? `${label(key)} (${key})` : key}>
                          {label(key)}
                          {currency ? <span className="muted"> · {currency}</span> : null}
                        </td>
                        <td className="num" data-cell="gmv">
                          {formatMoney(gmv, currencyOf(r))}
                        </td>
                        <td className="num" data-cell="count">
                          {formatCount(pick(r, ...COUNT_FIELDS))}
                        </td>
                        <td className="num" data-cell="success">
                          {formatRate(rate(r, ...SUCCESS_FIELDS))}
                        </td>
                        <td title={`share of the ${currency} GMV`}>
                          <span className="share-cell">
                            <span className="bar" style={{ width: `${Math.round((share ?? 0) * 60)}%` }} />
                            <span className="muted">{formatRate(share)}</span>
                          </span>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          );
        }}
      </Async>
    </Card>
  );
}

export function PaymentsPage() {
  const [filters, setFilters] = useState<Filters>(() => filtersFromSearch(window.location.search));
  const [options, setOptions] = useState<Record<string, string[]>>({});
  const names = useMerchantNames();
  const query = useMemo(() => filterQuery(filters), [filters]);
  const days = Math.max(1, Math.round((Date.parse(filters.to) - Date.parse(filters.from)) / 86_400_000) + 1);
  // The address bar follows the filters (replaced, not pushed: Back leaves the page rather than undoing a filter).
  useEffect(() => {
    const search = searchOfFilters(filters);
    if (search !== window.location.search)
      window.history.replaceState(null, '', `${window.location.pathname}${search}${window.location.hash}`);
  }, [filters]);
  const remember = (dim: string, keys: string[]) =>
    setOptions((o) => {
      const merged = [...new Set([...(o[dim] ?? []), ...keys.filter((k) => k !== '(none)')])].sort();
      return merged.length === (o[dim] ?? []).length ? o : { ...o, [dim]: merged };
    });
  const statuses = useStatusOptions(query);
  // One message for dates that cannot be a range, instead of the same API error in every card.
  const problem = rangeProblem(filters);
  return (
    <div className="page">
      <h1>Payments</h1>
      <FilterBar value={filters} onChange={setFilters} options={options} names={names} statuses={statuses} />
      {problem ? (
        <div className="form-error" role="alert" data-testid="range-error">
          {problem}
        </div>
      ) : (
        <>
          <Kpis query={query} />
          <Timeseries query={query} days={days} />
          <div className="grid-tables">
            {DIMENSIONS.map((d) => (
              <Breakdown key={d.key} query={query} dimension={d.key} title={d.title} names={names} onRows={remember} />
            ))}
          </div>
          <FailureReasons query={query} />
        </>
      )}
    </div>
  );
}
