import { listSchemas } from '../contracts/index.js';
import { countDeadLetters } from '../store/dead-letter-table.js';
import type { SqlExecutor } from '../store/store-port.js';
import { TABLES } from '../warehouse/tables.js';
import type { Warehouse } from '../warehouse/warehouse-port.js';
import type { AnalyticsStatus } from './analytics-consumer.js';

/**
 * Data quality of the warehouse against the ledger, and the data product's descriptor with its
 * SLOs measured now. Conservation compares, per UTC day and currency, the ledger's payments (the
 * operational store) with the warehouse's copy of them: count and amount must be equal once the
 * consumer has caught up (`in_flight` says how many recorded payments it has not applied yet).
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
  ok: boolean;
}

export interface DataQualityReport {
  window: { from: string; to: string; days: number };
  conservation: {
    ok: boolean;
    rows: ConservationRow[];
    ledger: { count: number; amount_minor_by_currency: Record<string, number> };
    warehouse: { count: number; amount_minor_by_currency: Record<string, number> };
    /** Payments recorded in the ledger whose payment.recorded the consumer has not applied yet. */
    in_flight: number | null;
    /** Payments the warehouse knows only from a status event (their payment.recorded has not arrived). */
    status_only: number;
  };
  freshness: AnalyticsStatus['freshness'] & { last_applied_at: string | null };
  dead_letters: { open: number; replayed: number; by_code: { stage: string; code: string; open: number; replayed: number }[] };
  duplicates_dropped: { since_start: number };
  consumer: { state: string; applied_since_start: number; last_error: string | null } | null;
}

export async function dataQualityReport(deps: DataQualityDeps, options: { days: number; now?: Date }): Promise<DataQualityReport> {
  const now = options.now ?? new Date();
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + 86_400_000);
  const from = new Date(to.getTime() - options.days * 86_400_000);
  const [ledger, warehouse, statusOnly, letters, inFlight] = await Promise.all([
    deps.store.query<{ day: string; currency: string; n: number; amount: number }>(
      `SELECT to_char(payment_date, 'YYYY-MM-DD') AS day, currency, count(*)::bigint AS n, sum(amount_minor)::bigint AS amount
       FROM payment_service.payments WHERE payment_date >= $1 AND payment_date < $2 GROUP BY 1, 2`,
      [from.toISOString(), to.toISOString()],
    ),
    deps.warehouse.query<{ day: string; currency: string; n: number; amount: number }>(
      `SELECT strftime(payment_time, '%Y-%m-%d') AS day, currency, count(*)::BIGINT AS n, sum(amount_minor)::BIGINT AS amount
       FROM payments WHERE in_ledger AND payment_time >= $1::TIMESTAMP AND payment_time < $2::TIMESTAMP GROUP BY 1, 2`,
      [iso(from), iso(to)],
    ),
    deps.warehouse.query<{ n: number }>('SELECT count(*)::BIGINT AS n FROM payments WHERE NOT in_ledger'),
    countDeadLetters(deps.store),
    inFlightPayments(deps),
  ]);
  const key = (r: { day: string; currency: string }) => `${r.day} ${r.currency}`;
  const cells = new Map<string, ConservationRow>();
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
        ok: true,
      };
      cells.set(key(r), c);
    }
    return c;
  };
  for (const r of ledger.rows) Object.assign(cell(r), { ledger_count: Number(r.n), ledger_amount_minor: Number(r.amount) });
  for (const r of warehouse) Object.assign(cell(r), { warehouse_count: r.n, warehouse_amount_minor: r.amount });
  const rows = [...cells.values()].sort((a, b) => (a.day === b.day ? a.currency.localeCompare(b.currency) : a.day.localeCompare(b.day)));
  for (const r of rows) r.ok = r.ledger_count === r.warehouse_count && r.ledger_amount_minor === r.warehouse_amount_minor;
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
      in_flight: inFlight,
      status_only: statusOnly[0]?.n ?? 0,
    },
    freshness: {
      ...(status?.freshness ?? { p50_ms: null, p95_ms: null, max_ms: null, samples: 0 }),
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

/**
 * Recorded payments not yet in the warehouse: outbox payment.recorded events after the analytics
 * group's committed position (embedded log). On Kafka the position lives in the broker; null.
 */
async function inFlightPayments(deps: DataQualityDeps): Promise<number | null> {
  const group = deps.analytics?.status().group;
  if (!group) return null;
  const position = await deps.store.query<{ position: number }>(
    'SELECT position FROM payment_service.consumer_offsets WHERE consumer = $1',
    [group],
  );
  if (position.rows.length === 0) return null;
  const r = await deps.store.query<{ n: number }>(
    `SELECT count(*)::bigint AS n FROM payment_service.outbox WHERE event_type = 'payment.recorded' AND id > $1`,
    [position.rows[0]?.position ?? 0],
  );
  return Number(r.rows[0]?.n ?? 0);
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
      objective: 'an event is queryable within 1 s of being recorded (p95)',
      target: 1000,
      unit: 'ms',
      measured: quality.freshness.p95_ms,
      met: quality.freshness.p95_ms === null ? null : quality.freshness.p95_ms < 1000,
      how: `p95 of recorded → committed over the last ${quality.freshness.samples} events applied by this process`,
    },
    {
      name: 'query_latency',
      objective: 'warehouse queries answer within 100 ms (p95)',
      target: 100,
      unit: 'ms',
      measured: latency.p95_ms,
      met: latency.p95_ms === null ? null : latency.p95_ms < 100,
      how: `p95 over the last ${latency.samples} warehouse queries served by this process`,
    },
    {
      name: 'completeness',
      objective: 'every payment in the ledger is in the warehouse (last 7 days, once caught up)',
      target: 1,
      unit: 'ratio',
      measured: completeness,
      met: completeness === null ? null : quality.conservation.ok,
      how: `warehouse payments / ledger payments per day and currency over ${quality.window.from} – ${quality.window.to}; ${quality.conservation.in_flight ?? 'unknown'} in flight`,
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

function iso(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}
