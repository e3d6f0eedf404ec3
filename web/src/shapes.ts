/**
 * Reading the API's responses. Their types come from the server's own response schemas
 * (src/api/contracts/responses.ts, `z.infer` of the zod schemas the routes document in OpenAPI),
 * so a page that reads a field the server does not send fails `npm run typecheck`. Type-only
 * imports: nothing of the server reaches the bundle. The helpers below still accept the
 * documented field names and their obvious variants, for the responses without a schema (the
 * live feed, data quality) and so that a renamed field shows as "—" rather than breaking a page.
 */

export type {
  BreakdownResponse,
  CohortResponse,
  FailureReasonsResponse,
  FunnelReportResponse,
  Kpis,
  KpisResponse,
  PaymentDetailResponse,
  PaymentsListResponse,
  RfmCustomersResponse,
  RfmResponse,
  SessionResponse,
  SettlementTilesResponse,
  TimeseriesResponse,
} from '../../src/api/contracts/responses';

export type Row = Record<string, unknown>;

const ARRAY_KEYS = ['rows', 'items', 'data', 'buckets', 'points', 'series', 'groups', 'results', 'breakdown', 'values'];

/** The list in a response: the response itself, or its first array under a usual key. */
export function listOf(body: unknown): Row[] {
  if (Array.isArray(body)) return body as Row[];
  if (body && typeof body === 'object') {
    const o = body as Row;
    for (const k of ARRAY_KEYS) if (Array.isArray(o[k])) return o[k] as Row[];
    for (const v of Object.values(o)) if (Array.isArray(v) && v.every((x) => x && typeof x === 'object')) return v as Row[];
  }
  return [];
}

export function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  if (v && typeof v === 'object') {
    const o = v as Row;
    if ('amount_minor' in o) return num(o.amount_minor);
    if ('value' in o) return num(o.value);
  }
  return null;
}

/** First present numeric field among `names`. */
export function pick(row: Row | null | undefined, ...names: string[]): number | null {
  if (!row) return null;
  for (const n of names) {
    const v = num(row[n]);
    if (v !== null) return v;
  }
  return null;
}

export function pickString(row: Row | null | undefined, ...names: string[]): string | null {
  if (!row) return null;
  for (const n of names) {
    const v = row[n];
    if (typeof v === 'string' && v !== '') return v;
  }
  return null;
}

/** Currency of a row or a `{amount_minor, currency}` field, falling back to the response's. */
export function currencyOf(row: Row | null | undefined, field?: string, fallback?: string | null): string | null {
  const f = field && row ? row[field] : undefined;
  if (f && typeof f === 'object' && typeof (f as Row).currency === 'string') return (f as Row).currency as string;
  return pickString(row, 'currency', 'report_currency') ?? fallback ?? null;
}

/** A rate that may come as a ratio (0…1) or as a percentage (0…100, field ending in `_pct`). */
export function rate(row: Row | null | undefined, ...names: string[]): number | null {
  if (!row) return null;
  for (const n of names) {
    const v = num(row[n]);
    if (v !== null) return n.endsWith('_pct') || n.endsWith('_percent') ? v / 100 : v;
  }
  return null;
}

export const GMV_FIELDS = ['gmv_minor', 'gmv', 'amount_minor', 'gmv_amount_minor', 'captured_amount_minor'];
export const COUNT_FIELDS = ['payment_count', 'count', 'transactions', 'payments', 'txn_count', 'total_count'];
export const SUCCESS_FIELDS = ['success_rate', 'success_rate_pct'];
export const BUCKET_FIELDS = ['bucket', 'ts', 'time', 'period', 'start', 'bucket_start', 'date', 'day'];

/** The group label of a breakdown row. */
export function groupKey(row: Row, dimension: string): string {
  const v = row[dimension] ?? row.key ?? row.value ?? row.group ?? row.name ?? row.dimension_value;
  return v === null || v === undefined || v === '' ? '(none)' : String(v);
}

/** Per-currency KPI objects of a response (`currencies: [...]`), largest GMV first; `currency` picks one. */
export function kpisByCurrency(body: unknown): Row[] {
  const o = (body ?? {}) as Row;
  const list = Array.isArray(o.currencies) ? (o.currencies as Row[]) : o.kpis && typeof o.kpis === 'object' ? [o.kpis as Row] : [o];
  return [...list].sort((a, b) => (pick(b, ...GMV_FIELDS) ?? 0) - (pick(a, ...GMV_FIELDS) ?? 0));
}

/** Time series points of one currency (`series: [{currency, points}]`): the wanted one or the largest. */
export function seriesOf(body: unknown, currency?: string): { currency: string | null; points: Row[] } {
  const o = (body ?? {}) as Row;
  if (Array.isArray(o.series) && o.series.every((s) => s && typeof s === 'object' && Array.isArray((s as Row).points))) {
    const all = o.series as Row[];
    const total = (s: Row) => (s.points as Row[]).reduce((n, p) => n + (pick(p, ...GMV_FIELDS) ?? 0), 0);
    const chosen = (currency ? all.find((s) => s.currency === currency) : undefined) ?? [...all].sort((a, b) => total(b) - total(a))[0];
    return chosen ? { currency: (chosen.currency as string) ?? null, points: chosen.points as Row[] } : { currency: null, points: [] };
  }
  return { currency: currencyOf(o), points: listOf(body) };
}

/**
 * The currencies of `rows`, headline first: the one with the largest total of `field`, then the
 * others likewise. Only a ranking, to choose which currency a page leads with — amounts of
 * different currencies are never added together or shown as one figure.
 */
export function currenciesByAmount(rows: Row[], field: string): string[] {
  const totals = new Map<string, number>();
  for (const r of rows) {
    const c = pickString(r, 'currency');
    if (c) totals.set(c, (totals.get(c) ?? 0) + (pick(r, field) ?? 0));
  }
  return [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([c]) => c);
}
