import { useEffect, useMemo, useState } from 'react';
import { withQuery } from '../api';
import { Async, Empty } from '../components/states';
import { Card } from '../components/tile';
import { formatCount, formatDateTime, formatMoney } from '../format';
import { useApi, useMerchantNames } from '../hooks';
import type { PaymentDetailResponse, PaymentsListResponse, Row } from '../shapes';
import {
  FilterBar,
  type Filters,
  filterQuery,
  filtersFromSearch,
  rangeProblem,
  searchOfFilters,
  useFilterOptions,
  useStatusOptions,
} from './payments';

/**
 * Payments → List: the payments explorer (`GET /api/v1/payments`). The Payments page's filters, a
 * search by reference, payment id, order id or gateway id (a search looks at every date: ids are
 * unique), keyset pages (Next / Previous keep the cursors seen), a CSV export of the whole
 * selection (`/api/v1/payments/export`, streamed by the server) and the detail of one payment.
 */

const PAGE_SIZE = 25;

/** The list response (the server's schema: src/api/routes/payments-explorer-route.ts). */
type ListBody = PaymentsListResponse;

function selectionQuery(f: Filters, q: string): Record<string, string> {
  const base = filterQuery(f);
  return q ? { ...base, from: '', to: '', q } : base;
}

function DetailTable(props: { rows: Row[]; columns: [string, string][]; tz: string; testId: string; empty: string }) {
  if (props.rows.length === 0) return <p className="muted">{props.empty}</p>;
  return (
    <div className="table-scroll">
      <table className="table" data-testid={props.testId}>
        <thead>
          <tr>
            {props.columns.map(([k, title]) => (
              <th key={k} className={k.endsWith('_minor') ? 'num' : undefined}>
                {title}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r, i) => (
            <tr key={String(r.event_id ?? r.refund_id ?? r.dispute_id ?? r.id ?? i)}>
              {props.columns.map(([k]) => (
                <td key={k} className={k.endsWith('_minor') ? 'num' : 'wrap'} data-cell={k.endsWith('_minor') ? 'amount' : undefined}>
                  {k.endsWith('_minor')
                    ? formatMoney(r[k] as number | null, (r.currency as string | null) ?? null)
                    : /(_at|_time|^time)$/.test(k)
                      ? formatDateTime(r[k] as string | null, props.tz)
                      : String(r[k] ?? '—')}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * The status history as the ledger saw it, in event time (the API's order): what each event
 * reported, and the move it made — `authorized → captured`, or `kept (captured)` when the ledger
 * recorded it without moving the state (older in event time, or not an allowed move).
 */
function historyRows(rows: Row[]): Row[] {
  return rows.map((r) => ({
    ...r,
    change:
      r.to_status === null || r.to_status === undefined
        ? '—'
        : r.applied === false
          ? `kept (${String(r.to_status)})`
          : r.from_status
            ? `${String(r.from_status)} → ${String(r.to_status)}`
            : String(r.to_status),
  }));
}

function PaymentDetail(props: { id: string; tz: string; onClose(): void }) {
  const state = useApi<PaymentDetailResponse>(`/api/v1/payments/${encodeURIComponent(props.id)}`);
  return (
    <Card
      title={`Payment ${props.id}`}
      testId="explorer-detail"
      actions={
        <button type="button" className="secondary" onClick={props.onClose}>
          Close
        </button>
      }
    >
      <Async state={state} what="the payment">
        {(body) => {
          const p = (body.payment as Row) ?? {};
          const fields: [string, string][] = [
            ['Reference', String(p.reference_number ?? '—')],
            ['Payment id', String(p.payment_id ?? '—')],
            ['Status', String(p.status ?? '—')],
            ['Amount', formatMoney(p.amount_minor as number | null, (p.currency as string | null) ?? null)],
            [
              'Authorised · captured · refunded',
              [p.authorized_minor, p.captured_minor, p.refunded_minor]
                .map((m) => (m === null || m === undefined ? '—' : formatMoney(m as number, (p.currency as string | null) ?? null)))
                .join(' · '),
            ],
            ['Time', formatDateTime(p.payment_time as string | null, props.tz)],
            ['Merchant', String(p.merchant_name ?? p.merchant_id ?? '—')],
            ['Gateway · method', `${String(p.gateway ?? '—')} · ${String(p.payment_method ?? '—')}`],
            ['Order id', String(p.order_id ?? '—')],
            ['Gateway id', String(p.gateway_txn_id ?? '—')],
            ['Failure', [p.failure_code, p.failure_reason].filter(Boolean).join(' · ') || '—'],
            ['Fee', formatMoney(p.fee_minor as number | null, (p.currency as string | null) ?? null)],
            [
              'Settlement',
              `${String(p.settlement_status ?? 'not batched')}${p.settlement_batch_id ? ` · ${String(p.settlement_batch_id)}` : ''}`,
            ],
          ];
          const settlement = body.settlement as Row | null;
          return (
            <div className="page-section" style={{ display: 'flex', flexDirection: 'column', gap: 14 }}>
              <dl className="detail-grid" data-testid="explorer-detail-fields">
                {fields.map(([k, v]) => (
                  <div key={k}>
                    <dt>{k}</dt>
                    <dd>{v}</dd>
                  </div>
                ))}
              </dl>
              <h2>Events</h2>
              <DetailTable
                rows={(body.events as Row[]) ?? []}
                columns={[
                  ['time', 'Time'],
                  ['type', 'Event'],
                  ['summary', 'What'],
                ]}
                tz={props.tz}
                testId="explorer-events"
                empty="No events."
              />
              <h2>Status history</h2>
              <DetailTable
                rows={historyRows((body.status_history as Row[]) ?? [])}
                columns={[
                  ['event_time', 'Time'],
                  ['status', 'Reported'],
                  ['change', 'Ledger state'],
                  ['amount_minor', 'Amount'],
                  ['failure_reason', 'Failure'],
                ]}
                tz={props.tz}
                testId="explorer-history"
                empty="No status events."
              />
              <h2>Refunds</h2>
              <DetailTable
                rows={(body.refunds as Row[]) ?? []}
                columns={[
                  ['refunded_at', 'Time'],
                  ['refund_id', 'Refund'],
                  ['amount_minor', 'Amount'],
                  ['reason', 'Reason'],
                ]}
                tz={props.tz}
                testId="explorer-refunds"
                empty="No refunds."
              />
              <h2>Disputes</h2>
              <DetailTable
                rows={(body.disputes as Row[]) ?? []}
                columns={[
                  ['opened_at', 'Opened'],
                  ['dispute_id', 'Dispute'],
                  ['amount_minor', 'Amount'],
                  ['status', 'Status'],
                  ['reason', 'Reason'],
                ]}
                tz={props.tz}
                testId="explorer-disputes"
                empty="No disputes."
              />
              <h2>Settlement batch</h2>
              <DetailTable
                rows={settlement ? [settlement] : []}
                columns={[
                  ['batch_id', 'Batch'],
                  ['status', 'Status'],
                  ['net_minor', 'Net'],
                  ['settlement_cycle', 'Cycle'],
                  ['created_at', 'Created'],
                ]}
                tz={props.tz}
                testId="explorer-settlement"
                empty="Not in a settlement batch yet."
              />
            </div>
          );
        }}
      </Async>
    </Card>
  );
}

export function PaymentsListPage() {
  const initial = useMemo(() => new URLSearchParams(window.location.search), []);
  const [filters, setFilters] = useState<Filters>(() => filtersFromSearch(window.location.search));
  const [draft, setDraft] = useState(initial.get('q') ?? '');
  const [q, setQ] = useState(initial.get('q') ?? '');
  const [selected, setSelected] = useState<string | null>(initial.get('payment'));
  // The cursors of the pages seen: index 0 is the first page (no cursor).
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const names = useMerchantNames();
  const options = useFilterOptions(filters);
  const selection = useMemo(() => selectionQuery(filters, q), [filters, q]);
  const statuses = useStatusOptions(filterQuery(filters));
  const problem = q ? null : rangeProblem(filters);
  const cursor = cursors[cursors.length - 1] ?? null;
  const state = useApi<ListBody>(problem ? null : '/api/v1/payments', { ...selection, limit: PAGE_SIZE, cursor });

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new selection starts at its first page
  useEffect(() => setCursors([null]), [selection]);
  // The address bar follows the view (a filtered list or one payment can be shared).
  useEffect(() => {
    const params = new URLSearchParams(searchOfFilters(filters));
    if (q) params.set('q', q);
    if (selected) params.set('payment', selected);
    const search = params.toString() ? `?${params}` : '';
    if (search !== window.location.search) window.history.replaceState(null, '', `${window.location.pathname}${search}`);
  }, [filters, q, selected]);

  const page = cursors.length;
  return (
    <div className="page">
      <h1>Payments list</h1>
      <FilterBar
        value={filters}
        onChange={(f) => {
          setFilters(f);
        }}
        options={options}
        names={names}
        statuses={statuses}
      >
        <label className="field">
          <span>Search</span>
          <input
            type="search"
            value={draft}
            placeholder="reference, payment / order / gateway id"
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') setQ(draft.trim());
            }}
            data-testid="explorer-search"
          />
        </label>
        <button type="button" className="secondary" onClick={() => setQ(draft.trim())} data-testid="explorer-search-button">
          Search
        </button>
      </FilterBar>
      {q && <p className="muted">Searching “{q}” across every date (the other filters still apply).</p>}
      {problem ? (
        <div className="form-error" role="alert" data-testid="range-error">
          {problem}
        </div>
      ) : (
        <Card
          title="Payments, newest first"
          testId="explorer"
          actions={
            <a className="button" href={withQuery('/api/v1/payments/export', selection)} download data-testid="explorer-export">
              Export CSV
            </a>
          }
        >
          <Async state={state} what="the payments">
            {(body) => {
              const first = (page - 1) * PAGE_SIZE + 1;
              return (
                <>
                  <div className="pager" data-testid="explorer-pager" data-total={body.total}>
                    <span data-testid="explorer-range">
                      {body.items.length === 0
                        ? `0 of ${formatCount(body.total)}`
                        : `${formatCount(first)}–${formatCount(first + body.items.length - 1)} of ${formatCount(body.total)}`}
                    </span>
                    <button
                      type="button"
                      className="secondary"
                      disabled={page === 1}
                      onClick={() => setCursors((c) => c.slice(0, -1))}
                      data-testid="explorer-prev"
                    >
                      Previous
                    </button>
                    <button
                      type="button"
                      className="secondary"
                      disabled={!body.next_cursor}
                      onClick={() => setCursors((c) => [...c, body.next_cursor])}
                      data-testid="explorer-next"
                    >
                      Next
                    </button>
                    {body.masked.length > 0 && <span className="muted">personal fields hidden (admin only)</span>}
                  </div>
                  {body.items.length === 0 ? (
                    <Empty>No payments match.</Empty>
                  ) : (
                    <div className="table-scroll">
                      <table className="table" data-testid="explorer-table">
                        <thead>
                          <tr>
                            <th>Time ({filters.tz})</th>
                            <th>Reference</th>
                            <th>Status</th>
                            <th className="num">Amount</th>
                            <th>Merchant</th>
                            <th>Gateway</th>
                            <th>Method</th>
                          </tr>
                        </thead>
                        <tbody>
                          {body.items.map((r) => {
                            const ref = String(r.reference_number);
                            const id = String(r.payment_id ?? ref);
                            return (
                              <tr
                                key={ref}
                                className={`clickable${selected === id ? ' selected' : ''}`}
                                data-testid="explorer-row"
                                data-ref={ref}
                                onClick={() => setSelected(id)}
                              >
                                <td>{formatDateTime(r.payment_time as string | null, filters.tz)}</td>
                                <td>
                                  <a
                                    href={`?payment=${encodeURIComponent(id)}`}
                                    onClick={(e) => {
                                      e.preventDefault();
                                      setSelected(id);
                                    }}
                                  >
                                    {ref}
                                  </a>
                                </td>
                                <td>{String(r.status ?? '—')}</td>
                                <td className="num" data-cell="amount">
                                  {formatMoney(r.amount_minor as number | null, (r.currency as string | null) ?? null)}
                                </td>
                                <td className="wrap">
                                  {r.merchant_id ? (names.get(String(r.merchant_id)) ?? String(r.merchant_name ?? r.merchant_id)) : '—'}
                                </td>
                                <td>{String(r.gateway ?? '—')}</td>
                                <td>{String(r.payment_method ?? '—')}</td>
                              </tr>
                            );
                          })}
                        </tbody>
                      </table>
                    </div>
                  )}
                </>
              );
            }}
          </Async>
        </Card>
      )}
      {selected && <PaymentDetail id={selected} tz={filters.tz} onClose={() => setSelected(null)} />}
    </div>
  );
}
