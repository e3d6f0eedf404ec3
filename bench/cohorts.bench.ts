/**
 * Cohort retention and RFM over a million customers (issue 12 §Benchmarks: cohort matrix 12 × 12
 * over 1M customers ≤ 500 ms; RFM of 1M customers ≤ 5 s), on DuckDB and ClickHouse (chDB in
 * process).
 *
 * 1. Loads a warehouse DIRECTLY with the engine's own SQL (not through the pipeline, whose
 *    throughput is the consumer benchmark): `--customers` customers each with one
 *    `user.registered` spread over the last 14 months, and ~`--orders-per-customer` collected
 *    payments each (heavy-tailed: a third buy once), at or after registration, over the same span,
 *    in INR with a few USD.
 * 2. Runs `queryCohortMatrix` (the twelve monthly cohorts by registration before this month,
 *    activity = purchase, M0…M12, customers and revenue; Asia/Kolkata) and `computeRfm` (INR,
 *    scored in TypeScript) — the same functions the API calls — warm-up once, then `--runs` times,
 *    and reports min / median / max wall time.
 *
 *   npx tsx bench/cohorts.bench.ts [--customers 1000000] [--orders-per-customer 3] [--runs 5] [--engines duckdb,clickhouse]
 *
 * Figures are printed and written to BENCHMARKS.md (section `cohorts`). Run benches one at a time:
 * the machine is shared.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { queryCohortMatrix } from '../src/analytics/cohorts/cohort-matrix.js';
import { computeRfm, rfmOverview } from '../src/analytics/rfm/rfm.js';
import { localBucketStarts } from '../src/analytics/time-zones.js';
import { createLogger } from '../src/core/logger.js';
import { openClickHouseWarehouse } from '../src/warehouse/clickhouse/clickhouse-adapter.js';
import { createClickHouseClient } from '../src/warehouse/clickhouse/clickhouse-client.js';
import { openDuckDbWarehouse } from '../src/warehouse/duckdb/duckdb-adapter.js';
import type { Warehouse } from '../src/warehouse/warehouse-port.js';
import {
  codeVersion,
  commandLine,
  currentLoad,
  describeMachine,
  formatNumber,
  machineInfo,
  markdownTable,
  writeBenchmarkSection,
} from './support/report.js';

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '1000000' },
    'orders-per-customer': { type: 'string', default: '3' },
    runs: { type: 'string', default: '5' },
    engines: { type: 'string', default: 'duckdb,clickhouse' },
  },
});
const CUSTOMERS = Number(args.customers);
const ORDERS = Number(args['orders-per-customer']);
const RUNS = Number(args.runs);
const ENGINES = String(args.engines).split(',');
const TZ = 'Asia/Kolkata';
const NOW = Date.now();
const SPAN_DAYS = 14 * 30;
const logger = createLogger('warn');

/** How many payments: each customer i buys 1 + (i mod (2·ORDERS − 1)) times: mean ORDERS, a third buy once when ORDERS = 2. */
const ordersOf = `(1 + (c % ${2 * ORDERS - 1}))`;

/** Rows as engine SQL: registrations and payments for customers 0…N−1, deterministic. */
function duckDbLoad(n: number): string[] {
  const start = `(TIMESTAMP '${new Date(NOW - SPAN_DAYS * 86_400_000).toISOString().slice(0, 19).replace('T', ' ')}')`;
  return [
    `INSERT INTO behaviour_events (event_id, event_type, event_time, user_hash)
     SELECT 'reg-' || c, 'user.registered', ${start} + to_seconds((hash(c) % ${SPAN_DAYS * 86_400})::BIGINT), 'cust-' || c
     FROM range(${n}) t(c)`,
    `INSERT INTO payments (reference_number, payment_id, amount_minor, captured_minor, currency, status, customer_hash, payment_time, in_ledger)
     SELECT 'ref-' || c || '-' || k, 'pid-' || c || '-' || k, 10000 + (hash(c * 31 + k) % 500000)::BIGINT, NULL,
            CASE WHEN c % 20 = 0 THEN 'USD' ELSE 'INR' END,
            CASE WHEN hash(c + k) % 10 = 0 THEN 'failed' ELSE 'captured' END,
            'cust-' || c,
            least(${start} + to_seconds((hash(c) % ${SPAN_DAYS * 86_400})::BIGINT) + to_seconds((hash(c * 7 + k) % ${(SPAN_DAYS * 86_400) / 2})::BIGINT),
                  ${start} + to_seconds(${SPAN_DAYS * 86_400 - 60}::BIGINT)),
            true
     FROM range(${n}) t(c), range(${2 * ORDERS - 1}) u(k) WHERE k < ${ordersOf}`,
  ];
}

function clickHouseLoad(n: number, db: string): string[] {
  const start = `toDateTime64('${new Date(NOW - SPAN_DAYS * 86_400_000).toISOString().slice(0, 19).replace('T', ' ')}', 3, 'UTC')`;
  return [
    `INSERT INTO ${db}.behaviour_events (event_id, event_type, event_time, user_hash)
     SELECT concat('reg-', toString(number)), 'user.registered', addSeconds(${start}, cityHash64(number) % ${SPAN_DAYS * 86_400}), concat('cust-', toString(number))
     FROM numbers(${n})`,
    `INSERT INTO ${db}.payments (reference_number, payment_id, amount_minor, captured_minor, currency, status, customer_hash, payment_time, in_ledger)
     SELECT concat('ref-', toString(c), '-', toString(k)), concat('pid-', toString(c), '-', toString(k)), 10000 + cityHash64(c * 31 + k) % 500000, NULL,
            if(c % 20 = 0, 'USD', 'INR'), if(cityHash64(c + k) % 10 = 0, 'failed', 'captured'), concat('cust-', toString(c)),
            least(addSeconds(addSeconds(${start}, cityHash64(c) % ${SPAN_DAYS * 86_400}), cityHash64(c * 7 + k) % ${(SPAN_DAYS * 86_400) / 2}),
                  addSeconds(${start}, ${SPAN_DAYS * 86_400 - 60})),
            true
     FROM (SELECT number AS c FROM numbers(${n})) ARRAY JOIN range(toUInt64(${ordersOf})) AS k`,
  ];
}

async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

interface Figures {
  engine: string;
  loadSeconds: number;
  payments: number;
  cohort: number[];
  cohortCustomers: number;
  rfm: number[];
  rfmCustomers: number;
  overview: number[];
}

async function measure(engine: string, warehouse: Warehouse, loadSeconds: number): Promise<Figures> {
  const [{ n: payments } = { n: 0 }] = await warehouse.query<{ n: number }>('SELECT count(*)::BIGINT AS n FROM payments');
  const monthStarts = localBucketStarts(TZ, 'month', NOW - 400 * 86_400_000, NOW, 40);
  const thisMonth = monthStarts[monthStarts.length - 1] as number;
  const from = monthStarts[monthStarts.length - 13] as number;
  const cohort = () =>
    queryCohortMatrix(warehouse, { from, to: thisMonth, tz: TZ, period: 'month', basis: 'registration', activity: 'purchase', now: NOW });
  const rfm = () => computeRfm(warehouse, { asOf: NOW, tz: TZ, money: { kind: 'currency', currency: 'INR' } });
  const first = await cohort();
  if (!first.ok) throw new Error(first.error.message);
  const cohortCustomers = first.value.cohorts.reduce((s, c) => s + c.size, 0);
  if (first.value.cohorts.length !== 12) throw new Error(`expected 12 cohorts, got ${first.value.cohorts.length}`);
  const cohortMs: number[] = [];
  for (let i = 0; i < RUNS; i++) cohortMs.push((await time(cohort)).ms);
  const warm = await rfm();
  if (!warm.ok) throw new Error(warm.error.message);
  const rfmMs: number[] = [];
  for (let i = 0; i < RUNS; i++) rfmMs.push((await time(rfm)).ms);
  const overview = () => rfmOverview(warehouse, { asOf: NOW, tz: TZ, money: { kind: 'currency', currency: 'INR' } });
  const o = await overview();
  if (!o.ok) throw new Error(o.error.message);
  if (o.value.customers !== warm.value.customers.length)
    throw new Error(`SQL scored ${o.value.customers}, TypeScript ${warm.value.customers.length}`);
  const overviewMs: number[] = [];
  for (let i = 0; i < RUNS; i++) overviewMs.push((await time(overview)).ms);
  const f = {
    engine,
    loadSeconds,
    payments,
    cohort: cohortMs,
    cohortCustomers,
    rfm: rfmMs,
    rfmCustomers: warm.value.customers.length,
    overview: overviewMs,
  };
  console.log(JSON.stringify({ ...f, load: currentLoad() }));
  return f;
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const stats = (xs: number[]) => {
  const s = sorted(xs);
  return `${formatNumber(s[0] ?? 0)} / ${formatNumber(s[Math.floor(s.length / 2)] ?? 0)} / ${formatNumber(s[s.length - 1] ?? 0)}`;
};

async function main(): Promise<void> {
  const figures: Figures[] = [];
  const loadBefore = currentLoad();
  for (const engine of ENGINES) {
    const dir = await mkdtemp(join(tmpdir(), `payscope-bench-cohorts-${engine}-`));
    try {
      let warehouse: Warehouse;
      const t0 = performance.now();
      if (engine === 'duckdb') {
        warehouse = await openDuckDbWarehouse({ path: join(dir, 'w.duckdb'), logger });
        // The adapter exposes reads only; load through DuckDB itself on the same file after closing.
        await warehouse.close();
        const { DuckDBInstance } = await import('@duckdb/node-api');
        const instance = await DuckDBInstance.create(join(dir, 'w.duckdb'));
        const connection = await instance.connect();
        for (const sql of duckDbLoad(CUSTOMERS)) await connection.run(sql);
        connection.closeSync();
        instance.closeSync();
        warehouse = await openDuckDbWarehouse({ path: join(dir, 'w.duckdb'), logger });
      } else {
        const database = 'bench_cohorts';
        const client = await createClickHouseClient(`chdb:${dir}`, database);
        warehouse = await openClickHouseWarehouse({ client, database, logger });
        for (const sql of clickHouseLoad(CUSTOMERS, database)) await client.command({ query: sql });
      }
      const loadSeconds = (performance.now() - t0) / 1000;
      console.log(`${engine}: loaded in ${loadSeconds.toFixed(1)} s`);
      figures.push(await measure(engine, warehouse, loadSeconds));
      await warehouse.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const body = [
    '## Cohort retention and RFM (issue 12)',
    '',
    `${new Date().toISOString()} · ${describeMachine(machineInfo())} · load average ${loadBefore} before, ${currentLoad()} after · commit ${codeVersion()}`,
    '',
    `\`${commandLine()}\``,
    '',
    `${formatNumber(CUSTOMERS)} customers, each registered once over the last ${SPAN_DAYS} days, with 1–${2 * ORDERS - 1} payments (mean ${ORDERS}; 10 % failed, 5 % of customers in USD). Cohort matrix: the twelve monthly cohorts before this month by registration in ${TZ}, M0…M12 customers and revenue per currency (\`queryCohortMatrix\`, three SQL reads). RFM in SQL: \`rfmOverview\` (what \`GET /api/v1/analytics/rfm\` runs: segment sizes and the week-over-week movement, i.e. two scorings of every customer by window functions, only aggregates read). RFM in TypeScript: \`computeRfm\` (the weekly job's path and report-currency requests: every customer read, scored in TypeScript). Min / median / max of ${RUNS} runs after one warm-up, in-process (no HTTP).`,
    '',
    markdownTable(
      [
        'engine',
        'payments',
        'cohort 12×13 ms (target ≤ 500)',
        'customers in cohorts',
        'RFM in SQL, sizes + movement ms (target ≤ 5,000)',
        'RFM in TypeScript ms',
        'customers scored',
        'load s',
      ],
      figures.map((f) => [
        f.engine,
        formatNumber(f.payments),
        stats(f.cohort),
        formatNumber(f.cohortCustomers),
        stats(f.overview),
        stats(f.rfm),
        formatNumber(f.rfmCustomers),
        f.loadSeconds.toFixed(1),
      ]),
    ),
  ].join('\n');
  console.log(body);
  writeBenchmarkSection('cohorts', body);
}

await main();
