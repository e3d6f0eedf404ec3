/**
 * The analytics benchmark's ClickHouse warehouse: the SAME synthetic data the DuckDB loader wrote
 * (bench/support/analytics-warehouse.ts), copied table by table through Parquet, so both engines
 * answer the same questions over the same rows.
 *
 * 1. Exports every non-empty table of the loaded DuckDB file to Parquet (`COPY … (FORMAT parquet)`).
 * 2. Starts a ClickHouse HTTP server on that data directory (chDB's libchdb.so run by
 *    scripts/clickhouse-http.c, the launcher the test harness builds), creates the real schema with
 *    `openClickHouseWarehouse`, and fills each table with `INSERT … SELECT … FROM file(…, Parquet)`
 *    (server-side, multi-threaded). The rollups are copied, not rebuilt: DuckDB built them from the
 *    facts; `checkRollups` then proves, in ClickHouse, that every rollup equals its facts per day.
 * 3. Stops the server. The directory is then opened by the server under test, either in-process
 *    (`CLICKHOUSE_URL=chdb:<dir>`) or through a fresh launcher (`startClickHouseAt`).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { DuckDBInstance } from '@duckdb/node-api';
import { createLogger } from '../../src/core/logger.js';
import { openClickHouseWarehouse } from '../../src/warehouse/clickhouse/clickhouse-adapter.js';
import { createClickHouseClient } from '../../src/warehouse/clickhouse/clickhouse-client.js';
import { GRAINS, rollupTable } from '../../src/warehouse/tables.js';
import { buildLauncher } from '../../test/harness/clickhouse-server.js';
import { freePort } from '../../test/harness/throwaway-servers.js';

/** The database the app uses by default (CLICKHOUSE_DATABASE). */
export const CLICKHOUSE_DATABASE = 'payscope';

export interface LaunchedClickHouse {
  url: string;
  pid: number;
  /** SIGTERM, SIGKILL after 10 s; leaves the data directory. */
  stop(): Promise<void>;
}

/** A ClickHouse HTTP server on a free loopback port over `dataDir` (kept after stop). */
export async function startClickHouseAt(dataDir: string): Promise<LaunchedClickHouse> {
  const launcher = await buildLauncher();
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const logFile = join(dataDir, '..', 'clickhouse-server.log');
  const log = openSync(logFile, 'a');
  const child = spawn(launcher, ['--listen_host=127.0.0.1', `--http_port=${port}`, `--path=${dataDir}/`], {
    cwd: join(dataDir, '..'),
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error('the ClickHouse launcher could not be spawned');
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited) return;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (!exited && Date.now() < deadline) await sleep(20);
    if (!exited) process.kill(pid, 'SIGKILL');
    while (!exited) await sleep(20);
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`the ClickHouse launcher exited; log: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
    try {
      const res = await fetch(`${url}/?query=SELECT%201`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok && (await res.text()).trim() === '1') return { url, pid, stop };
    } catch {
      // not yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error('the ClickHouse launcher did not answer within 60 s');
    }
    await sleep(100);
  }
}

/** The tables the DuckDB loader fills (the others stay empty). */
function loadedTables(): string[] {
  const rollups = ['payments', 'refunds', 'disputes'].flatMap((r) =>
    GRAINS.map((g) => rollupTable(r as Parameters<typeof rollupTable>[0], g)),
  );
  return ['merchants', 'payments', 'refunds', 'disputes', 'settlements', ...rollups];
}

export interface ClickHouseLoadReport {
  exportSeconds: number;
  insertSeconds: number;
  steps: { name: string; rows: number; seconds: number }[];
  counts: Record<string, number>;
  checks: { name: string; ok: boolean; detail: string }[];
  parquetBytes: number;
}

/** Copies the loaded DuckDB file at `duckdbPath` into a fresh ClickHouse data directory `dataDir`. */
export async function loadClickHouseFromDuckDb(
  duckdbPath: string,
  dataDir: string,
  log: (line: string) => void,
): Promise<ClickHouseLoadReport> {
  const parquetDir = join(dataDir, '..', 'parquet');
  mkdirSync(parquetDir, { recursive: true });
  const tables = loadedTables();
  const logger = createLogger('warn', process.stderr);
  const duckCounts: Record<string, number> = {};
  const columns: Record<string, string[]> = {};
  const t0 = performance.now();
  // A plain read-only instance: the warehouse adapter disables DuckDB's file access (COPY TO).
  const instance = await DuckDBInstance.create(duckdbPath, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  const duck = {
    query: async <R>(sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJS() as R[],
    close: async () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
  let parquetBytes = 0;
  try {
    for (const table of tables) {
      duckCounts[table] = Number((await duck.query<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM ${table}`))[0]?.n ?? 0);
      columns[table] = (
        await duck.query<{ column_name: string }>(
          `SELECT column_name FROM information_schema.columns WHERE table_name = '${table}' ORDER BY ordinal_position`,
        )
      ).map((r) => r.column_name);
      await duck.query(`COPY ${table} TO '${join(parquetDir, `${table}.parquet`)}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)`);
      parquetBytes += Number(
        (
          await duck.query<{ n: number }>(
            `SELECT sum(total_compressed_size)::BIGINT AS n FROM parquet_metadata('${join(parquetDir, `${table}.parquet`)}')`,
          )
        )[0]?.n ?? 0,
      );
    }
  } finally {
    await duck.close();
  }
  const exportSeconds = (performance.now() - t0) / 1000;
  log(`  exported ${tables.length} tables to Parquet in ${exportSeconds.toFixed(1)} s (${(parquetBytes / 2 ** 20).toFixed(0)} MiB)`);

  const server = await startClickHouseAt(dataDir);
  const steps: ClickHouseLoadReport['steps'] = [];
  const counts: Record<string, number> = {};
  const checks: ClickHouseLoadReport['checks'] = [];
  const t1 = performance.now();
  try {
    // The real schema, as the app creates it.
    const warehouse = await openClickHouseWarehouse({
      client: await createClickHouseClient(server.url, CLICKHOUSE_DATABASE),
      database: CLICKHOUSE_DATABASE,
      logger,
    });
    await warehouse.close();
    const raw = createClient({
      url: server.url,
      database: CLICKHOUSE_DATABASE,
      request_timeout: 3_600_000,
      clickhouse_settings: { session_timezone: 'UTC', max_insert_threads: '2' },
    });
    try {
      const one = async (sql: string) => {
        const rs = await raw.query({ query: sql, format: 'JSONEachRow' });
        const [row] = await rs.json<{ n: string | number }>();
        return Number(row?.n ?? Number.NaN);
      };
      for (const table of tables) {
        const cols = (columns[table] ?? []).map((c) => `\`${c}\``).join(', ');
        const ts = performance.now();
        await raw.command({
          query: `INSERT INTO ${table} (${cols}) SELECT ${cols} FROM file('${join(parquetDir, `${table}.parquet`)}', Parquet)`,
        });
        const seconds = (performance.now() - ts) / 1000;
        counts[table] = await one(`SELECT count() AS n FROM ${table}`);
        steps.push({ name: table, rows: counts[table] ?? 0, seconds });
        log(`  ${table}: ${(counts[table] ?? 0).toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s`);
        checks.push({
          name: `${table} rows = DuckDB`,
          ok: counts[table] === duckCounts[table],
          detail: `${counts[table]} / ${duckCounts[table]}`,
        });
      }
      checks.push(...(await checkRollups(one)));
      // Facts carry no duplicate keys (keyed tables are ReplacingMergeTree: FINAL would fold them).
      const dupes = await one('SELECT count() - uniqExact(reference_number) AS n FROM payments');
      checks.push({ name: 'payments: one row per reference_number', ok: dupes === 0, detail: `${dupes} duplicates` });
    } finally {
      await raw.close();
    }
  } finally {
    await server.stop();
    rmSync(parquetDir, { recursive: true, force: true });
  }
  const insertSeconds = (performance.now() - t1) / 1000;
  for (const c of checks) log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name} (${c.detail})`);
  return { exportSeconds, insertSeconds, steps, counts, checks, parquetBytes };
}

/**
 * In ClickHouse: every rollup grain equals its facts per UTC day (count and amount), no day missing
 * on either side. A query returning the number of differing days; 0 = equal.
 */
async function checkRollups(one: (sql: string) => Promise<number>): Promise<{ name: string; ok: boolean; detail: string }[]> {
  const facts = {
    payments: { time: 'payment_time', count: 'payments' },
    refunds: { time: 'refunded_at', count: 'refunds' },
    disputes: { time: 'coalesce(opened_at, status_time)', count: 'disputes' },
  } as const;
  const out: { name: string; ok: boolean; detail: string }[] = [];
  for (const [name, f] of Object.entries(facts)) {
    for (const grain of GRAINS) {
      const table = rollupTable(name as Parameters<typeof rollupTable>[0], grain);
      const differing = await one(
        `SELECT count() AS n FROM (
           SELECT toDate(${f.time}) AS d, toInt64(count()) AS c, toInt64(sum(amount_minor)) AS a FROM ${name} GROUP BY d
         ) AS f FULL OUTER JOIN (
           SELECT toDate(bucket) AS d, toInt64(sum(${f.count})) AS c, toInt64(sum(amount_minor)) AS a FROM ${table} GROUP BY d
         ) AS r ON f.d = r.d
         WHERE f.c != r.c OR f.a != r.a`,
      );
      const total = await one(`SELECT toInt64(sum(${f.count})) AS n FROM ${table}`);
      out.push({
        name: `${table} = ${name} per day (count, amount)`,
        ok: differing === 0,
        detail: `${differing} differing days; ${total} ${f.count} in the rollup`,
      });
    }
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
