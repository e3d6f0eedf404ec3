import { useState } from 'react';
import { Async, Empty } from '../components/states';
import { Card, Tile } from '../components/tile';
import { formatCount, formatDateTime, formatMoney, formatMs } from '../format';
import { useApi } from '../hooks';

/** `GET /api/v1/data-quality` (src/pipeline/data-quality.ts). */
export interface DataQualityReport {
  window: { from: string; to: string; days: number };
  conservation: {
    ok: boolean;
    rows: {
      day: string;
      currency: string;
      ledger_count: number;
      ledger_amount_minor: number;
      warehouse_count: number;
      warehouse_amount_minor: number;
      ok: boolean;
    }[];
    ledger: { count: number; amount_minor_by_currency: Record<string, number> };
    warehouse: { count: number; amount_minor_by_currency: Record<string, number> };
    in_flight: number | null;
    status_only: number;
  };
  freshness: { p50_ms: number | null; p95_ms: number | null; max_ms: number | null; samples: number; last_applied_at: string | null };
  dead_letters: { open: number; replayed: number; by_code: { stage: string; code: string; open: number; replayed: number }[] };
  duplicates_dropped: { since_start: number };
  consumer: { state: string; applied_since_start: number; last_error: string | null } | null;
}

export function DataQualityPage() {
  const [days, setDays] = useState(7);
  const state = useApi<DataQualityReport>('/api/v1/data-quality', { days }, 10_000);
  return (
    <div className="page">
      <h1>
        Data quality
        <label className="field inline">
          <span>Window</span>
          <select value={days} onChange={(e) => setDays(Number(e.target.value))} data-testid="dq-days">
            {[1, 7, 30, 90].map((d) => (
              <option key={d} value={d}>
                {d === 1 ? 'today' : `${d} days`}
              </option>
            ))}
          </select>
        </label>
      </h1>
      <Async state={state} what="the data-quality report">
        {(r) => (
          <>
            <div className="tiles tiles-4">
              <Tile
                testId="dq-conservation"
                label="Ledger = warehouse"
                value={r.conservation.ok ? 'Balanced' : 'Mismatch'}
                tone={r.conservation.ok ? 'good' : 'bad'}
                sub={`${formatCount(r.conservation.ledger.count)} ledger · ${formatCount(r.conservation.warehouse.count)} warehouse`}
              />
              <Tile
                testId="dq-freshness"
                label="Freshness p95"
                value={formatMs(r.freshness.p95_ms)}
                sub={`p50 ${formatMs(r.freshness.p50_ms)} · last landed ${formatDateTime(r.freshness.last_applied_at)}`}
                tone={r.freshness.p95_ms === null ? 'neutral' : r.freshness.p95_ms < 1000 ? 'good' : 'bad'}
              />
              <Tile
                testId="dq-dead-letters"
                label="Open dead letters"
                value={formatCount(r.dead_letters.open)}
                sub={`${formatCount(r.dead_letters.replayed)} replayed`}
                tone={r.dead_letters.open === 0 ? 'good' : 'bad'}
              />
              <Tile
                testId="dq-in-flight"
                label="In flight"
                value={formatCount(r.conservation.in_flight)}
                sub={`${formatCount(r.duplicates_dropped.since_start)} duplicates dropped · consumer ${r.consumer?.state ?? 'not running'}`}
              />
            </div>
            <Card title={`Conservation by day and currency (UTC, ${r.window.days} days)`} testId="dq-table">
              {r.conservation.rows.length === 0 ? (
                <Empty>No payments recorded in this window.</Empty>
              ) : (
                <table className="table">
                  <thead>
                    <tr>
                      <th>Day</th>
                      <th>Currency</th>
                      <th className="num">Ledger count</th>
                      <th className="num">Warehouse count</th>
                      <th className="num">Ledger amount</th>
                      <th className="num">Warehouse amount</th>
                      <th>Check</th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.conservation.rows.map((row) => (
                      <tr key={`${row.day} ${row.currency}`} className={row.ok ? '' : 'row-bad'}>
                        <td>{row.day}</td>
                        <td>{row.currency}</td>
                        <td className="num">{formatCount(row.ledger_count)}</td>
                        <td className="num">{formatCount(row.warehouse_count)}</td>
                        <td className="num">{formatMoney(row.ledger_amount_minor, row.currency)}</td>
                        <td className="num">{formatMoney(row.warehouse_amount_minor, row.currency)}</td>
                        <td>{row.ok ? <span className="badge good">equal</span> : <span className="badge bad">differs</span>}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
            <Card title="Dead letters by code" testId="dq-dead-letter-codes">
              {r.dead_letters.by_code.length === 0 ? (
                <Empty>No dead letters.</Empty>
              ) : (
                <table className="table">
                  <thead>
                    <tr>
                      <th>Stage</th>
                      <th>Code</th>
                      <th className="num">Open</th>
                      <th className="num">Replayed</th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.dead_letters.by_code.map((d) => (
                      <tr key={`${d.stage} ${d.code}`}>
                        <td>{d.stage}</td>
                        <td>
                          <code>{d.code}</code>
                        </td>
                        <td className="num">{formatCount(d.open)}</td>
                        <td className="num">{formatCount(d.replayed)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              {r.consumer?.last_error && <p className="error-hint">Consumer's last error: {r.consumer.last_error}</p>}
            </Card>
          </>
        )}
      </Async>
    </div>
  );
}
