import { Chart, PALETTE } from '../components/chart';
import { Async, Empty } from '../components/states';
import { Card, Tile } from '../components/tile';
import { formatChartMoney, formatCount, formatDecimal, formatMoney, formatRate, minorToChartValue } from '../format';
import { useApi } from '../hooks';
import { BUCKET_FIELDS, currencyOf, GMV_FIELDS, groupKey, listOf, pick, type Row, rate, seriesOf } from '../shapes';

const TREND_HOURS = 7 * 24;

export function SettlementPage() {
  const state = useApi<Row>('/api/v1/settlement/tiles', { tz: Intl.DateTimeFormat().resolvedOptions().timeZone }, 30_000);
  return (
    <div className="page">
      <h1>Settlement</h1>
      <Async state={state} what="the settlement tiles">
        {(body) => {
          const tiles = (body.tiles as Row | undefined) ?? body;
          // Every money tile is a list per currency (docs/analytics-api.md#settlement-tiles): show the
          // currency with the largest GMV, the others underneath.
          const perCurrency = (name: string) => listOf(tiles[name] ?? []);
          const gmvs = [...perCurrency('gmv')].sort((a, b) => (pick(b, 'gmv_minor') ?? 0) - (pick(a, 'gmv_minor') ?? 0));
          const currency = currencyOf(gmvs[0]) ?? currencyOf(body);
          const of = (name: string) => perCurrency(name).find((r) => r.currency === currency) ?? null;
          const others = (name: string, field: string) =>
            perCurrency(name)
              .filter((r) => r.currency !== currency)
              .map((r) => formatMoney(pick(r, field), currencyOf(r), true))
              .join(' · ');
          const lag = listOf((tiles.settlement_lag as Row | undefined)?.by_currency ?? []).find((r) => r.currency === currency) ?? null;
          const rateRow = of('settlement_rate');
          const byMode = listOf(tiles.gmv_by_payment_mode ?? []).filter((r) => !currency || r.currency === currency);
          // One point per hour of the range (720 for 30 days) is unreadable at this size: the last 7 days.
          const hourly = seriesOf({ series: tiles.hourly_settlement_rate ?? [] }, currency ?? undefined).points;
          const trend = hourly.slice(-TREND_HOURS);
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
                <Card
                  title={`Settlement rate by hour of payment${hourly.length > TREND_HOURS ? ' · last 7 days' : ''}`}
                  testId="settlement-trend"
                >
                  {trend.length === 0 ? (
                    <Empty>No settlements yet.</Empty>
                  ) : (
                    <Chart
                      label="Hourly settlement rate"
                      testId="settlement-trend-chart"
                      summary={JSON.stringify({ currency, points: trend.length })}
                      height={240}
                      option={{
                        color: ['#16a34a'],
                        grid: { left: 56, right: 24, top: 8, bottom: 24 },
                        tooltip: {
                          trigger: 'axis',
                          valueFormatter: (v: number | null) => (typeof v === 'number' ? `${v.toFixed(1)}%` : 'no payments'),
                        },
                        xAxis: {
                          type: 'category',
                          data: trend.map((r) =>
                            String(BUCKET_FIELDS.map((f) => r[f]).find((v) => v !== undefined) ?? r.hour ?? '')
                              .replace('T', ' ')
                              .slice(0, 16),
                          ),
                        },
                        yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
                        series: [
                          {
                            type: 'line',
                            smooth: true,
                            // An hour without GMV has no rate: a gap, not a 0 %.
                            data: trend.map((r) => {
                              const v = rate(r, 'settlement_rate', 'rate', 'settlement_rate_pct');
                              return v === null ? null : v * 100;
                            }),
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
                          <td>{String(r.merchant_name ?? r.name ?? groupKey(r, 'merchant_id'))}</td>
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
                )}
              </Card>
            </>
          );
        }}
      </Async>
    </div>
  );
}
