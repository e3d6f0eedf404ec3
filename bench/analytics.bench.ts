/**
 * Analytics query latency and server memory over a 10M-payment DuckDB warehouse (issue 4).
 *
 * 1. Creates a warehouse file in a temp dir with `openDuckDbWarehouse` (the real schema) and loads
 *    it DIRECTLY with DuckDB SQL — 10M payments over 90 days, refunds, disputes, settlement
 *    batches, the merchant dimension — then builds every rollup (`payments_by_{minute,
 *    quarter_hour,hour,day}`, refunds, disputes) from the facts with the pipeline's bucketing and
 *    dimension values (bench/support/analytics-warehouse.ts). NOT through the pipeline: its
 *    throughput is the issue-3 consumer benchmark. This one measures queries.
 * 2. Makes an API key with roles analyst + finance in a fresh operational store (PGlite data dir).
 * 3. Per round: starts the compiled server (`node dist/cli/main.js start`, roles api + analytics,
 *    WAREHOUSE_PATH = the file) as a child process, and sends each query over loopback HTTP
 *    sequentially (one request at a time: single-user latency, with routing, validation, auth,
 *    the audit log of /sql and JSON serialisation included): the first (cold) request, warm-up
 *    requests, then N measured ones (a query slower than --slow-ms takes N / rounds per round, so
 *    it still gets N over the run without taking minutes). The server's RSS is sampled every 50 ms
 *    and its VmHWM read at the end. A fresh server per round, so each round starts cold.
 * 4. Round 1 also checks correctness: KPI, breakdown, time-series and settlement figures from the
 *    rollups against the same figures computed over the raw tables (`POST /api/v1/sql` on
 *    v_payments / v_refunds / v_disputes).
 * 5. Then, with the server stopped, runs the same query functions in-process
 *    (src/analytics/*, the SQL sandbox) against the file and splits their time into DuckDB
 *    statements, JavaScript shaping and JSON serialisation: where the time goes.
 *
 *   npx tsx bench/analytics.bench.ts [--payments 10000000] [--days 90] [--rounds 3] [--requests 50]
 *
 * Figures are printed and written to BENCHMARKS.md (section `analytics:queries`); see bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MAX_POINTS, queryBreakdown, queryKpis, queryTimeseries } from '../src/analytics/analytics-queries.js';
import { parseAnalyticsQuery } from '../src/analytics/query-params.js';
import type { Bucket } from '../src/analytics/rollup-query.js';
import { querySettlementTiles } from '../src/analytics/settlement-tiles.js';
import { localBucketStarts } from '../src/analytics/time-zones.js';
import { createApiKey } from '../src/api/access/api-keys.js';
import { openStore } from '../src/app.js';
import { loadConfig } from '../src/core/config.js';
import { createLogger } from '../src/core/logger.js';
import { openDuckDbWarehouse } from '../src/warehouse/duckdb/duckdb-adapter.js';
import { createSqlSandbox } from '../src/warehouse/sql-sandbox.js';
import type { Warehouse } from '../src/warehouse/warehouse-port.js';
import { freePort } from '../test/harness/throwaway-servers.js';
import { DAY_MS, type LoadReport, loadAnalyticsWarehouse } from './support/analytics-warehouse.js';
import { cpuUsageBetween, describeCpu, processTree, snapshotCpu, waitForQuietMachine } from './support/cpu-usage.js';
import {
  codeVersion,
  commandLine,
  currentLoad,
  describeMachine,
  formatNumber,
  machineInfo,
  markdownTable,
  percentile,
  writeBenchmarkSection,
} from './support/report.js';
import { type VariantResult, compareVariants } from './support/rollup-sql-variants.js';
import { openClickHouseWarehouse } from '../src/warehouse/clickhouse/clickhouse-adapter.js';
import { createClickHouseClient } from '../src/warehouse/clickhouse/clickhouse-client.js';
import {
  CLICKHOUSE_DATABASE,
  type ClickHouseLoadReport,
  loadClickHouseFromDuckDb,
  startClickHouseAt,
} from './support/clickhouse-warehouse.js';
import { assertBuilt, buildServer, startServer } from './support/server-process.js';

const USAGE = `usage: npx tsx bench/analytics.bench.ts [options]
  --payments N          payments in the warehouse (default 10000000)
  --days N              days they span, ending at today's UTC midnight (default 90)
  --rounds N            rounds, each on a freshly started server (default 3)
  --requests N          measured requests per query per round (default 50)
  --warmup N            unmeasured requests per query before measuring, after the cold one (default 5)
  --slow-ms N           a query whose warm-up requests take longer than this (ms) is measured
                        ceil(N / rounds) times per round, N in all, with 1 warm-up (default 1000)
  --warehouse PATH      keep the loaded warehouse at PATH and reuse it on the next run when it holds
                        the same --payments/--days (a PATH.bench.json beside it records the load);
                        default: a temp file, deleted at the end
  --load-memory-limit X DuckDB memory_limit of the loading step (default 6GB)
  --server-env K=V      extra server environment, repeatable (e.g. WAREHOUSE_MEMORY_LIMIT=2GB)
  --engine E            the warehouse engine the server reads: duckdb (default), clickhouse (chDB in the
                        server process, CLICKHOUSE_URL=chdb:<dir>) or clickhouse-http (a ClickHouse HTTP server
                        started per round on the same data directory); ClickHouse holds the same rows, copied
                        from the loaded DuckDB file through Parquet (bench/support/clickhouse-warehouse.ts)
  --clickhouse-dir DIR  keep the ClickHouse data at DIR and reuse it when it holds the same load (DIR.bench.json)
  --load-only           load (and copy into ClickHouse with --engine clickhouse*) into --warehouse / --clickhouse-dir, then exit
  --no-breakdown        skip the in-process phase (split of each query's time, rollup SQL variants)
  --max-wait N          seconds to wait for other work on the machine to finish first (default 600)
  --no-build            use dist/ as it is instead of running npm run build
  --no-write            print only; leave BENCHMARKS.md alone`;

/** Issue 4's targets: KPI and breakdown p95 ≤ 50 ms; an ad-hoc SQL aggregation ≤ 500 ms. */
const KPI_TARGET_MS = 50;
type Engine = 'duckdb' | 'clickhouse' | 'clickhouse-http';
const ENGINES: readonly Engine[] = ['duckdb', 'clickhouse', 'clickhouse-http'];
const ENGINE_TITLES: Record<Engine, string> = {
  duckdb: 'a DuckDB warehouse',
  clickhouse: 'ClickHouse in the server process (chDB)',
  'clickhouse-http': 'ClickHouse over HTTP',
};
const SQL_TARGET_MS = 500;
const RSS_SAMPLE_MS = 50;
/** In-process runs per query for the time split (3 for a slow query). */
const SPLIT_RUNS = 10;
/** Timed runs of each rollup SQL variant. */
const VARIANT_RUNS = 3;

interface Options {
  payments: number;
  days: number;
  rounds: number;
  requests: number;
  warmup: number;
  slowMs: number;
  warehouse: string | null;
  loadMemoryLimit: string;
  serverEnv: Record<string, string>;
  breakdown: boolean;
  engine: Engine;
  clickhouseDir: string | null;
  loadOnly: boolean;
  maxWait: number;
  build: boolean;
  write: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      payments: { type: 'string', default: '10000000' },
      days: { type: 'string', default: '90' },
      rounds: { type: 'string', default: '3' },
      requests: { type: 'string', default: '50' },
      warmup: { type: 'string', default: '5' },
      'slow-ms': { type: 'string', default: '1000' },
      warehouse: { type: 'string' },
      'load-memory-limit': { type: 'string', default: '6GB' },
      'server-env': { type: 'string', multiple: true, default: [] },
      'no-breakdown': { type: 'boolean', default: false },
      engine: { type: 'string', default: 'duckdb' },
      'clickhouse-dir': { type: 'string' },
      'load-only': { type: 'boolean', default: false },
      'max-wait': { type: 'string', default: '600' },
      'no-build': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const number = (name: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} ${text}: expected a whole number from ${min} to ${max}`);
    return n;
  };
  return {
    payments: number('payments', values.payments, 1000, 200_000_000),
    days: number('days', values.days, 31, 3650),
    rounds: number('rounds', values.rounds, 1, 20),
    requests: number('requests', values.requests, 1, 100_000),
    warmup: number('warmup', values.warmup, 0, 1000),
    slowMs: number('slow-ms', values['slow-ms'], 1, 3_600_000),
    warehouse: values.warehouse === undefined ? null : resolve(values.warehouse),
    loadMemoryLimit: values['load-memory-limit'],
    serverEnv: Object.fromEntries(
      values['server-env'].map((pair) => {
        const eq = pair.indexOf('=');
        if (eq < 1) fail(`--server-env ${pair}: expected KEY=VALUE`);
        return [pair.slice(0, eq), pair.slice(eq + 1)];
      }),
    ),
    breakdown: !values['no-breakdown'] && values.engine !== 'clickhouse-http',
    engine: ENGINES.includes(values.engine as Engine)
      ? (values.engine as Engine)
      : fail(`--engine ${values.engine}: expected ${ENGINES.join(', ')}`),
    loadOnly: values['load-only'],
    clickhouseDir: values['clickhouse-dir'] === undefined ? null : resolve(values['clickhouse-dir']),
    maxWait: number('max-wait', values['max-wait'], 0, 86_400),
    build: !values['no-build'],
    write: !values['no-write'],
  };
}

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(64);
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const sqlTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

// ── the queries ───────────────────────────────────────────────────────────────────────────────────

interface QueryDef {
  id: string;
  label: string;
  /** `GET path?params` or `POST path` with `body`. */
  path: string;
  params?: Record<string, string>;
  body?: { sql: string; params?: (string | number)[] };
  /** p95 target in ms, or null (reported only). */
  targetMs: number | null;
  /** The same work in-process: the function the route calls, on the same parameters. */
  inProcess: (w: Warehouse) => Promise<unknown>;
  /** KPI and time-series queries: the UTC buckets `readTotals` reads (for the rollup SQL variants). */
  buckets?: Bucket[];
}

const GMV_BY_MERCHANT_MONTH = `SELECT merchant_id, date_trunc('month', payment_time) AS month, currency,
  sum(amount_minor) FILTER (WHERE status IN ('captured', 'succeeded')) AS gmv_minor,
  count(*) FILTER (WHERE status IN ('captured', 'succeeded')) AS successful, count(*) AS payments
FROM v_payments GROUP BY ALL ORDER BY merchant_id, month, currency`;

/** The same question in ClickHouse's dialect (the /sql sandbox runs the warehouse's own SQL). */
const GMV_BY_MERCHANT_MONTH_CLICKHOUSE = `SELECT merchant_id, toStartOfMonth(payment_time) AS month, currency,
  sumIf(amount_minor, status IN ('captured', 'succeeded')) AS gmv_minor,
  countIf(status IN ('captured', 'succeeded')) AS successful, count(*) AS payments
FROM v_payments GROUP BY ALL ORDER BY merchant_id, month, currency`;

function queries(endMs: number, days: number, engine: Engine = 'duckdb'): QueryDef[] {
  const gmvSql = engine === 'duckdb' ? GMV_BY_MERCHANT_MONTH : GMV_BY_MERCHANT_MONTH_CLICKHOUSE;
  const last = isoDate(endMs - DAY_MS);
  const daysBack = (n: number) => isoDate(endMs - n * DAY_MS);
  const analytics = (params: Record<string, string>) => {
    const q = parseAnalyticsQuery(params);
    if (!q.ok) throw new Error(`bad bench query ${JSON.stringify(params)}: ${q.error.message}`);
    return q.value;
  };
  const kpis = (n: number, tz: string): QueryDef => {
    const params = { from: daysBack(n), to: last, tz };
    return {
      id: `kpis-${n}d-${tz}`,
      label: `KPIs, ${n} days, ${tz}`,
      path: '/api/v1/analytics/kpis',
      params,
      targetMs: KPI_TARGET_MS,
      inProcess: (w) => queryKpis(w, analytics(params)),
      buckets: [{ from: analytics(params).range.from, to: analytics(params).range.to }],
    };
  };
  const breakdown = (dimension: 'gateway' | 'merchant', n: number, tz: string): QueryDef => {
    const params = { from: daysBack(n), to: last, tz };
    return {
      id: `breakdown-${dimension}-${n}d-${tz}`,
      label: `breakdown by ${dimension}, ${n} days, ${tz}`,
      path: '/api/v1/analytics/breakdown',
      params: { ...params, dimension },
      targetMs: KPI_TARGET_MS,
      inProcess: (w) => queryBreakdown(w, analytics(params), { dimension, limit: 50, offset: 0 }),
    };
  };
  const series = (granularity: 'day' | 'hour', n: number, tz: string): QueryDef => {
    const params = { from: daysBack(n), to: last, tz };
    return {
      id: `timeseries-${granularity}-${n}d-${tz}`,
      label: `time series by ${granularity}, ${n} days, ${tz}`,
      path: '/api/v1/analytics/timeseries',
      params: { ...params, granularity },
      targetMs: null,
      inProcess: (w) => queryTimeseries(w, analytics(params), { granularity }),
      buckets: (() => {
        const { from, to, tz } = analytics(params).range;
        const starts = localBucketStarts(tz, granularity, from, to, MAX_POINTS);
        return starts.map((start, i) => ({ from: Math.max(start, from), to: Math.min(starts[i + 1] ?? to, to) }));
      })(),
    };
  };
  const tilesParams = { from: daysBack(30), to: last, tz: 'Asia/Kolkata' };
  return [
    kpis(30, 'UTC'),
    kpis(days, 'UTC'),
    kpis(30, 'Asia/Kolkata'),
    kpis(days, 'Asia/Kolkata'),
    breakdown('gateway', 30, 'Asia/Kolkata'),
    breakdown('merchant', 30, 'Asia/Kolkata'),
    breakdown('gateway', days, 'UTC'),
    series('day', days, 'Asia/Kolkata'),
    series('hour', 7, 'America/St_Johns'),
    {
      id: 'settlement-tiles-30d-Asia/Kolkata',
      label: 'settlement tiles, 30 days, Asia/Kolkata',
      path: '/api/v1/settlement/tiles',
      params: tilesParams,
      targetMs: null,
      inProcess: (w) => querySettlementTiles(w, analytics(tilesParams)),
    },
    {
      id: 'sql-gmv-by-merchant-month',
      label: `SQL: GMV by merchant and month over v_payments (all ${days} days)`,
      path: '/api/v1/sql',
      body: { sql: gmvSql },
      targetMs: SQL_TARGET_MS,
      inProcess: (w) => createSqlSandbox({ warehouse: w, timeoutMs: 60_000, maxRows: 10_000 }).run({ sql: gmvSql, personal: false }),
    },
  ];
}

// ── HTTP client ───────────────────────────────────────────────────────────────────────────────────

interface Answer {
  ms: number;
  status: number;
  bytes: number;
  text: string;
}

async function send(url: string, key: string, q: QueryDef): Promise<Answer> {
  const target = q.params ? `${url}${q.path}?${new URLSearchParams(q.params)}` : `${url}${q.path}`;
  const init: RequestInit = q.body
    ? {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(q.body),
      }
    : { headers: { authorization: `Bearer ${key}` } };
  const started = performance.now();
  const res = await fetch(target, init);
  const text = await res.text();
  const ms = performance.now() - started;
  return { ms, status: res.status, bytes: Buffer.byteLength(text), text };
}

async function sendOk(url: string, key: string, q: QueryDef): Promise<Answer> {
  const a = await send(url, key, q);
  if (a.status !== 200) throw new Error(`${q.label}: HTTP ${a.status}: ${a.text.slice(0, 500)}`);
  return a;
}

async function sql(url: string, key: string, text: string, params: (string | number)[] = []): Promise<Record<string, unknown>[]> {
  const a = await sendOk(url, key, {
    id: 'check',
    label: `check SQL ${text.slice(0, 60)}…`,
    path: '/api/v1/sql',
    body: { sql: text, params },
    targetMs: null,
    inProcess: async () => null,
  });
  const body = JSON.parse(a.text) as { columns: { name: string }[]; rows: unknown[][]; truncated: boolean };
  if (body.truncated) throw new Error(`check SQL truncated: ${text}`);
  return body.rows.map((r) => Object.fromEntries(body.columns.map((c, i) => [c.name, r[i]])));
}

// ── memory of the server process ──────────────────────────────────────────────────────────────────

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function sampleRss(pid: number): { stop(): { maxKb: number; samples: number } } {
  let maxKb = 0;
  let samples = 0;
  const timer = setInterval(() => {
    const kb = statusKb(pid, 'VmRSS');
    if (kb !== null) {
      samples++;
      maxKb = Math.max(maxKb, kb);
    }
  }, RSS_SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      return { maxKb, samples };
    },
  };
}

const mib = (kb: number) => kb / 1024;

// ── correctness: rollup-served figures = the same figures over the raw tables ──────────────────────

const COLLECTED = `status IN ('captured', 'succeeded')`;

interface RawCell {
  payment_count: number;
  successful_count: number;
  failed_count: number;
  gmv_minor: number;
  fee_minor: number;
  refund_count: number;
  refund_amount_minor: number;
  dispute_count: number;
  dispute_amount_minor: number;
}

/** Per (group value, currency) totals over the raw tables for [from, to). */
async function rawTotals(url: string, key: string, from: number, to: number, group: string | null): Promise<Map<string, RawCell>> {
  const g = group ? `coalesce(${group}, '(unknown)')` : `''`;
  const range = [sqlTime(from), sqlTime(to)];
  const cells = new Map<string, RawCell>();
  const cell = (value: unknown, currency: unknown) => {
    const id = `${String(value)}|${String(currency)}`;
    let c = cells.get(id);
    if (!c) {
      c = {
        payment_count: 0,
        successful_count: 0,
        failed_count: 0,
        gmv_minor: 0,
        fee_minor: 0,
        refund_count: 0,
        refund_amount_minor: 0,
        dispute_count: 0,
        dispute_amount_minor: 0,
      };
      cells.set(id, c);
    }
    return c;
  };
  for (const r of await sql(
    url,
    key,
    `SELECT ${g} AS g, currency, count(*) AS n, count(*) FILTER (WHERE ${COLLECTED}) AS ok, count(*) FILTER (WHERE status = 'failed') AS failed,
       coalesce(sum(amount_minor) FILTER (WHERE ${COLLECTED}), 0) AS gmv, coalesce(sum(fee_minor) FILTER (WHERE ${COLLECTED}), 0) AS fee
     FROM v_payments WHERE payment_time >= $1::TIMESTAMP AND payment_time < $2::TIMESTAMP GROUP BY ALL`,
    range,
  )) {
    Object.assign(cell(r.g, r.currency), {
      payment_count: Number(r.n),
      successful_count: Number(r.ok),
      failed_count: Number(r.failed),
      gmv_minor: Number(r.gmv),
      fee_minor: Number(r.fee),
    });
  }
  for (const r of await sql(
    url,
    key,
    `SELECT ${g} AS g, currency, count(*) AS n, coalesce(sum(amount_minor), 0) AS amount FROM v_refunds
     WHERE refunded_at >= $1::TIMESTAMP AND refunded_at < $2::TIMESTAMP GROUP BY ALL`,
    range,
  )) {
    Object.assign(cell(r.g, r.currency), { refund_count: Number(r.n), refund_amount_minor: Number(r.amount) });
  }
  for (const r of await sql(
    url,
    key,
    `SELECT ${g} AS g, currency, count(*) AS n, coalesce(sum(amount_minor), 0) AS amount FROM v_disputes
     WHERE coalesce(opened_at, status_time) >= $1::TIMESTAMP AND coalesce(opened_at, status_time) < $2::TIMESTAMP GROUP BY ALL`,
    range,
  )) {
    Object.assign(cell(r.g, r.currency), { dispute_count: Number(r.n), dispute_amount_minor: Number(r.amount) });
  }
  return cells;
}

const FIELDS = [
  'payment_count',
  'successful_count',
  'failed_count',
  'gmv_minor',
  'fee_minor',
  'refund_count',
  'refund_amount_minor',
  'dispute_count',
  'dispute_amount_minor',
] as const;

function compareCells(what: string, api: Map<string, Record<string, unknown>>, raw: Map<string, RawCell>, problems: string[]): number {
  const ids = new Set([...api.keys(), ...raw.keys()]);
  for (const id of ids) {
    const a = api.get(id);
    const r = raw.get(id);
    if (!a || !r) {
      problems.push(`${what}: ${id} ${a ? 'only in the API' : 'only in the raw tables'}`);
      continue;
    }
    for (const f of FIELDS) {
      if (Number(a[f]) !== r[f]) problems.push(`${what}: ${id} ${f} API ${String(a[f])} ≠ raw ${r[f]}`);
    }
  }
  return ids.size;
}

interface Check {
  name: string;
  cells: number;
  ok: boolean;
}

/** Each checked query answered once more, compared with SQL over the raw tables. */
async function verify(url: string, key: string, defs: readonly QueryDef[], problems: string[]): Promise<Check[]> {
  const checks: Check[] = [];
  const rangeOf = (body: { range: { from: string; to: string } }) => [Date.parse(body.range.from), Date.parse(body.range.to)] as const;
  for (const q of defs) {
    const before = problems.length;
    let cells = 0;
    if (q.path === '/api/v1/analytics/kpis') {
      const body = JSON.parse((await sendOk(url, key, q)).text) as {
        range: { from: string; to: string };
        currencies: Record<string, unknown>[];
      };
      const [from, to] = rangeOf(body);
      const api = new Map(body.currencies.map((c) => [`|${String(c.currency)}`, c]));
      cells = compareCells(q.label, api, await rawTotals(url, key, from, to, null), problems);
    } else if (q.path === '/api/v1/analytics/breakdown') {
      const body = JSON.parse((await sendOk(url, key, q)).text) as {
        range: { from: string; to: string };
        total: number;
        items: Record<string, unknown>[];
      };
      if (body.total !== body.items.length) problems.push(`${q.label}: ${body.total} items, ${body.items.length} on the page`);
      const [from, to] = rangeOf(body);
      const column = q.params?.dimension === 'merchant' ? 'merchant_id' : (q.params?.dimension as string);
      const api = new Map(body.items.map((c) => [`${String(c.value)}|${String(c.currency)}`, c]));
      cells = compareCells(q.label, api, await rawTotals(url, key, from, to, column), problems);
    } else if (q.path === '/api/v1/analytics/timeseries') {
      const body = JSON.parse((await sendOk(url, key, q)).text) as {
        range: { from: string; to: string };
        buckets: string[];
        series: { currency: string; points: ({ start: string } & Record<string, unknown>)[] }[];
      };
      const [from, to] = rangeOf(body);
      const offsets = new Set(body.buckets.map((b) => b.slice(19)));
      if (offsets.size !== 1) {
        problems.push(`${q.label}: buckets with ${offsets.size} offsets; the check handles one`);
      } else {
        const offset = [...offsets][0] as string;
        const minutes =
          offset === 'Z' ? 0 : (offset.startsWith('-') ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
        const unit = q.params?.granularity === 'hour' ? 'hour' : 'day';
        const rows = await sql(
          url,
          key,
          `SELECT strftime(date_trunc('${unit}', payment_time + to_minutes(${minutes})), '%Y-%m-%dT%H:%M:%S') AS b, currency, count(*) AS n,
             count(*) FILTER (WHERE ${COLLECTED}) AS ok, coalesce(sum(amount_minor) FILTER (WHERE ${COLLECTED}), 0) AS gmv
           FROM v_payments WHERE payment_time >= $1::TIMESTAMP AND payment_time < $2::TIMESTAMP GROUP BY ALL`,
          [sqlTime(from), sqlTime(to)],
        );
        const raw = new Map(rows.map((r) => [`${String(r.b)}|${String(r.currency)}`, r]));
        for (const s of body.series) {
          for (const p of s.points) {
            cells++;
            const r = raw.get(`${p.start.slice(0, 19)}|${s.currency}`);
            const want = { payment_count: Number(r?.n ?? 0), successful_count: Number(r?.ok ?? 0), gmv_minor: Number(r?.gmv ?? 0) };
            for (const [f, v] of Object.entries(want)) {
              if (Number(p[f]) !== v) problems.push(`${q.label}: ${p.start} ${s.currency} ${f} API ${String(p[f])} ≠ raw ${v}`);
            }
          }
        }
        const apiCells = body.series.reduce((n, s) => n + s.points.filter((p) => Number(p.payment_count) > 0).length, 0);
        if (apiCells !== rows.length)
          problems.push(`${q.label}: ${apiCells} non-empty points, raw has ${rows.length} (bucket, currency) cells`);
      }
    } else if (q.path === '/api/v1/settlement/tiles') {
      const body = JSON.parse((await sendOk(url, key, q)).text) as {
        range: { from: string; to: string };
        tiles: { gmv: { currency: string; gmv_minor: number }[]; transactions: { currency: string; count: number }[] };
      };
      const [from, to] = rangeOf(body);
      const raw = await rawTotals(url, key, from, to, null);
      for (const g of body.tiles.gmv) {
        cells++;
        const r = raw.get(`|${g.currency}`);
        const count = body.tiles.transactions.find((t) => t.currency === g.currency)?.count;
        if (g.gmv_minor !== r?.gmv_minor) problems.push(`${q.label}: ${g.currency} gmv ${g.gmv_minor} ≠ raw ${r?.gmv_minor}`);
        if (count !== r?.successful_count) problems.push(`${q.label}: ${g.currency} transactions ${count} ≠ raw ${r?.successful_count}`);
      }
      if (body.tiles.gmv.length !== raw.size) problems.push(`${q.label}: ${body.tiles.gmv.length} currencies, raw ${raw.size}`);
    } else {
      continue;
    }
    checks.push({ name: q.label, cells, ok: problems.length === before });
  }
  return checks;
}

// ── rounds ────────────────────────────────────────────────────────────────────────────────────────

interface QueryRound {
  coldMs: number;
  samples: number[];
  bytes: number;
}

interface Round {
  queries: Map<string, QueryRound>;
  startRssKb: number;
  peakRssKb: number;
  hwmKb: number;
  afterRssKb: number;
  /** --engine clickhouse-http: the ClickHouse server's VmHWM. */
  clickhouseHwmKb: number | null;
  rssSamples: number;
  cpu: string;
  busyBefore: number;
  load: string;
  startMs: number;
}

async function runRound(
  index: number,
  options: Options,
  env: Record<string, string>,
  key: string,
  defs: readonly QueryDef[],
  onServer: (url: string) => Promise<void>,
  clickhouseDataDir: string | null = null,
): Promise<Round> {
  const busyBefore = await waitForQuietMachine({ maxBusyPercent: 15, maxWaitSeconds: options.maxWait, log });
  const load = currentLoad();
  const port = await freePort();
  const t0 = performance.now();
  // --engine clickhouse-http: a fresh ClickHouse server per round too, so each round starts cold.
  const clickhouse = clickhouseDataDir ? await startClickHouseAt(clickhouseDataDir) : null;
  const roundEnv = clickhouse ? { ...env, CLICKHOUSE_URL: clickhouse.url } : env;
  const server = await startServer({ env: { ...roundEnv, PORT: String(port) }, port, timeoutMs: 120_000 }).catch(async (error) => {
    await clickhouse?.stop();
    throw error;
  });
  const startMs = performance.now() - t0;
  const sampler = sampleRss(server.pid);
  const startRssKb = statusKb(server.pid, 'VmRSS') ?? 0;
  log(
    `  round ${index}: server pid ${server.pid} healthy in ${formatNumber(startMs / 1000, 1)} s, RSS ${formatNumber(mib(startRssKb))} MiB`,
  );
  const result = new Map<string, QueryRound>();
  const clickhousePid = clickhouse?.pid;
  const groups = {
    server: () => processTree(server.pid),
    bench: () => [process.pid],
    ...(clickhousePid ? { clickhouse: () => [clickhousePid] } : {}),
  };
  const cpuBefore = snapshotCpu(groups);
  try {
    for (const q of defs) {
      const cold = await sendOk(server.url, key, q);
      // A slow query (warm latency above --slow-ms) gets one warm-up and requests / rounds per round.
      let slow = false;
      for (let i = 0; i < options.warmup && !slow; i++) slow = (await sendOk(server.url, key, q)).ms > options.slowMs;
      const count = slow ? Math.ceil(options.requests / options.rounds) : options.requests;
      const samples: number[] = [];
      for (let i = 0; i < count; i++) samples.push((await sendOk(server.url, key, q)).ms);
      result.set(q.id, { coldMs: cold.ms, samples, bytes: cold.bytes });
      const sorted = [...samples].sort((a, b) => a - b);
      log(
        `    ${q.label}: cold ${formatNumber(cold.ms, 1)} ms, p50 ${formatNumber(percentile(sorted, 50), 1)} ms, p95 ${formatNumber(percentile(sorted, 95), 1)} ms (${formatNumber(cold.bytes / 1024, 1)} KiB)`,
      );
    }
    const usage = cpuUsageBetween(cpuBefore, snapshotCpu(groups));
    const cpu = describeCpu(usage);
    log(`    CPU: ${cpu}`);
    await onServer(server.url);
    const hwmKb = statusKb(server.pid, 'VmHWM') ?? 0;
    const afterRssKb = statusKb(server.pid, 'VmRSS') ?? 0;
    const clickhouseHwmKb = clickhousePid ? (statusKb(clickhousePid, 'VmHWM') ?? 0) : null;
    if (clickhouseHwmKb !== null) log(`    ClickHouse server memory: peak RSS ${formatNumber(mib(clickhouseHwmKb))} MiB (VmHWM)`);
    const { maxKb, samples } = sampler.stop();
    log(
      `    server memory: peak RSS ${formatNumber(mib(hwmKb))} MiB (VmHWM; sampled max ${formatNumber(mib(maxKb))} MiB), at the end ${formatNumber(mib(afterRssKb))} MiB`,
    );
    return {
      queries: result,
      startRssKb,
      peakRssKb: maxKb,
      hwmKb,
      afterRssKb,
      clickhouseHwmKb,
      rssSamples: samples,
      cpu,
      busyBefore,
      load,
      startMs,
    };
  } catch (error) {
    throw new Error(`${(error as Error).message}\nserver output:\n${server.output()}`);
  } finally {
    sampler.stop();
    await server.stop();
    await clickhouse?.stop();
  }
}

// ── in-process split ──────────────────────────────────────────────────────────────────────────────

interface Split {
  totalMs: number;
  sqlMs: number;
  statements: number;
  jsonMs: number;
  bytes: number;
  slowest: { ms: number; sql: string };
}

/**
 * Runs each query's function in-process on a timed warehouse: median total, DuckDB and JSON times
 * of `runs` runs after 2 warm-ups (3 runs after 1 for a query slower than `slowMs`).
 */
async function splitTimes(inner: Warehouse, defs: readonly QueryDef[], runs: number, slowMs: number): Promise<Map<string, Split>> {
  const out = new Map<string, Split>();
  let sqlMs = 0;
  let statements = 0;
  let slowest = { ms: 0, sql: '' };
  const timed: Warehouse = {
    ...inner,
    async query(sql, params) {
      const started = performance.now();
      try {
        return await inner.query(sql, params);
      } finally {
        const ms = performance.now() - started;
        sqlMs += ms;
        statements++;
        if (ms > slowest.ms) slowest = { ms, sql };
      }
    },
    async sandboxQuery(request) {
      const started = performance.now();
      try {
        return await inner.sandboxQuery(request);
      } finally {
        const ms = performance.now() - started;
        sqlMs += ms;
        statements++;
        if (ms > slowest.ms) slowest = { ms, sql: request.sql };
      }
    },
  };
  for (const q of defs) {
    const w0 = performance.now();
    await q.inProcess(timed);
    const slow = performance.now() - w0 > slowMs;
    if (!slow) await q.inProcess(timed);
    const rows: Split[] = [];
    for (let i = 0; i < (slow ? 3 : runs); i++) {
      sqlMs = 0;
      statements = 0;
      slowest = { ms: 0, sql: '' };
      const t0 = performance.now();
      const result = await q.inProcess(timed);
      const totalMs = performance.now() - t0;
      const t1 = performance.now();
      const json = JSON.stringify(result);
      rows.push({ totalMs, sqlMs, statements, jsonMs: performance.now() - t1, bytes: json.length, slowest });
    }
    const med = (f: (s: Split) => number) =>
      percentile(
        [...rows.map(f)].sort((a, b) => a - b),
        50,
      );
    const split: Split = {
      totalMs: med((s) => s.totalMs),
      sqlMs: med((s) => s.sqlMs),
      statements: rows[0]?.statements ?? 0,
      jsonMs: med((s) => s.jsonMs),
      bytes: rows[0]?.bytes ?? 0,
      slowest: [...rows].sort((a, b) => a.slowest.ms - b.slowest.ms)[Math.floor(rows.length / 2)]?.slowest ?? { ms: 0, sql: '' },
    };
    out.set(q.id, split);
    log(
      `    ${q.label}: ${formatNumber(split.totalMs, 1)} ms in-process (median of ${rows.length}), of which DuckDB ${formatNumber(split.sqlMs, 1)} ms in ${split.statements} statement(s) (slowest ${formatNumber(split.slowest.ms, 1)} ms); JSON.stringify ${formatNumber(split.jsonMs, 1)} ms`,
    );
  }
  return out;
}

// ── main ──────────────────────────────────────────────────────────────────────────────────────────

interface LoadInfo {
  payments: number;
  days: number;
  endMs: number;
  report: LoadReport;
  fileBytes: number;
  loadedAt: string;
}

async function prepareWarehouse(options: Options, path: string): Promise<{ info: LoadInfo; reused: boolean }> {
  const sidecar = `${path}.bench.json`;
  if (existsSync(path) && existsSync(sidecar)) {
    const info = JSON.parse(readFileSync(sidecar, 'utf8')) as LoadInfo;
    if (info.payments === options.payments && info.days === options.days) {
      log(`reusing the warehouse ${path} (loaded ${info.loadedAt}, ${formatNumber(info.payments)} payments ending ${isoDate(info.endMs)})`);
      return { info, reused: true };
    }
    throw new Error(
      `${path} holds ${info.payments} payments over ${info.days} days, not ${options.payments} over ${options.days}; delete it or pick another --warehouse`,
    );
  }
  if (existsSync(path))
    throw new Error(`${path} exists without ${sidecar}: not a warehouse this benchmark loaded; delete it or pick another --warehouse`);
  const endMs = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  log(
    `loading ${formatNumber(options.payments)} payments over ${options.days} days (to ${isoDate(endMs)}) DIRECTLY with DuckDB SQL — not through the pipeline (its throughput is the issue-3 consumer bench); this bench measures queries`,
  );
  const warehouse = await openDuckDbWarehouse({ path, logger: createLogger('warn', process.stderr), memoryLimit: options.loadMemoryLimit });
  let report: LoadReport;
  try {
    report = await loadAnalyticsWarehouse(warehouse, { payments: options.payments, days: options.days, endMs, log });
  } finally {
    await warehouse.close();
  }
  const info: LoadInfo = {
    payments: options.payments,
    days: options.days,
    endMs,
    report,
    fileBytes: statSync(path).size,
    loadedAt: new Date().toISOString(),
  };
  if (report.counts.payments !== options.payments)
    throw new Error(`loaded ${report.counts.payments} payments, expected ${options.payments}`);
  writeFileSync(sidecar, JSON.stringify(info, null, 2));
  log(`loaded in ${formatNumber(report.seconds, 1)} s; file ${formatNumber(info.fileBytes / 2 ** 30, 2)} GiB`);
  return { info, reused: false };
}

interface PreparedClickHouse {
  dataDir: string;
  report: ClickHouseLoadReport;
  reused: boolean;
  loadedAt: string;
  dataBytes: number;
}

/** The ClickHouse copy of the loaded DuckDB file: reused from --clickhouse-dir when it holds the same load. */
async function prepareClickHouse(
  options: Options,
  info: LoadInfo,
  warehousePath: string,
  workDir: string,
  problems: string[],
): Promise<PreparedClickHouse> {
  const dir = options.clickhouseDir ?? join(workDir, 'clickhouse');
  const dataDir = join(dir, 'data');
  const sidecar = `${dir}.bench.json`;
  const dataBytes = () => Number(execFileSync('du', ['-sb', dataDir], { encoding: 'utf8' }).split('\t')[0]);
  if (existsSync(dataDir) && existsSync(sidecar)) {
    const saved = JSON.parse(readFileSync(sidecar, 'utf8')) as {
      payments: number;
      days: number;
      endMs: number;
      report: ClickHouseLoadReport;
      loadedAt: string;
    };
    if (saved.payments !== info.payments || saved.days !== info.days || saved.endMs !== info.endMs)
      throw new Error(
        `${dir} holds another load (${saved.payments} payments ending ${isoDate(saved.endMs)}); delete it or pick another --clickhouse-dir`,
      );
    log(`reusing the ClickHouse data in ${dir} (loaded ${saved.loadedAt})`);
    return { dataDir, report: saved.report, reused: true, loadedAt: saved.loadedAt, dataBytes: dataBytes() };
  }
  if (existsSync(dir)) throw new Error(`${dir} exists without ${sidecar}; delete it or pick another --clickhouse-dir`);
  log(`copying the warehouse into ClickHouse (${dataDir})…`);
  const report = await loadClickHouseFromDuckDb(warehousePath, dataDir, log);
  for (const c of report.checks) if (!c.ok) problems.push(`ClickHouse load: ${c.name}: ${c.detail}`);
  const loadedAt = new Date().toISOString();
  writeFileSync(sidecar, JSON.stringify({ payments: info.payments, days: info.days, endMs: info.endMs, report, loadedAt }, null, 2));
  return { dataDir, report, reused: false, loadedAt, dataBytes: dataBytes() };
}

/** Where the DuckDB run keeps its answers (volatile fields removed) for the ClickHouse runs to compare. */
const answersFile = (warehousePath: string) => `${warehousePath}.answers.json`;

/** Fields that differ between two servers over the same rows (as in test/api/engine-parity.test.ts). */
const VOLATILE = new Set(['elapsed_ms', 'generated_at', 'as_of', 'request_id']);

function withoutVolatile(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutVolatile);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) => !VOLATILE.has(k))
        .map(([k, v]) => [k, withoutVolatile(v)]),
    );
  }
  return value;
}

/** The analytics answers (not /sql: its SQL differs per engine) of the verified DuckDB server. */
async function saveAnswers(url: string, key: string, defs: readonly QueryDef[], file: string): Promise<void> {
  const answers: Record<string, unknown> = {};
  for (const q of defs) if (!q.body) answers[q.id] = withoutVolatile(JSON.parse((await sendOk(url, key, q)).text));
  writeFileSync(file, JSON.stringify(answers));
}

/** Each analytics answer equals the DuckDB server's (saved by a DuckDB run on the same --warehouse). */
async function verifyAgainstDuckDb(
  url: string,
  key: string,
  defs: readonly QueryDef[],
  file: string,
  problems: string[],
): Promise<Check[]> {
  if (!existsSync(file)) {
    problems.push(`no DuckDB answers at ${file}: run --engine duckdb on the same --warehouse first`);
    return [];
  }
  const want = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const checks: Check[] = [];
  for (const q of defs) {
    if (q.body) continue;
    const got = JSON.stringify(withoutVolatile(JSON.parse((await sendOk(url, key, q)).text)));
    const expected = JSON.stringify(want[q.id]);
    const ok = got === expected;
    if (!ok) problems.push(`${q.label}: the answer differs from DuckDB's: ${firstDifference(got, expected)}`);
    checks.push({ name: `${q.label} = DuckDB's answer`, cells: got.length, ok });
  }
  return checks;
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at ${i}: ClickHouse …${a.slice(Math.max(0, i - 80), i + 80)}… DuckDB …${b.slice(Math.max(0, i - 80), i + 80)}…`;
}

const median = (xs: readonly number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

async function main(): Promise<void> {
  const options = parseOptions();
  const machine = machineInfo();
  log(`machine: ${describeMachine(machine)}; load average ${currentLoad()}`);
  if (options.build) {
    log('building the server (npm run build)…');
    await buildServer();
  } else {
    assertBuilt();
  }
  const workDir = await mkdtemp(join(tmpdir(), 'payscope-bench-analytics-'));
  const warehousePath = options.warehouse ?? join(workDir, 'warehouse.duckdb');
  const problems: string[] = [];
  try {
    const { info, reused } = await prepareWarehouse(options, warehousePath);
    const defs = queries(info.endMs, options.days, options.engine);
    const clickhouse = options.engine === 'duckdb' ? null : await prepareClickHouse(options, info, warehousePath, workDir, problems);
    if (options.loadOnly) {
      if (!options.warehouse) problems.push('--load-only without --warehouse: the load was deleted again');
      log(problems.length === 0 ? 'loaded; --load-only: exiting' : 'loaded with problems; --load-only: exiting');
      for (const p of problems) log(`  problem: ${p}`);
      if (problems.length > 0) process.exitCode = 1;
      return;
    }

    // An API key with the roles the routes ask for (analyst: analytics + SQL; finance: tiles).
    const dataDir = join(workDir, 'data');
    const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
    const store = await openStore(config, createLogger('warn', process.stderr));
    let key: string;
    try {
      key = (await createApiKey(store, { name: 'analytics bench', roles: ['analyst', 'finance'] })).key;
    } finally {
      await store.close();
    }

    const env: Record<string, string> = {
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      ...(options.engine === 'duckdb'
        ? { WAREHOUSE_PATH: warehousePath }
        : options.engine === 'clickhouse'
          ? { CLICKHOUSE_URL: `chdb:${clickhouse?.dataDir}` }
          : {}),
      ROLES: 'api,analytics',
      LOG_LEVEL: 'warn',
      ...options.serverEnv,
    };
    const rounds: Round[] = [];
    let checks: Check[] = [];
    let facts: Record<string, unknown> = {};
    for (let r = 1; r <= options.rounds; r++) {
      rounds.push(
        await runRound(
          r,
          options,
          env,
          key,
          defs,
          async (url) => {
            if (r !== 1) return;
            if (options.engine !== 'duckdb') {
              log('    checking every answer against the DuckDB server over the same rows…');
              checks = await verifyAgainstDuckDb(url, key, defs, answersFile(warehousePath), problems);
              for (const c of checks) log(`      ${c.ok ? 'ok  ' : 'FAIL'} ${c.name} (${c.cells} cells)`);
              facts = { payments: clickhouse?.report.counts.payments };
              return;
            }
            log('    checking figures against SQL over the raw tables…');
            checks = await verify(url, key, defs, problems);
            await saveAnswers(url, key, defs, answersFile(warehousePath));
            const [totals] = await sql(
              url,
              key,
              `SELECT count(*) AS payments, count(*) FILTER (WHERE ${COLLECTED}) AS successful, count(*) FILTER (WHERE status = 'failed') AS failed,
               count(DISTINCT merchant_id) AS merchants, count(DISTINCT gateway) AS gateways, count(DISTINCT payment_method) AS methods,
               count(DISTINCT region) AS regions, count(DISTINCT currency) AS currencies, count(DISTINCT failure_code) AS failure_codes,
               min(payment_time) AS first, max(payment_time) AS last FROM v_payments`,
            );
            facts = totals ?? {};
            if (Number(facts.payments) !== options.payments)
              problems.push(`v_payments holds ${String(facts.payments)} rows, expected ${options.payments}`);
            for (const c of checks) log(`      ${c.ok ? 'ok  ' : 'FAIL'} ${c.name} (${c.cells} cells)`);
          },
          options.engine === 'clickhouse-http' ? (clickhouse?.dataDir ?? null) : null,
        ),
      );
    }

    let split = new Map<string, Split>();
    let variants: VariantResult[] = [];
    if (options.breakdown) {
      // ClickHouse: chDB in this process on the same directory (the server is stopped); the split only.
      const warehouse =
        options.engine === 'duckdb'
          ? await openDuckDbWarehouse({ path: warehousePath, logger: createLogger('warn', process.stderr) })
          : await openClickHouseWarehouse({
              client: await createClickHouseClient(`chdb:${clickhouse?.dataDir}`, CLICKHOUSE_DATABASE),
              database: CLICKHOUSE_DATABASE,
              logger: createLogger('warn', process.stderr),
            });
      try {
        log('in-process split (same functions as the routes, no HTTP):');
        split = await splitTimes(warehouse, defs, SPLIT_RUNS, options.slowMs);
        for (const [id, sp] of split)
          log(
            `    ${id}: ${formatNumber(sp.totalMs, 1)} ms, ${sp.statements} statements, slowest ${formatNumber(sp.slowest.ms, 1)} ms: ${sp.slowest.sql.replace(/\s+/g, ' ').slice(0, 300)}`,
          );
        if (options.engine === 'duckdb') {
          log(`the payments statement of readTotals vs two rewrites returning the same rows (median of ${VARIANT_RUNS}):`);
          variants = await compareVariants(
            warehouse,
            defs.flatMap((q) => (q.buckets ? [{ label: q.label, buckets: q.buckets }] : [])),
            VARIANT_RUNS,
          );
          for (const v of variants) {
            log(
              `    ${v.label} (${v.segments}): ${Object.entries(v.ms)
                .map(([name, ms]) => `${name} ${formatNumber(ms, 1)} ms`)
                .join(', ')}${v.same ? '' : ' — ROWS DIFFER'}`,
            );
            if (!v.same) problems.push(`rollup SQL variants of ${v.label} returned different rows`);
          }
        }
      } finally {
        await warehouse.close();
      }
    }

    // ── report ────────────────────────────────────────────────────────────────────────────────
    const rows = defs.map((q) => {
      const per = rounds.map((round) => {
        const s = [...(round.queries.get(q.id)?.samples ?? [])].sort((a, b) => a - b);
        return { p50: percentile(s, 50), p95: percentile(s, 95), max: s.at(-1) ?? Number.NaN };
      });
      const all = rounds.flatMap((round) => round.queries.get(q.id)?.samples ?? []).sort((a, b) => a - b);
      const p50 = percentile(all, 50);
      const p95 = percentile(all, 95);
      const cold = rounds.map((round) => round.queries.get(q.id)?.coldMs ?? Number.NaN);
      const bytes = rounds[0]?.queries.get(q.id)?.bytes ?? 0;
      const verdict = q.targetMs === null ? '—' : p95 <= q.targetMs ? `met (≤ ${q.targetMs})` : `**missed** (≤ ${q.targetMs})`;
      return { q, per, n: all.length, p50, p95, cold, bytes, verdict };
    });
    const hwm = median(rounds.map((r) => r.hwmKb));
    const headers = [
      'query',
      'requests',
      'p50 ms',
      'p95 ms',
      'p50 / p95 ms per round',
      'cold 1st request ms per round',
      'response KiB',
      'p95 target ms',
    ];
    const table = markdownTable(
      headers,
      rows.map((r) => [
        r.q.label,
        formatNumber(r.n),
        formatNumber(r.p50, 1),
        formatNumber(r.p95, 1),
        r.per.map((p) => `${formatNumber(p.p50, 1)} / ${formatNumber(p.p95, 1)}`).join('; '),
        r.cold.map((c) => formatNumber(c, 0)).join(' / '),
        formatNumber(r.bytes / 1024, 1),
        r.verdict,
      ]),
    );
    const splitTable =
      split.size === 0
        ? ''
        : markdownTable(
            [
              'query',
              'HTTP p50 ms',
              'in-process ms',
              'warehouse ms (statements)',
              'slowest statement ms',
              'JSON.stringify ms',
              'HTTP p50 − in-process ms',
            ],
            rows.map((r) => {
              const s = split.get(r.q.id);
              if (!s) return [r.q.label, formatNumber(r.p50, 1), '—', '—', '—', '—', '—'];
              return [
                r.q.label,
                formatNumber(r.p50, 1),
                formatNumber(s.totalMs, 1),
                `${formatNumber(s.sqlMs, 1)} (${s.statements})`,
                formatNumber(s.slowest.ms, 1),
                formatNumber(s.jsonMs, 1),
                formatNumber(r.p50 - s.totalMs, 1),
              ];
            }),
          );
    const met = rows.filter((r) => r.q.targetMs !== null && r.p95 <= r.q.targetMs).length;
    const targeted = rows.filter((r) => r.q.targetMs !== null).length;
    const counts = info.report.counts;
    const countsLine = Object.entries(counts)
      .map(([t, n]) => `${t} ${formatNumber(n)}`)
      .join(', ');
    const serverSettings = Object.entries(env)
      .filter(([k]) => !['DATA_DIR', 'WAREHOUSE_PATH', 'HOST', 'CLICKHOUSE_URL'].includes(k))
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    const body = [
      `### Analytics queries — ${formatNumber(info.payments)} payments in ${ENGINE_TITLES[options.engine]}`,
      '',
      table,
      '',
      `- date: ${new Date().toISOString()}; code: ${codeVersion()}`,
      `- machine: ${describeMachine(machine)}; ${rounds.map((r) => `${r.busyBefore} %`).join(' / ')} busy in the 2 s before each round, load average ${rounds.map((r) => r.load.split(' / ')[0]).join(' / ')} at each round's start`,
      `- command: \`${commandLine()}\``,
      `- warehouse: **loaded directly with DuckDB SQL (\`INSERT … SELECT … FROM range(N)\`), not through the pipeline** — the pipeline's throughput is the issue-3 consumer bench; this bench measures queries. ${formatNumber(info.payments)} payments over ${info.days} days ending ${isoDate(info.endMs)} (UTC), 10 merchants (skewed 22 %…3 %), 4 gateways, 4 methods, 6 regions + 1 % unknown, 3 currencies (INR 80 %), statuses 90 % succeeded/captured, 8 % failed (7 failure codes/reasons), 2 % pending/authorized; rollups built from the facts with the pipeline's bucketing and dimension values. Rows: ${countsLine}. File ${formatNumber(info.fileBytes / 2 ** 30, 2)} GiB; load ${formatNumber(info.report.seconds, 0)} s${reused ? ` (reused from ${info.loadedAt})` : ''}.`,
      ...(clickhouse
        ? [
            `- ClickHouse: ${clickhouse.reused ? `reused ${clickhouse.dataDir} (loaded ${clickhouse.loadedAt}); ` : ''}the same rows copied from the DuckDB file through Parquet: export ${formatNumber(clickhouse.report.exportSeconds, 0)} s (${formatNumber(clickhouse.report.parquetBytes / 2 ** 20)} MiB Parquet), \`INSERT … SELECT … FROM file(…, Parquet)\` into the schema \`openClickHouseWarehouse\` creates ${formatNumber(clickhouse.report.insertSeconds, 0)} s (${clickhouse.report.steps.map((st) => `${st.name} ${formatNumber(st.seconds, 1)} s`).join(', ')}); data directory ${formatNumber(clickhouse.dataBytes / 2 ** 30, 2)} GiB; checks in ClickHouse: ${clickhouse.report.checks.every((c) => c.ok) ? 'pass' : '**FAIL**'} (${clickhouse.report.checks.length}: row counts = DuckDB, every rollup grain = its facts per day in count and amount, one row per payment key)`,
            `- ClickHouse server: ${options.engine === 'clickhouse' ? '`CLICKHOUSE_URL=chdb:<dir>`: chDB inside the server process' : `\`CLICKHOUSE_URL=http://127.0.0.1:<port>\`: a launcher process started per round on the directory; its peak RSS (VmHWM) ${rounds.map((r) => `${formatNumber(mib(r.clickhouseHwmKb ?? 0))} MiB`).join(' / ')}`}`,
          ]
        : []),
      `- server: \`node dist/cli/main.js start\` as a child process, ${serverSettings}; WAREHOUSE_MEMORY_LIMIT ${options.serverEnv.WAREHOUSE_MEMORY_LIMIT ?? 'unset (DuckDB default: 80 % of RAM)'}; a fresh server per round (${options.rounds} rounds), healthy in ${rounds.map((r) => formatNumber(r.startMs / 1000, 1)).join(' / ')} s`,
      `- method: real HTTP over loopback (fetch, keep-alive), one request at a time, API key with roles analyst + finance; per query and round: 1 cold request, ${options.warmup} warm-up, ${options.requests} measured (a query slower than ${formatNumber(options.slowMs)} ms: 1 warm-up and ${Math.ceil(options.requests / options.rounds)} per round); latency = request sent → whole body read. p50/p95 over every measured request of all rounds (nearest rank); the per-round figures show the spread.`,
      `- server memory (VmHWM, whole process lifetime): ${rounds.map((r) => `${formatNumber(mib(r.hwmKb))} MiB`).join(' / ')} (median ${formatNumber(mib(hwm))} MiB); RSS after start ${rounds.map((r) => formatNumber(mib(r.startRssKb))).join(' / ')} MiB, at the end ${rounds.map((r) => formatNumber(mib(r.afterRssKb))).join(' / ')} MiB; sampled every ${RSS_SAMPLE_MS} ms: max ${rounds.map((r) => formatNumber(mib(r.peakRssKb))).join(' / ')} MiB`,
      `- CPU during the measured requests, per round: ${rounds.map((r) => r.cpu).join(' | ')}`,
      `- correctness: ${problems.length === 0 ? 'pass' : `**FAIL** (${problems.length} problems)`} — ${checks.map((c) => `${c.name}: ${c.cells} cells ${c.ok ? 'equal' : 'DIFFER'}`).join('; ')}; raw v_payments: ${formatNumber(Number(facts.payments))} payments, ${String(facts.merchants)} merchants, ${String(facts.gateways)} gateways, ${String(facts.methods)} methods, ${String(facts.regions)} regions, ${String(facts.currencies)} currencies`,
      `- targets: ${met} of ${targeted} met (KPI/breakdown p95 ≤ ${KPI_TARGET_MS} ms, ad-hoc SQL ≤ ${SQL_TARGET_MS} ms)`,
      ...(splitTable
        ? [
            '',
            `Where the time goes — the same functions the routes call, in-process on the same file after the HTTP rounds (median of ${SPLIT_RUNS} runs, 3 for a query slower than ${formatNumber(options.slowMs)} ms); DuckDB = time inside \`warehouse.query\`/\`sandboxQuery\`; the last column is what HTTP, auth, validation and serialisation add (within noise when negative):`,
            '',
            splitTable,
          ]
        : []),
      ...(variants.length > 0
        ? [
            '',
            `Three ways to read the payments rollups for the same segments, returning the same rows: one range join per grain bounded by the grain's first and last segment (what \`rollupSql\` sent before 2026-11-22, labelled \`range join\`), every segment expanded to its rollup buckets and hash-joined on \`bucket =\`, and one \`UNION ALL\` branch per segment with its own bounds (what \`rollupSql\` sends now) — on the same file, median of ${VARIANT_RUNS} interleaved runs (bench/support/rollup-sql-variants.ts):`,
            '',
            markdownTable(
              ['query', 'segments read', 'range join (before) ms', 'equality join ms', 'UNION ALL per segment (now) ms', 'same rows'],
              variants.map((v) => [
                v.label,
                v.segments,
                formatNumber(v.ms.current ?? Number.NaN, 1),
                formatNumber(v.ms.equality_join ?? Number.NaN, 1),
                formatNumber(v.ms.union_per_segment ?? Number.NaN, 1),
                v.same ? 'yes' : '**no**',
              ]),
            ),
          ]
        : []),
    ].join('\n');
    log(`\n${body}\n`);
    for (const p of problems.slice(0, 30)) log(`  problem: ${p}`);
    if (options.write) {
      const section = options.engine === 'duckdb' ? 'analytics:queries' : `analytics:queries:${options.engine}`;
      writeBenchmarkSection(section, body);
      log(`written to BENCHMARKS.md (section ${section})`);
    }
  } finally {
    // The temp dir holds the operational store, and the warehouse unless --warehouse kept it elsewhere.
    await rm(workDir, { recursive: true, force: true });
  }
  if (problems.length > 0) {
    console.error(`correctness check FAILED (${problems.length} problems)`);
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
