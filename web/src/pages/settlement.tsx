import { useEffect, useMemo, useState } from 'react';
import { Chart, PALETTE } from '../components/chart';
import { Async, Empty } from '../components/states';
import { Card, Tile } from '../components/tile';
import { formatChartMoney, formatCount, formatDecimal, formatMoney, formatRate, minorToChartValue } from '../format';
import { useApi, useMerchantNames } from '../hooks';
import {
  BUCKET_FIELDS,
  currencyOf,
  GMV_FIELDS,
  groupKey,
  listOf,
  pick,
  type Row,
  rate,
  type SettlementTilesResponse,
  seriesOf,
} from '../shapes';
import { FilterBar, type Filters, filterQuery, filtersFromSearch, rangeProblem, searchOfFilters, useFilterOptions } from './payments';

/** The tiles API answers at most 744 local hours (TOO_MANY_POINTS beyond): 31 days. */
const MAX_DAYS = 31;
/** Up to this many days the trend is hourly; beyond, daily. */
const HOURLY_MAX_DAYS = 2;

interface TrendPoint {
  label: string;
  gmv: number;
  settled: number;
}

/**
 * The settlement-rate trend over the chosen range. An hour holds a handful of payments, so its
 * rate jumps between 0 % and 100 % and the line says nothing: beyond two days the hours are
 * summed per local day (settled ÷ GMV of the day, from the integer minor units), and a bucket
 * without GMV is a gap, not 0 %.
 */
export function trendPoints(points: Row[], days: number): { granularity: 'hour' | 'day'; points: TrendPoint[] } {
  const startOf = (r: Row) => String(BUCKET_FIELDS.map((f) => r[f]).find((v) => v !== undefined) ?? r.hour ?? '');
  if (days <= HOURLY_MAX_DAYS) {
    return {
      granularity: 'hour',
      points: points.map((r) => ({
        label: startOf(r).replace('T', ' ').slice(0, 16),
        gmv: pick(r, ...GMV_FIELDS) ?? 0,
        settled: pick(r, 'settled_minor') ?? 0,
      })),
    };
  }
  const byDay = new Map<string, TrendPoint>();
  for (const r of points) {
    const day = startOf(r).slice(0, 10); // the local date: `start` is local time with its offset
    const p = byDay.get(day) ?? { label: day, gmv: 0, settled: 0 };
    p.gmv += pick(r, ...GMV_FIELDS) ?? 0;
    p.settled += pick(r, 'settled_minor') ?? 0;
    byDay.set(day, p);
  }
  return { granularity: 'day', points: [...byDay.values()] };
}

export function SettlementPage() {
  const [filters, setFilters] = useState<Filters>(() => filtersFromSearch(window.location.search));
  const names = useMerchantNames();
  const options = useFilterOptions(filters);
  useEffect(() => {
    const search = searchOfFilters(filters);
    if (search !== window.location.search)
      window.history.replaceState(null, '', `${window.location.pathname}${search}${window.location.hash}`);
  }, [filters]);
  const problem = rangeProblem(filters, MAX_DAYS);
  const query = useMemo(() => ({ ...filterQuery(filters), status: '' }), [filters]);
  const days = Math.max(1, Math.round((Date.parse(filters.to) - Date.parse(filters.from)) / 86_400_000) + 1);
  const state = useApi<SettlementTilesResponse>(problem ? null : '/api/v1/settlement/tiles', query, 30_000);
  return (
    <div className="page">
      <h1>Settlement</h1>
      <FilterBar value={filters} onChange={setFilters} options={options} names={names} statuses={[]} hide={['status']} />
      {problem ? (
        <div className="form-error" role="alert" data-testid="range-error">
          {problem}
        </div>
      ) : (
        <Async state={state} what="the settlement tiles">
          {(body) => {
            const tiles = body.tiles;
            // Every money tile is a list per currency (docs/analytics-api.md#settlement-tiles): show the
            // currency with the largest GMV, the others underneath.
            type Tile = keyof typeof tiles;
            const perCurrency = (name: Tile) => listOf(tiles[name] ?? []);
            const gmvs = [...perCurrency('gmv')].sort((a, b) => (pick(b, 'gmv_minor') ?? 0) - (pick(a, 'gmv_minor') ?? 0));
            const currency = currencyOf(gmvs[0]) ?? currencyOf(body);
            const of = (name: Tile) => perCurrency(name).find((r) => r.currency === currency) ?? null;
            const others = (name: Tile, field: string) =>
              perCurrency(name)
                .filter((r) => r.currency !== currency)
                .map((r) => formatMoney(pick(r, field), currencyOf(r), true))
                .join(' · ');
            const lag = listOf((tiles.settlement_lag as Row | undefined)?.by_currency ?? []).find((r) => r.currency === currency) ?? null;
            const rateRow = of('settlement_rate');
            const byMode = listOf(tiles.gmv_by_payment_mode ?? []).filter((r) => !currency || r.currency === currency);
            const hourly = seriesOf({ series: tiles.hourly_settlement_rate ?? [] }, currency ?? undefined).points;
            const trend = trendPoints(hourly, days);
            // The API ranks the top 10 per currency (sorted by currency): list the headline currency's.
            const unsettled = listOf(tiles.top_unsettled_merchants ?? []).filter((r) => !currency || r.currency === currency);
            // Like every other tile, the headline currency's count (the settlement rate by count is of it).
            const count = pick(of('transactions'), 'count');
            const otherCounts = perCurrency('transactions')
              .filter((r) => r.currency !== currency)
              .map((r) => `${formatCount(pick(r, 'count'))} ${String(r.currency)}`)
              .join(' · ');
            const scalars: [string, string, string, string | undefined][] = [
              ['gmv', 'GMV', formatMoney(pick(of('gmv'), 'gmv_minor'), currency), others('gmv', 'gmv_minor') || undefined],
              ['transactions', 'Transactions', formatCount(count), `successful payments${otherCounts ? ` · also ${otherCounts}` : ''}`],
              [
                'settled',
                'Settled amount',
                formatMoney(pick(of('settled_amount'), 'settled_minor'), currency),
                others('settled_amount', 'settled_minor') || undefined,
              ],
              [
                'pending',
                'Pending amount',
                formatMoney(pick(of('pending_amount'), 'pending_minor'), currency),
                others('pending_amount', 'pending_minor') || undefined,
              ],
              [
                'rate',
                'Settlement rate',
                formatRate(rate(rateRow, 'by_amount')),
                `by amount · ${formatRate(rate(rateRow, 'by_count'))} by count`,
              ],
              [
                'lag',
                'Average settlement lag',
                lag?.label ? String(lag.label) : '—',
                lag
                  ? `${formatDecimal(pick(lag, 'average_days'))} days over ${formatCount(pick(lag, 'samples'))} payments`
                  : 'no settled payments',
              ],
            ];
            return (
              <>
                <div className="tiles tiles-3" data-testid="settlement-tiles">
                  {scalars.map(([id, label, value, sub]) => (
                    <Tile key={id} testId={`settlement-${id}`} label={label} value={value} sub={sub} />
                  ))}
                </div>
                <div className="grid-2">
                  <Card title="GMV by payment mode" testId="settlement-by-mode">
                    {byMode.length === 0 ? (
                      <Empty>No payments yet.</Empty>
                    ) : (
                      <Chart
                        label="GMV by payment mode"
                        testId="settlement-by-mode-chart"
                        summary={JSON.stringify({
                          currency,
                          gmv_minor: Object.fromEntries(byMode.map((r) => [groupKey(r, 'payment_method'), pick(r, ...GMV_FIELDS) ?? 0])),
                        })}
                        height={240}
                        option={{
                          color: PALETTE,
                          grid: { left: 96, right: 24, top: 8, bottom: 24 },
                          tooltip: { trigger: 'axis', valueFormatter: (v: number) => formatChartMoney(v, currency ?? 'INR') },
                          xAxis: { type: 'value', axisLabel: { formatter: (v: number) => formatChartMoney(v, currency ?? 'INR', true) } },
                          yAxis: { type: 'category', data: byMode.map((r) => groupKey(r, 'payment_method')) },
                          series: [
                            {
                              type: 'bar',
                              data: byMode.map((r) =>
                                minorToChartValue(pick(r, ...GMV_FIELDS) ?? 0, currencyOf(r, undefined, currency) ?? 'INR'),
                              ),
                            },
                          ],
                        }}
                      />
                    )}
                  </Card>
                  <Card title={`Settlement rate by ${trend.granularity} of payment · ${currency ?? ''}`} testId="settlement-trend">
                    {trend.points.every((p) => p.gmv === 0) ? (
                      <Empty>No settlements yet.</Empty>
                    ) : (
                      <Chart
                        label="Hourly settlement rate"
                        testId="settlement-trend-chart"
                        summary={JSON.stringify({ currency, granularity: trend.granularity, points: trend.points.length })}
                        height={240}
                        option={{
                          color: ['#16a34a'],
                          grid: { left: 56, right: 24, top: 8, bottom: 24 },
                          tooltip: {
                            trigger: 'axis',
                            valueFormatter: (v: number | null) => (typeof v === 'number' ? `${v.toFixed(1)}%` : 'no payments'),
                          },
                          xAxis: { type: 'category', data: trend.points.map((p) => p.label) },
                          yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
                          series: [
                            {
                              type: 'line',
                              smooth: false,
                              // A bucket without GMV has no rate: a gap, not a 0 %. Display only: the ratio of two integers.
                              data: trend.points.map((p) => (p.gmv > 0 ? Math.round((p.settled / p.gmv) * 1000) / 10 : null)),
                              connectNulls: false,
                            },
                          ],
                        }}
                      />
                    )}
                  </Card>
                </div>
                <Card title="Top merchants by unsettled amount" testId="settlement-unsettled">
                  {unsettled.length === 0 ? (
                    <Empty>Nothing is waiting to settle.</Empty>
                  ) : (
                    <div className="table-scroll">
                      <table className="table">
                        <thead>
                          <tr>
                            <th>Merchant</th>
                            <th className="num">Unsettled</th>
                            <th className="num">Transactions</th>
                            <th>Cycle</th>
                          </tr>
                        </thead>
                        <tbody>
                          {unsettled.slice(0, 10).map((r) => (
                            <tr key={`${groupKey(r, 'merchant_id')} ${String(r.currency)}`} data-testid="unsettled-row">
                              <td className="wrap">{String(r.merchant_name ?? r.name ?? groupKey(r, 'merchant_id'))}</td>
                              <td className="num">
                                {formatMoney(
                                  pick(
                                    r,
                                    'unsettled_amount_minor',
                                    'unsettled_minor',
                                    'pending_amount_minor',
                                    'amount_minor',
                                    'unsettled_amount',
                                  ),
                                  currencyOf(r, 'unsettled_amount', currency),
                                )}
                              </td>
                              <td className="num">{formatCount(pick(r, 'unsettled_count'))}</td>
                              <td>{String(r.settlement_cycle ?? r.cycle ?? '—')}</td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </div>
                  )}
                </Card>
                {gmvs.length > 1 && (
                  <Card title="Every currency" testId="settlement-currencies">
                    <div className="table-scroll">
                      <table className="table">
                        <thead>
                          <tr>
                            <th>Currency</th>
                            <th className="num">GMV</th>
                            <th className="num">Settled</th>
                            <th className="num">Pending</th>
                            <th className="num">Settlement rate</th>
                          </tr>
                        </thead>
                        <tbody>
                          {gmvs.map((g) => {
                            const c = String(g.currency ?? '');
                            const row = (name: Tile) => perCurrency(name).find((r) => r.currency === c) ?? null;
                            return (
                              <tr key={c} data-testid="settlement-currency-row" data-currency={c}>
                                <td>{c}</td>
                                <td className="num">{formatMoney(pick(g, 'gmv_minor'), c)}</td>
                                <td className="num">{formatMoney(pick(row('settled_amount'), 'settled_minor'), c)}</td>
                                <td className="num">{formatMoney(pick(row('pending_amount'), 'pending_minor'), c)}</td>
                                <td className="num">{formatRate(rate(row('settlement_rate'), 'by_amount'))}</td>
                              </tr>
                            );
                          })}
                        </tbody>
                      </table>
                    </div>
                  </Card>
                )}
              </>
            );
          }}
        </Async>
      )}
    </div>
  );
}
