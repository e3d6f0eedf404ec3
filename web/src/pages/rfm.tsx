import { useState } from 'react';
import { Async, Empty } from '../components/states';
import { Card, Tile } from '../components/tile';
import { formatCount, formatMoney, formatRate, humanise } from '../format';
import { useApi } from '../hooks';
import type { RfmCustomersResponse, RfmResponse } from '../shapes';

/**
 * RFM segments (`GET /api/v1/analytics/rfm`): customers per segment, the week-over-week movement
 * between segments, and one segment's customers (`/rfm/customers`; ids masked unless admin).
 */

const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
const SEGMENTS = ['champions', 'loyal', 'new', 'potential_loyalists', 'at_risk', 'lost', 'others'] as const;

export function RfmPage() {
  const [segment, setSegment] = useState<string>('champions');
  const state = useApi<RfmResponse>('/api/v1/analytics/rfm', { tz: ZONE });
  const members = useApi<RfmCustomersResponse>('/api/v1/analytics/rfm/customers', { tz: ZONE, segment, limit: 20 });
  return (
    <div className="page">
      <h1>RFM segments</h1>
      <Async state={state} what="the RFM segments">
        {(r) => {
          const moves = new Map(r.movement.items.map((m) => [`${m.from}>${m.to}`, m.customers]));
          const rows = [...SEGMENTS, 'none'] as const;
          return (
            <>
              <div className="tiles tiles-4">
                {r.segments.map((s) => (
                  <Tile
                    key={s.segment}
                    testId={`rfm-size-${s.segment}`}
                    label={humanise(s.segment)}
                    value={formatCount(s.customers)}
                    sub={`${formatRate(s.share)} · ${formatMoney(s.monetary_minor, r.currency)}`}
                  />
                ))}
              </div>
              <p className="muted">
                {formatCount(r.customers)} customers with an order between {r.window.from.slice(0, 10)} and {r.window.to.slice(0, 10)}; M in{' '}
                {r.currency}.
              </p>
              <Card title="Movement since last week" testId="rfm-movement">
                {r.movement.items.length === 0 ? (
                  <Empty>No customers in either week.</Empty>
                ) : (
                  <table className="table heatmap" data-testid="rfm-movement-table">
                    <thead>
                      <tr>
                        <th>A week ago ↓ / now →</th>
                        {rows.map((to) => (
                          <th key={to} className="num">
                            {humanise(to)}
                          </th>
                        ))}
                      </tr>
                    </thead>
                    <tbody>
                      {rows.map((from) => (
                        <tr key={from}>
                          <th>{humanise(from)}</th>
                          {rows.map((to) => {
                            const n = moves.get(`${from}>${to}`) ?? 0;
                            return (
                              <td
                                key={to}
                                className="num"
                                data-testid={`rfm-move-${from}-${to}`}
                                style={{ fontWeight: from === to ? 400 : 600 }}
                              >
                                {n === 0 ? '' : formatCount(n)}
                              </td>
                            );
                          })}
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
      <Card
        title="Customers of a segment"
        testId="rfm-customers"
        actions={
          <select value={segment} onChange={(e) => setSegment(e.target.value)} data-testid="rfm-segment">
            {SEGMENTS.map((s) => (
              <option key={s} value={s}>
                {humanise(s)}
              </option>
            ))}
          </select>
        }
      >
        <Async state={members} what="the segment's customers">
          {(m) =>
            m.items.length === 0 ? (
              <Empty>No customers in this segment.</Empty>
            ) : (
              <table className="table">
                <thead>
                  <tr>
                    <th>Customer</th>
                    <th className="num">R</th>
                    <th className="num">F</th>
                    <th className="num">M</th>
                    <th className="num">Days since</th>
                    <th className="num">Orders</th>
                    <th className="num">Revenue</th>
                  </tr>
                </thead>
                <tbody>
                  {m.items.map((c, i) => (
                    <tr key={c.customer ?? i}>
                      <td>{c.customer ? <code>{c.customer.slice(0, 12)}…</code> : <span className="muted">masked</span>}</td>
                      <td className="num">{c.r}</td>
                      <td className="num">{c.f}</td>
                      <td className="num">{c.m}</td>
                      <td className="num">{formatCount(c.recency_days)}</td>
                      <td className="num">{formatCount(c.orders)}</td>
                      <td className="num">{formatMoney(c.monetary_minor, m.currency)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )
          }
        </Async>
        {members.data && (
          <p className="muted">{formatCount(members.data.total)} customers in this segment; the 20 with the most revenue shown.</p>
        )}
      </Card>
    </div>
  );
}
