import { useState } from 'react';
import { Async, Empty } from '../components/states';
import { Card, Tile } from '../components/tile';
import { formatCount, formatMoney, formatRate } from '../format';
import { useApi } from '../hooks';
import type { CohortResponse } from '../shapes';

/**
 * Cohort retention (`GET /api/v1/analytics/cohorts`): the M1/M3/M6 summary, a heatmap of the
 * retention matrix (customers or revenue per currency; a cell's colour is its share), in the
 * browser's time zone. Weekly cohorts by first purchase by default: the demo's 30 days of payments
 * fill them; monthly cohorts by registration need a longer history.
 */

const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** The heat of a share in [0, 1] (revenue shares may exceed 1: full colour). */
function heat(share: number | null): string | undefined {
  if (share === null) return undefined;
  const a = Math.max(0, Math.min(1, share));
  return `rgba(37, 99, 235, ${(0.08 + a * 0.8).toFixed(3)})`;
}

export function CohortsPage() {
  const [period, setPeriod] = useState<'week' | 'month'>('week');
  const [cohort, setCohort] = useState<'first_purchase' | 'registration'>('first_purchase');
  const [activity, setActivity] = useState('purchase');
  const [view, setView] = useState('customers');
  const state = useApi<CohortResponse>('/api/v1/analytics/cohorts', { period, cohort, activity, tz: ZONE });
  const label = period === 'week' ? 'W' : 'M';
  return (
    <div className="page">
      <h1>Cohorts</h1>
      <div className="filters">
        <label className="field inline">
          <span>Period</span>
          <select value={period} onChange={(e) => setPeriod(e.target.value as 'week' | 'month')} data-testid="cohort-period">
            <option value="week">weekly</option>
            <option value="month">monthly</option>
          </select>
        </label>
        <label className="field inline">
          <span>Cohort by</span>
          <select
            value={cohort}
            onChange={(e) => setCohort(e.target.value as 'first_purchase' | 'registration')}
            data-testid="cohort-basis"
          >
            <option value="first_purchase">first purchase</option>
            <option value="registration">registration</option>
          </select>
        </label>
        <label className="field inline">
          <span>Active means</span>
          <select value={activity} onChange={(e) => setActivity(e.target.value)} data-testid="cohort-activity">
            <option value="purchase">a purchase</option>
            <option value="user.logged_in">a sign-in</option>
            <option value="product.viewed">a product view</option>
          </select>
        </label>
      </div>
      <Async state={state} what="the cohort matrix">
        {(r) => {
          const currencies = [...new Set(r.cohorts.flatMap((c) => c.revenue.map((v) => v.currency)))].sort();
          const shown = view === 'customers' || currencies.includes(view) ? view : 'customers';
          // Leading cohorts without customers (before the history starts) are left out of the heatmap.
          const firstFilled = r.cohorts.findIndex((c) => c.size > 0);
          const rows = firstFilled < 0 ? [] : r.cohorts.slice(firstFilled);
          return (
            <>
              <div className="tiles tiles-4">
                {r.summary.map((s) => (
                  <Tile
                    key={s.offset}
                    testId={`cohort-summary-${s.offset}`}
                    label={`${label}${s.offset} retention`}
                    value={formatRate(s.rate)}
                    sub={`${formatCount(s.active_customers)} of ${formatCount(s.cohort_customers)} customers, ${formatCount(s.cohorts)} cohorts`}
                  />
                ))}
              </div>
              <Card
                title="Retention matrix"
                testId="cohort-matrix"
                actions={
                  <label className="field inline">
                    <span>Show</span>
                    <select value={shown} onChange={(e) => setView(e.target.value)} data-testid="cohort-view">
                      <option value="customers">customers</option>
                      {currencies.map((c) => (
                        <option key={c} value={c}>
                          revenue {c}
                        </option>
                      ))}
                    </select>
                  </label>
                }
              >
                {rows.length === 0 ? (
                  <Empty>No customers were acquired in these periods.</Empty>
                ) : (
                  <table className="table heatmap" data-testid="cohort-heatmap">
                    <thead>
                      <tr>
                        <th>Cohort</th>
                        <th className="num">Customers</th>
                        {r.offsets.map((k) => (
                          <th key={k} className="num">
                            {label}
                            {k}
                          </th>
                        ))}
                      </tr>
                    </thead>
                    <tbody>
                      {rows.map((c) => {
                        const revenue = c.revenue.find((v) => v.currency === shown);
                        return (
                          <tr key={c.start} data-testid="cohort-row">
                            <td>{c.start.slice(0, 10)}</td>
                            <td className="num">{formatCount(c.size)}</td>
                            {r.offsets.map((k) => {
                              const share = shown === 'customers' ? (c.rates[k] ?? null) : (revenue?.rates[k] ?? null);
                              const value =
                                shown === 'customers'
                                  ? c.customers[k]
                                  : revenue
                                    ? revenue.amounts_minor[k]
                                    : c.customers[k] === null
                                      ? null
                                      : 0;
                              const text =
                                value === null || value === undefined
                                  ? ''
                                  : shown === 'customers'
                                    ? `${formatRate(share)} (${formatCount(value)})`
                                    : formatMoney(value, shown);
                              return (
                                <td
                                  key={k}
                                  className="num"
                                  style={{ background: heat(share) }}
                                  title={text}
                                  data-testid={`cohort-cell-${k}`}
                                >
                                  {value === null || value === undefined
                                    ? ''
                                    : shown === 'customers'
                                      ? formatRate(share)
                                      : formatMoney(value, shown)}
                                </td>
                              );
                            })}
                          </tr>
                        );
                      })}
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
