import { useEffect, useMemo, useState } from 'react';
import { type ApiError, subscribe } from '../api';
import { Chart, PALETTE } from '../components/chart';
import { Async, Empty, ErrorBox, Loading } from '../components/states';
import { Card, Tile } from '../components/tile';
import { formatChartMoney, formatCount, formatDateTime, formatMoney, formatRate, minorToChartValue } from '../format';
import { useApi, useMerchantNames } from '../hooks';
import {
  BUCKET_FIELDS,
  type TimeseriesResponse,
  COUNT_FIELDS,
  currenciesByAmount,
  currencyOf,
  GMV_FIELDS,
  listOf,
  pick,
  pickString,
  type Row,
  rate,
  seriesOf,
} from '../shapes';

/** Today's GMV may be one amount with a currency or an amount per currency. */
function todayGmv(live: Row): { minor: number; currency: string }[] {
  for (const k of ['gmv_today', 'today_gmv', 'gmv']) {
    const v = live[k];
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Row;
      if (typeof o.amount_minor === 'number' && typeof o.currency === 'string') return [{ minor: o.amount_minor, currency: o.currency }];
      const entries = Object.entries(o).filter(([c, m]) => /^[A-Z]{3}$/.test(c) && typeof m === 'number');
      if (entries.length > 0)
        return entries.map(([currency, minor]) => ({ currency, minor: minor as number })).sort((a, b) => b.minor - a.minor);
    }
    // The feed lists currencies alphabetically: lead with the largest amount, as the object form does.
    if (Array.isArray(v))
      return listOf(v)
        .flatMap((r) =>
          typeof r.gmv_minor === 'number' && typeof r.currency === 'string' ? [{ minor: r.gmv_minor, currency: r.currency }] : [],
        )
        .sort((a, b) => b.minor - a.minor);
  }
  const minor = pick(live, 'gmv_today_minor', 'today_gmv_minor', 'gmv_minor');
  const currency = currencyOf(live);
  return minor !== null && currency ? [{ minor, currency }] : [];
}

function LiveTiles() {
  const [live, setLive] = useState<Row | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [connected, setConnected] = useState(false);
  const names = useMerchantNames();
  useEffect(
    () =>
      subscribe(`/api/v1/live?tz=${encodeURIComponent(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC')}`, {
        onOpen: () => setConnected(true),
        onMessage: (m) => {
          try {
            setLive(JSON.parse(m.data) as Row);
            setError(null);
          } catch {
            // a comment or keep-alive: ignore
          }
        },
        onError: (e) => {
          setConnected(false);
          setError(e);
        },
      }),
    [],
  );

  if (!live && error) return <ErrorBox error={error} what="the live feed" />;
  if (!live) return <Loading label="Connecting to the live feed…" />;
  const gmv = todayGmv(live);
  const first = gmv[0];
  const failures = listOf(live.latest_failures ?? live.failures ?? []);
  const perMinute = Array.isArray(live.transactions_per_minute) ? listOf(live.transactions_per_minute) : [];
  const tpm = perMinute.length > 0 ? pick(perMinute[perMinute.length - 1], 'payment_count') : pick(live, 'transactions_per_minute', 'tpm');
  const success = rate(live, 'success_rate', 'success_rate_pct');
  // Today's failures (in the browser's zone) as the feed counts them — not the length of the short list below.
  const counts = live.counts && typeof live.counts === 'object' ? (live.counts as Row) : null;
  const failedToday = pick(counts, 'failed', 'failed_count') ?? pick(live, 'failed_count', 'failed_today');
  const merchant = (id: string | null) => (id ? (names.get(id) ?? id) : '—');
  return (
    <>
      <div className="live-status" data-testid="live-status">
        <span className={`dot ${connected ? 'on' : 'off'}`} aria-hidden="true" /> {connected ? 'Live' : 'Reconnecting…'}
        {pickString(live, 'at', 'time', 'as_of') && (
          <span className="muted"> · updated {formatDateTime(pickString(live, 'at', 'time', 'as_of'))}</span>
        )}
      </div>
      <div className="tiles tiles-4">
        <Tile
          testId="live-gmv"
          label="GMV today"
          value={first ? formatMoney(first.minor, first.currency) : '—'}
          sub={
            gmv.length > 1
              ? gmv
                  .slice(1, 4)
                  .map((g) => formatMoney(g.minor, g.currency, true))
                  .join(' · ')
              : first?.currency
          }
        />
        <Tile
          testId="live-tpm"
          label="Transactions / minute"
          value={formatCount(tpm)}
          sub={
            perMinute.length > 1
              ? `last minute · ${formatCount(perMinute.reduce((n, m) => n + (pick(m, 'payment_count') ?? 0), 0))} in ${perMinute.length} min`
              : 'last minute'
          }
        />
        <Tile
          testId="live-success"
          label="Success rate"
          value={formatRate(success)}
          tone={success === null ? 'neutral' : success >= 0.9 ? 'good' : 'bad'}
        />
        <Tile
          testId="live-failures"
          label="Failures today"
          value={formatCount(failedToday)}
          sub={failures.length === 0 ? 'none yet' : `latest ${Math.min(failures.length, 8)} below`}
        />
      </div>
      {failures.length > 0 && (
        <Card title="Latest failures" testId="latest-failures">
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Merchant</th>
                  <th>Gateway</th>
                  <th>Reason</th>
                  <th className="num">Amount</th>
                </tr>
              </thead>
              <tbody>
                {failures.slice(0, 8).map((f, i) => (
                  <tr key={String(f.payment_id ?? f.id ?? i)}>
                    <td>{formatDateTime(pickString(f, 'at', 'time', 'occurred_at', 'payment_date'))}</td>
                    <td>{merchant(pickString(f, 'merchant_id', 'merchant'))}</td>
                    <td>{pickString(f, 'gateway') ?? '—'}</td>
                    <td className="wrap">{pickString(f, 'failure_reason', 'reason', 'failure_code', 'code') ?? '—'}</td>
                    <td className="num">{formatMoney(pick(f, 'amount_minor', 'amount'), currencyOf(f, 'amount'))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Card>
      )}
    </>
  );
}

function GmvTrend() {
  const query = useMemo(() => {
    const to = new Date();
    const from = new Date(to.getTime() - 30 * 86_400_000);
    return {
      granularity: 'day',
      from: from.toISOString(),
      to: to.toISOString(),
      tz: Intl.DateTimeFormat().resolvedOptions().timeZone,
    };
  }, []);
  const state = useApi<TimeseriesResponse>('/api/v1/analytics/timeseries', query, 30_000);
  const [chosen, setChosen] = useState('');
  // Amounts of different currencies are never added: the chart shows one currency, named in the
  // title, the largest by default, and the reader may pick another.
  const currencies = useMemo(
    () =>
      currenciesByAmount(
        listOf((state.data as Row | null)?.series ?? []).flatMap((s) =>
          listOf(s.points ?? []).map((p) => ({ currency: s.currency, gmv_minor: pick(p, ...GMV_FIELDS) ?? 0 })),
        ),
        'gmv_minor',
      ),
    [state.data],
  );
  const shown = chosen || currencies[0] || '';
  return (
    <Card
      title={`GMV trend · last 30 days${shown ? ` · ${shown}` : ''}`}
      testId="gmv-trend-card"
      actions={
        currencies.length > 1 ? (
          <label className="field inline">
            <span>Currency</span>
            <select value={shown} onChange={(e) => setChosen(e.target.value)} data-testid="gmv-trend-currency">
              {currencies.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>
        ) : null
      }
    >
      <Async state={state} what="the GMV trend">
        {(body) => {
          const series = seriesOf(body, shown || undefined);
          const rows = series.points;
          if (rows.length === 0 || rows.every((r) => (pick(r, ...GMV_FIELDS) ?? 0) === 0))
            return <Empty>No payments in the last 30 days.</Empty>;
          const currency = series.currency ?? 'INR';
          const x = rows.map((r) => String(BUCKET_FIELDS.map((f) => r[f]).find((v) => v !== undefined) ?? '').slice(0, 10));
          const y = rows.map((r) => minorToChartValue(pick(r, ...GMV_FIELDS) ?? 0, currency));
          return (
            <Chart
              label="GMV per day"
              testId="gmv-trend"
              summary={JSON.stringify({
                points: rows.length,
                currency,
                gmv_minor: rows.reduce((n, r) => n + (pick(r, ...GMV_FIELDS) ?? 0), 0),
                count: rows.reduce((n, r) => n + (pick(r, ...COUNT_FIELDS) ?? 0), 0),
              })}
              option={{
                color: PALETTE,
                grid: { left: 72, right: 16, top: 16, bottom: 32 },
                tooltip: { trigger: 'axis', valueFormatter: (v: number) => formatChartMoney(v, currency) },
                xAxis: { type: 'category', data: x },
                yAxis: { type: 'value', axisLabel: { formatter: (v: number) => formatChartMoney(v, currency, true) } },
                series: [
                  {
                    type: 'line',
                    name: `GMV (${currency})`,
                    data: y,
                    smooth: true,
                    areaStyle: { opacity: 0.12 },
                    showSymbol: rows.length < 40,
                  },
                ],
              }}
            />
          );
        }}
      </Async>
    </Card>
  );
}

export function OverviewPage() {
  return (
    <div className="page">
      <h1>Overview</h1>
      <LiveTiles />
      <GmvTrend />
    </div>
  );
}
