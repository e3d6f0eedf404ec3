import { Fragment, useState } from 'react';
import { formatCount, formatMoney, formatRate } from '../format';
import { useApi } from '../hooks';
import type { FailureReasonsResponse } from '../shapes';
import { Async, Empty } from './states';
import { Card } from './tile';

/**
 * Failed payments by failure category (insufficient funds, authentication, …) for the current
 * filters, one currency at a time; a category opens to the gateway codes in it
 * (`GET /api/v1/analytics/failure-reasons`, docs/analytics-api.md).
 */

const LABELS: Record<string, string> = {
  insufficient_funds: 'Insufficient funds',
  authentication: 'Authentication (PIN, OTP, 3-D Secure)',
  issuer_unavailable: 'Bank or issuer unavailable',
  customer_cancelled: 'Cancelled by the customer',
  expired: 'Expired',
  risk_declined: 'Declined by a risk check',
  other: 'Other declines',
  '(unknown)': 'Not categorised (recorded before categories)',
};

export function FailureReasons(props: { query: Record<string, string> }) {
  const state = useApi<FailureReasonsResponse>('/api/v1/analytics/failure-reasons', { ...props.query, group: 'category', limit: '10' });
  const [open, setOpen] = useState<string | null>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  return (
    <Card title="Failure reasons" testId="failure-reasons">
      <Async state={state} what="the failure reasons">
        {(body) => {
          const items = body.items ?? [];
          if (items.length === 0) return <Empty>No failed payments match these filters.</Empty>;
          // The currency with the most failures first; the others one click away (counts are never added across currencies).
          const byCurrency = new Map<string, number>();
          for (const i of items) byCurrency.set(i.currency, (byCurrency.get(i.currency) ?? 0) + i.count);
          const currencies = [...byCurrency].sort((a, b) => b[1] - a[1]).map(([c]) => c);
          const currency = chosen && currencies.includes(chosen) ? chosen : (currencies[0] as string);
          const rows = items.filter((i) => i.currency === currency);
          return (
            <>
              {currencies.length > 1 && (
                <fieldset
                  aria-label="Currency"
                  style={{ display: 'flex', flexWrap: 'wrap', gap: 8, margin: '0 0 8px', padding: 0, border: 0 }}
                >
                  {currencies.map((c) => (
                    <button
                      key={c}
                      type="button"
                      className={c === currency ? undefined : 'secondary'}
                      aria-pressed={c === currency}
                      onClick={() => setChosen(c)}
                    >
                      {c} · {formatCount(byCurrency.get(c))}
                    </button>
                  ))}
                </fieldset>
              )}
              <table
                className="table table-fixed"
                data-summary={JSON.stringify({ currency, categories: rows.map((r) => [r.category, r.count]) })}
              >
                <colgroup>
                  <col style={{ width: '46%' }} />
                  <col style={{ width: '14%' }} />
                  <col style={{ width: '22%' }} />
                  <col style={{ width: '18%' }} />
                </colgroup>
                <thead>
                  <tr>
                    <th>Category · codes</th>
                    <th className="num">Failed</th>
                    <th className="num">Amount</th>
                    <th title={`Share of the failed ${currency} payments`}>Share</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => {
                    const expanded = open === `${currency} ${r.category}`;
                    return (
                      <Fragment key={r.category}>
                        <tr data-testid="failure-category" data-category={r.category}>
                          <td>
                            <button
                              type="button"
                              className="link"
                              aria-expanded={expanded}
                              onClick={() => setOpen(expanded ? null : `${currency} ${r.category}`)}
                              title={`${r.codes?.length ?? 0} code(s): click to ${expanded ? 'hide' : 'show'} them`}
                            >
                              {expanded ? '▾' : '▸'} {LABELS[r.category] ?? r.category}
                            </button>
                          </td>
                          <td className="num">{formatCount(r.count)}</td>
                          <td className="num">{formatMoney(r.amount_minor, currency, true)}</td>
                          <td>
                            <span className="share-cell">
                              <span className="bar" style={{ width: `${Math.round((r.share ?? 0) * 60)}%` }} />
                              <span className="muted">{formatRate(r.share)}</span>
                            </span>
                          </td>
                        </tr>
                        {expanded &&
                          (r.codes ?? []).map((c) => (
                            <tr key={`${r.category} ${c.code}`} data-testid="failure-code" data-code={c.code}>
                              <td title={c.code} style={{ paddingLeft: '1.75em' }}>
                                <code>{c.code}</code>
                              </td>
                              <td className="num">{formatCount(c.count)}</td>
                              <td className="num">{formatMoney(c.amount_minor, currency, true)}</td>
                              <td className="muted" title={`Share of ${LABELS[r.category] ?? r.category}`}>
                                {formatRate(c.share)} of the category
                              </td>
                            </tr>
                          ))}
                      </Fragment>
                    );
                  })}
                </tbody>
              </table>
            </>
          );
        }}
      </Async>
    </Card>
  );
}
