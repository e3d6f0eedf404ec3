import { listSchemas } from '../contracts/index.js';
import { countDeadLetters } from '../store/dead-letter-table.js';
import { countLedgerPaymentsByDay } from '../store/ledger-counts.js';
import type { SqlExecutor } from '../store/store-port.js';
import { statusOnlyPaymentCount, warehousePaymentsByDay } from '../warehouse/queries/data-quality-queries.js';
import { TABLES } from '../warehouse/tables.js';
import { runQuery } from '../warehouse/typed-query.js';
import type { Warehouse } from '../warehouse/warehouse-port.js';
import { SLO_WINDOW_MS } from '../core/sample-window.js';
import type { AnalyticsStatus } from './analytics-consumer.js';

/**
 * Data quality of the warehouse against the ledger, and the data product's descriptor with its
 * SLOs measured now.
 *
 * Conservation compares, per UTC day and currency, the ledger's payments (the operational store)
 * with the warehouse's copy of them. The two are read in an order that makes them comparable: the
 * warehouse first, then the ledger. Every payment the warehouse holds was recorded before it was
 * read, so — with nothing lost — a cell's warehouse count and amount can only be below the
 * ledger's, by the payments in flight (recorded, not yet applied). Such a gap is "balanced" while
 * the ledger holds at least that many payments recorded within the last `SLO_WINDOW_MS`, the
 * window the freshness SLO is measured over; a gap older than that, or a warehouse above the
 * ledger, is a mismatch. The rule needs nothing from the event log, so it is the same on the
 * embedded log and on Kafka.
 */
export interface DataQualityDeps {
  store: SqlExecutor;
  warehouse: Warehouse;
  analytics: { status(): AnalyticsStatus } | null;
  /** Recent warehouse query latencies (ms) for the query SLO. */
  queryLatency: () => { p95_ms: number | null; samples: number };
}

export interface ConservationRow {
  day: string;
  currency: string;
  ledger_count: number;
  ledger_amount_minor: number;
  warehouse_count: number;
  warehouse_amount_minor: number;
  /** Ledger payments of this cell not in the warehouse yet, recorded within the grace window. */
  in_flight_count: number;
  ok: boolean;
}

export interface DataQualityReport {
  window: { from: string; to: string; days: number };
  conservation: {
    ok: boolean;
    rows: ConservationRow[];
    ledger: { count: number; amount_minor_by_currency: Record<string, number> };
    warehouse: { count: number; amount_minor_by_currency: Record<string, number> };
    /** Recorded payments not in the warehouse yet (ledger − warehouse over the balanced cells). */
    in_flight: number;
    /** How long a payment may be in flight before its absence is a mismatch (the SLO window). */
    grace_ms: number;
    /** Payments the warehouse knows only from a status event (their payment.recorded has not arrived). */
    status_only: number;
  };
  freshness: AnalyticsStatus['freshness'] & { last_applied_at: string | null };
  dead_letters: { open: number; replayed: number; by_code: { stage: string; code: string; open: number; replayed: number }[] };
  duplicates_dropped: { since_start: number };
  consumer: { state: string; applied_since_start: number; last_error: string | null } | null;
}

export async function dataQualityReport(
  deps: DataQualityDeps,
  options: { days: number; now?: Date; graceMs?: number },
): Promise<DataQualityReport> {
  const now = options.now ?? new Date();
  const graceMs = options.graceMs ?? SLO_WINDOW_MS;
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + 86_400_000);
  const from = new Date(to.getTime() - options.days * 86_400_000);
  // The warehouse before the ledger (see above): never in parallel.
  const [warehouse, statusOnly] = await Promise.all([
    runQuery(deps.warehouse, warehousePaymentsByDay, { from, to }),
    runQuery(deps.warehouse, statusOnlyPaymentCount, {}),
  ]);
  const [ledger, letters] = await Promise.all([
    countLedgerPaymentsByDay(deps.store, { from, to, recentSince: new Date(now.getTime() - graceMs) }),
    countDeadLetters(deps.store),
  ]);
  const key = (r: { day: string; currency: string }) => `${r.day} ${r.currency}`;
  const cells = new Map<string, ConservationRow & { recent_count: number; recent_amount_minor: number }>();
  const cell = (r: { day: string; currency: string }) => {
    let c = cells.get(key(r));
    if (!c) {
      c = {
        day: r.day,
        currency: r.currency,
        ledger_count: 0,
        ledger_amount_minor: 0,
        warehouse_count: 0,
        warehouse_amount_minor: 0,
        in_flight_count: 0,
        ok: true,
        recent_count: 0,
        recent_amount_minor: 0,
      };
      cells.set(key(r), c);
    }
    return c;
  };
  for (const r of ledger)
    Object.assign(cell(r), {
      ledger_count: r.count,
      ledger_amount_minor: r.amountMinor,
      recent_count: r.recentCount,
      recent_amount_minor: r.recentAmountMinor,
    });
  for (const r of warehouse) Object.assign(cell(r), { warehouse_count: r.n, warehouse_amount_minor: r.amount });
  const rows: ConservationRow[] = [...cells.values()]
    .sort((a, b) => (a.day === b.day ? a.currency.localeCompare(b.currency) : a.day.localeCompare(b.day)))
    .map(({ recent_count, recent_amount_minor, ...r }) => {
      const gapCount = r.ledger_count - r.warehouse_count;
      const gapAmount = r.ledger_amount_minor - r.warehouse_amount_minor;
      const ok = gapCount >= 0 && gapAmount >= 0 && gapCount <= recent_count && gapAmount <= recent_amount_minor;
      return { ...r, in_flight_count: ok ? gapCount : 0, ok };
    });
  const totals = (pick: (r: ConservationRow) => [number, number]) => {
    const byCurrency: Record<string, number> = {};
    let count = 0;
    for (const r of rows) {
      const [n, amount] = pick(r);
      count += n;
      byCurrency[r.currency] = (byCurrency[r.currency] ?? 0) + amount;
    }
    return { count, amount_minor_by_currency: byCurrency };
  };
  const status = deps.analytics?.status() ?? null;
  return {
    window: { from: from.toISOString(), to: to.toISOString(), days: options.days },
    conservation: {
      ok: rows.every((r) => r.ok),
      rows,
      ledger: totals((r) => [r.ledger_count, r.ledger_amount_minor]),
      warehouse: totals((r) => [r.warehouse_count, r.warehouse_amount_minor]),
      in_flight: rows.reduce((n, r) => n + r.in_flight_count, 0),
      grace_ms: graceMs,
      status_only: statusOnly[0]?.n ?? 0,
    },
    freshness: {
      ...(status?.freshness ?? { p50_ms: null, p95_ms: null, max_ms: null, samples: 0, backfill_excluded: 0 }),
      last_applied_at: status?.lastAppliedAt?.toISOString() ?? null,
    },
    dead_letters: {
      open: letters.reduce((n, l) => n + l.open, 0),
      replayed: letters.reduce((n, l) => n + l.replayed, 0),
      by_code: letters.map((l) => ({ stage: l.stage, code: l.errorCode, open: l.open, replayed: l.replayed })),
    },
    duplicates_dropped: { since_start: status?.duplicates ?? 0 },
    consumer: status && { state: status.state, applied_since_start: status.applied, last_error: status.lastError },
  };
}

export interface DataProductDeps extends DataQualityDeps {
  owner: string;
  baseUrl?: string;
}

export interface Slo {
  name: string;
  objective: string;
  target: number;
  unit: string;
  measured: number | null;
  met: boolean | null;
  how: string;
}

/** The data product's descriptor (owner, output ports, schemas, SLOs) with each SLO measured now. */
export async function dataProductDescriptor(deps: DataProductDeps) {
  const quality = await dataQualityReport(deps, { days: 7 });
  const latency = deps.queryLatency();
  const ledgerCount = quality.conservation.ledger.count;
  const completeness = ledgerCount === 0 ? null : quality.conservation.warehouse.count / ledgerCount;
  const slos: Slo[] = [
    {
      name: 'freshness',
      objective: 'an event is queryable within 1 s of being recorded (p95 over the last 5 minutes)',
      target: 1000,
      unit: 'ms',
      measured: quality.freshness.p95_ms,
      met: quality.freshness.p95_ms === null ? null : quality.freshness.p95_ms < 1000,
      how: `p95 of recorded → committed over the ${quality.freshness.samples} events this process applied in the last ${SLO_WINDOW_MS / 60_000} minutes; ${quality.freshness.backfill_excluded} back-filled events (happened > 1 h before they were recorded) not counted`,
    },
    {
      name: 'query_latency',
      objective: 'analytics API queries answer within 100 ms (p95 over the last 5 minutes)',
      target: 100,
      unit: 'ms',
      measured: latency.p95_ms,
      met: latency.p95_ms === null ? null : latency.p95_ms < 100,
      how: `p95 over the ${latency.samples} warehouse queries this process ran for the analytics, settlement, FX and live-feed endpoints in the last ${SLO_WINDOW_MS / 60_000} minutes (not ad-hoc SQL, data-quality checks or the consumer's own reads)`,
    },
    {
      name: 'completeness',
      objective: 'every payment in the ledger is in the warehouse (last 7 days, once caught up)',
      target: 1,
      unit: 'ratio',
      measured: completeness,
      met: completeness === null ? null : quality.conservation.ok,
      how: `warehouse payments / ledger payments per day and currency over ${quality.window.from} – ${quality.window.to}; ${quality.conservation.in_flight} in flight (recorded within the last ${quality.conservation.grace_ms / 60_000} minutes)`,
    },
  ];
  return {
    name: 'payscope.payments',
    description:
      'Payments, refunds, disputes, settlements, orders, behavioural events and experiment exposures, deduplicated, pseudonymised and merged by version, with rollups by minute/hour/day.',
    owner: deps.owner,
    domain: 'payments',
    output_ports: [
      {
        kind: 'event_stream',
        description: 'Every fact as a CloudEvent on the event log (Kafka topic payment.events, or the embedded log)',
      },
      { kind: 'parquet', description: 'payscope export --from --to --out DIR: Hive-partitioned Parquet (table/date=YYYY-MM-DD/)' },
      { kind: 'rest', description: '/api/v1/data-quality, /api/v1/data-product, /api/v1/dead-letters' },
    ],
    tables: Object.entries(TABLES).map(([name, t]) => ({ name, description: t.description, columns: Object.keys(t.columns) })),
    schemas: listSchemas().map((s) => ({
      type: s.type,
      version: s.version,
      latest: s.latest,
      dataschema: s.dataschema,
      url: `${deps.baseUrl ?? ''}/api/v1/schemas/${s.type}`,
    })),
    personal_data: 'personal fields listed in the data contract are keyed HMACs in every table; free-form fields are dropped',
    slos,
    measured_at: new Date().toISOString(),
  };
}
