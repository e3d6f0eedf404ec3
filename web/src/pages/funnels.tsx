import { useState } from 'react';
import { Async, Empty } from '../components/states';
import { Card, Tile } from '../components/tile';
import { formatCount, formatMs } from '../format';
import { useApi } from '../hooks';
import type { FunnelReportResponse } from '../shapes';

/** `GET /api/v1/analytics/funnels` (src/analytics/funnels): the standard purchase funnel per step, a breakdown, a compared period. */

type Steps = FunnelReportResponse['totals']['steps'];
const BREAKDOWNS = [
  ['', 'No breakdown'],
  ['device', 'Device'],
  ['traffic_source', 'Traffic source'],
  ['customer_segment', 'Customer segment'],
  ['category', 'Product category'],
] as const;
const DAY = 86_400_000;

/** "0.4567" → "45.67%"; the server's exact fraction, shown as it came. */
function percent(fraction: string | null | undefined): string {
  if (fraction === null || fraction === undefined) return '—';
  const [whole = '0', frac = ''] = fraction.split('.');
  const digits = `${whole}${frac.padEnd(4, '0')}`.replace(/^0+(?=\d{3})/, '');
  return `${digits.slice(0, -2) || '0'}.${digits.slice(-2)}%`;
}

function StepBars(props: { steps: Steps; compare?: Steps | undefined; testId: string }) {
  const first = props.steps[0]?.entered ?? 0;
  const compareFirst = props.compare?.[0]?.entered ?? 0;
  return (
    <table className="table funnel-steps" data-testid={props.testId}>
      <thead>
        <tr>
          <th>Step</th>
          <th className="num">Entered</th>
          <th>Share of first step</th>
          <th className="num">From previous</th>
          <th className="num">Dropped off</th>
          <th className="num">Median time</th>
          {props.compare && <th className="num">Previous period</th>}
        </tr>
      </thead>
      <tbody>
        {props.steps.map((s, i) => {
          const before = props.compare?.[i];
          return (
            <tr key={s.index} data-testid={`funnel-step-${i}`}>
              <td>{s.label}</td>
              <td className="num" data-testid={`funnel-entered-${i}`}>
                {formatCount(s.entered)}
              </td>
              <td>
                <div className="share-cell">
                  <span className="bar" style={{ width: `${first > 0 ? (s.entered / first) * 240 : 0}px` }} />
                  {percent(s.conversion_from_first)}
                </div>
                {before && (
                  <div className="share-cell muted">
                    <span
                      className="bar bar-previous"
                      style={{ width: `${compareFirst > 0 ? (before.entered / compareFirst) * 240 : 0}px` }}
                    />
                    {percent(before.conversion_from_first)}
                  </div>
                )}
              </td>
              <td className="num">{i === 0 ? '—' : percent(s.conversion_from_previous)}</td>
              <td className="num">{i === 0 ? '—' : `${formatCount(s.dropped_off)} (${percent(s.drop_off_rate)})`}</td>
              <td className="num">{formatMs(s.median_time_to_convert_ms)}</td>
              {props.compare && (
                <td className="num" data-testid={`funnel-compare-${i}`}>
                  {formatCount(before?.entered)}
                </td>
              )}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function FunnelsPage() {
  const [days, setDays] = useState(30);
  const [breakdown, setBreakdown] = useState('');
  const [compare, setCompare] = useState(true);
  // Whole UTC days, so the query (and its cache) stays the same while the page is open.
  const today = Math.floor(Date.now() / DAY) * DAY;
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const query = {
    from: iso(today - (days - 1) * DAY),
    to: iso(today),
    breakdown: breakdown || undefined,
    compare_from: compare ? iso(today - (2 * days - 1) * DAY) : undefined,
    compare_to: compare ? iso(today - days * DAY) : undefined,
  };
  const state = useApi<FunnelReportResponse>('/api/v1/analytics/funnels', query);
  return (
    <div className="page">
      <h1>
        Purchase funnel
        <label className="field inline">
          <span>Range</span>
          <select value={days} onChange={(e) => setDays(Number(e.target.value))} data-testid="funnel-days">
            {[1, 7, 30, 90].map((d) => (
              <option key={d} value={d}>
                {d === 1 ? 'today' : `${d} days`}
              </option>
            ))}
          </select>
        </label>
        <label className="field inline">
          <span>Breakdown</span>
          <select value={breakdown} onChange={(e) => setBreakdown(e.target.value)} data-testid="funnel-breakdown">
            {BREAKDOWNS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="field inline">
          <input type="checkbox" checked={compare} onChange={(e) => setCompare(e.target.checked)} data-testid="funnel-compare" />
          <span>Compare with the previous period</span>
        </label>
      </h1>
      <Async state={state} what="the funnel">
        {(r) => {
          const steps = r.totals.steps;
          const last = steps.at(-1);
          const cart = steps.find((s) => s.event === 'checkout.started');
          return (
            <>
              <div className="tiles tiles-4">
                <Tile
                  testId="funnel-sessions"
                  label="Sessions"
                  value={formatCount(steps[0]?.entered)}
                  sub={`${r.range.from.slice(0, 10)} – ${r.range.to.slice(0, 10)}`}
                />
                <Tile
                  testId="funnel-conversion"
                  label="Landing → order confirmed"
                  value={percent(last?.conversion_from_first)}
                  sub={`${formatCount(last?.entered)} orders confirmed`}
                />
                <Tile
                  testId="funnel-cart-drop"
                  label="Cart → checkout drop-off"
                  value={percent(cart?.drop_off_rate)}
                  sub={
                    r.alert
                      ? `7-day baseline ${percent(r.alert.baseline)} (last 24 h ${percent(r.alert.drop_off)})`
                      : 'no hourly snapshot yet'
                  }
                  tone={r.alert?.flagged ? 'bad' : 'neutral'}
                />
                <Tile
                  testId="funnel-alert"
                  label="Drop-off alert"
                  value={r.alert?.flagged ? 'Above baseline' : 'Normal'}
                  tone={r.alert?.flagged ? 'bad' : 'good'}
                  sub={r.alert ? `${r.alert.points_above_baseline ?? '—'} points vs 7 days` : 'hourly job has not run'}
                />
              </div>
              <Card title="Steps (sessions, ordered, 24 h window)" testId="funnel-steps-card">
                {steps[0]?.entered ? (
                  <StepBars steps={steps} compare={r.compare?.totals.steps} testId="funnel-steps" />
                ) : (
                  <Empty>No sessions in this range.</Empty>
                )}
              </Card>
              {r.breakdown && (
                <Card title="Breakdown" testId="funnel-breakdown-card">
                  <table className="table" data-testid="funnel-breakdown-table">
                    <thead>
                      <tr>
                        <th>Value</th>
                        {steps.map((s) => (
                          <th key={s.index} className="num">
                            {s.label}
                          </th>
                        ))}
                        <th className="num">Conversion</th>
                      </tr>
                    </thead>
                    <tbody>
                      {r.breakdown.map((b) => (
                        <tr key={b.value ?? '(none)'}>
                          <td>{b.value ?? '(none)'}</td>
                          {b.steps.map((s) => (
                            <td key={s.index} className="num">
                              {formatCount(s.entered)}
                            </td>
                          ))}
                          <td className="num">{percent(b.steps.at(-1)?.conversion_from_first)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </Card>
              )}
              <Card title="Why checkouts did not complete" testId="funnel-dropoff">
                {!r.dropoff_reasons || r.dropoff_reasons.reasons.length === 0 ? (
                  <Empty>No abandoned checkouts with a known reason.</Empty>
                ) : (
                  <table className="table">
                    <thead>
                      <tr>
                        <th>Kind</th>
                        <th>Reason</th>
                        <th className="num">Sessions</th>
                        <th className="num">Share of {formatCount(r.dropoff_reasons.sessions)}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {r.dropoff_reasons.reasons.map((x) => (
                        <tr key={`${x.kind} ${x.reason}`}>
                          <td>{x.kind.replace('_', ' ')}</td>
                          <td>{x.reason}</td>
                          <td className="num">{formatCount(x.sessions)}</td>
                          <td className="num">{percent(x.share)}</td>
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
