/**
 * Funnel latency (issue 12): the standard 6-step purchase funnel over N behaviour events in N/10
 * sessions, on DuckDB and on ClickHouse (chDB in-process), through `runFunnel` — the same code the
 * API runs.
 *
 * Data, generated inside each engine by the same integer arithmetic (so both hold the same rows):
 * session s has 10 events one minute apart at a pseudo-random second of a 30-day span; a depth
 * 1…6 from (s · 2654435761) mod 1000 decides how far it goes (search → product views → add to cart →
 * checkout), sessions of depth ≥ 5 get an order, a payment (payment.initiated) and, at depth 6, a
 * successful status row (order.confirmed). Device by s mod 3.
 *
 *   npx tsx bench/funnels.bench.ts [--events 10000000] [--runs 20] [--engines duckdb,clickhouse]
 *
 * Figures are printed and written to BENCHMARKS.md (section `funnels`). Run it alone: the machine is shared.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { STANDARD_FUNNEL } from '../src/analytics/funnels/funnel-definition.js';
import { runFunnel } from '../src/analytics/funnels/funnel-query.js';
import { createLogger } from '../src/core/logger.js';
import { openClickHouseWarehouse } from '../src/warehouse/clickhouse/clickhouse-adapter.js';
import { createClickHouseClient } from '../src/warehouse/clickhouse/clickhouse-client.js';
import { openDuckDbWarehouse } from '../src/warehouse/duckdb/duckdb-adapter.js';
import type { SqlDialect } from '../src/warehouse/sql-dialect.js';
import type { Warehouse } from '../src/warehouse/warehouse-port.js';
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

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '10000000' },
    runs: { type: 'string', default: '20' },
    engines: { type: 'string', default: 'duckdb,clickhouse' },
  },
});
const EVENTS = Number(values.events);
const SESSIONS = Math.floor(EVENTS / 10);
const RUNS = Number(values.runs);
const BASE = Date.UTC(2026, 5, 1);
const SPAN_S = 30 * 86_400;
const logger = createLogger('warn');

/** The load statements: `rows` is the engine's row source for 0…n−1 as column `i`. */
function loadStatements(d: SqlDialect, rows: (n: number) => string): string[] {
  // Integer division spelled portably (`/` is a float division on both engines).
  const intDiv = (a: string, b: number) => `CAST((${a} - (${a}) % ${b}) / ${b} AS BIGINT)`;
  const depthOf = (s: string) => `(1 + ${intDiv(`(((${s}) * 2654435761) % 1000) * 6`, 1000)})`;
  const start = `(((s * 7919) % ${SPAN_S}) * 1000)`;
  const at = (minutes: string) => d.plusMs(d.timestamp(BASE), `${start} + (${minutes}) * 60000`);
  const type = `CASE WHEN j = 0 THEN 'search.query'
      WHEN j IN (4, 5) AND dep >= 3 THEN 'product.added_to_cart'
      WHEN j = 6 AND dep >= 4 THEN 'checkout.started'
      WHEN j IN (1, 2, 3) AND dep >= 2 THEN 'product.viewed'
      WHEN j >= 7 THEN 'product.viewed'
      ELSE 'search.query' END`;
  const events = `INSERT INTO behaviour_events (event_id, event_type, event_time, session_hash, user_hash, device_type, traffic_source, customer_segment, category)
    SELECT 'e' || CAST(i AS VARCHAR), ${type}, ${at('j')}, 's' || CAST(s AS VARCHAR), 'u' || CAST(s % 200000 AS VARCHAR),
      CASE s % 3 WHEN 0 THEN 'mobile' WHEN 1 THEN 'desktop' ELSE 'tablet' END, 'google', 'new', 'shoes'
    FROM (SELECT i, ${intDiv('i', 10)} AS s, i % 10 AS j, ${depthOf(intDiv('i', 10))} AS dep FROM ${rows(EVENTS)}) x`;
  const deep = `(SELECT s, ${depthOf('s')} AS dep FROM (SELECT i AS s FROM ${rows(SESSIONS)}) y) z WHERE dep >= 5`;
  return [
    events,
    `INSERT INTO orders (order_id, status, session_hash, placed_at) SELECT 'o' || CAST(s AS VARCHAR), 'placed', 's' || CAST(s AS VARCHAR), ${at('7')} FROM ${deep}`,
    `INSERT INTO payments (reference_number, order_id, amount_minor, currency, status, payment_time)
     SELECT 'r' || CAST(s AS VARCHAR), 'o' || CAST(s AS VARCHAR), 1000, 'INR', CASE WHEN dep >= 6 THEN 'succeeded' ELSE 'failed' END, ${at('8')} FROM ${deep}`,
    `INSERT INTO payment_status_history (event_id, reference_number, status, event_time)
     SELECT 'h' || CAST(s AS VARCHAR), 'r' || CAST(s AS VARCHAR), 'succeeded', ${at('9')} FROM ${deep} AND dep >= 6`,
  ];
}

async function measure(engine: string, warehouse: Warehouse): Promise<string[]> {
  const range = { from: BASE, to: BASE + SPAN_S * 1000 };
  const first = Date.now();
  const result = await runFunnel(warehouse, STANDARD_FUNNEL, range);
  const cold = Date.now() - first;
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    await runFunnel(warehouse, STANDARD_FUNNEL, range);
    times.push(performance.now() - t0);
  }
  const byDevice: number[] = [];
  for (let r = 0; r < Math.max(3, Math.floor(RUNS / 4)); r++) {
    const t0 = performance.now();
    await runFunnel(warehouse, STANDARD_FUNNEL, range, 'device');
    byDevice.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  byDevice.sort((a, b) => a - b);
  const entered = result.totals.steps.map((s) => formatNumber(s.entered)).join(' → ');
  console.log(
    `${engine}: cold ${cold} ms, p50 ${percentile(times, 0.5).toFixed(0)} ms, p95 ${percentile(times, 0.95).toFixed(0)} ms; ${entered}`,
  );
  return [
    engine,
    formatNumber(cold),
    percentile(times, 0.5).toFixed(0),
    percentile(times, 0.95).toFixed(0),
    percentile(byDevice, 0.5).toFixed(0),
    entered,
  ];
}

async function main() {
  const rows: string[][] = [];
  const loads: string[] = [];
  for (const engine of values.engines.split(',')) {
    const dir = mkdtempSync(join(tmpdir(), 'payscope-funnels-bench-'));
    try {
      const t0 = Date.now();
      if (engine === 'duckdb') {
        const warehouse = await openDuckDbWarehouse({ path: join(dir, 'w.duckdb'), logger });
        for (const sql of loadStatements(warehouse.dialect, (n) => `range(${n}) t(i)`)) await warehouse.query(sql);
        loads.push(`duckdb ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        rows.push(await measure(engine, warehouse));
        await warehouse.close();
      } else {
        const client = await createClickHouseClient(`chdb:${dir}`, 'bench');
        const warehouse = await openClickHouseWarehouse({ client, database: 'bench', logger });
        for (const sql of loadStatements(warehouse.dialect, (n) => `(SELECT number AS i FROM numbers(${n}))`))
          await client.command({ query: sql });
        await client.command({ query: 'OPTIMIZE TABLE payments FINAL' });
        loads.push(`clickhouse ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        rows.push(await measure(engine, warehouse));
        await warehouse.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const body = `## Funnels (issue 12)

${describeMachine(machineInfo())}; ${new Date().toISOString().slice(0, 10)}; load average ${currentLoad()}; code ${codeVersion()}.
Command: \`${commandLine()}\`. ${formatNumber(EVENTS)} behaviour events in ${formatNumber(SESSIONS)} sessions over 30 days
(+ orders, payments and status rows of the deep sessions); load ${loads.join(', ')}. The standard 6-step
funnel (landing → … → order confirmed, per session, ordered, 24 h window) through \`runFunnel\`, in-process,
${RUNS} warm runs after one cold run; "by device" adds the breakdown query (two statements).

${markdownTable(['engine', 'cold ms', 'p50 ms', 'p95 ms', 'by device p50 ms', 'entered per step'], rows)}`;
  console.log(body);
  writeBenchmarkSection('funnels', body);
}

await main();
