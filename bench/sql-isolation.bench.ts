/**
 * Does a slow read-only SQL call hurt the rest of the API? Measures `GET /api/v1/analytics/kpis`
 * latency (median, p95, max) with no SQL running, then while `--sql-callers` clients keep sending a
 * call DuckDB cannot interrupt (`levenshtein` of two 60,000-character strings, ~30 s of one core:
 * issue 9 item 2), and how long each SQL call took to be answered (SQL_TIMEOUT_MS + at most 1 s is
 * the promise) and with what status (504 SQL_TIMEOUT, or 503 SQL_BUSY while the
 * SQL_MAX_CONCURRENT slots are held by calls DuckDB has not finished).
 *
 * Starts the compiled server (`node dist/cli/main.js start`) as a child process on a free port with
 * PGlite in a temp DATA_DIR, sends `--payments` signed webhooks so the KPIs read real rows, and
 * reads the admin key the server writes to DATA_DIR/admin-api-key. One kpis request at a time,
 * back to back with `--gap-ms` between them, from the bench process.
 *
 *   npx tsx bench/sql-isolation.bench.ts [--seconds 20] [--max-concurrent 1,3] [--sql-timeout-ms 3000]
 *
 * Figures are printed and written to BENCHMARKS.md (section `sql:isolation`).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { freePort } from '../test/harness/throwaway-servers.js';
import { seedBody, sendWebhook } from '../test/harness/webhook-client.js';
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
import { assertBuilt, buildServer, startServer } from './support/server-process.js';

const USAGE = `usage: npx tsx bench/sql-isolation.bench.ts [options]
  --seconds N           measured seconds per phase (default 20)
  --max-concurrent LIST SQL_MAX_CONCURRENT values to measure, comma-separated (default 1,3)
  --sql-timeout-ms N    SQL_TIMEOUT_MS of the server (default 3000, as in issue 9)
  --sql-callers N       clients sending the long SQL call in a loop (default 3)
  --payments N          signed webhooks sent before measuring (default 2000)
  --gap-ms N            pause between two kpis requests (default 50)
  --no-build            use the existing dist/ instead of running npm run build
  --no-write            print only; leave BENCHMARKS.md alone`;

const LONG_SQL = "SELECT levenshtein(repeat('a', 60000), repeat('b', 60000)) AS d";

interface Options {
  seconds: number;
  maxConcurrent: number[];
  sqlTimeoutMs: number;
  sqlCallers: number;
  payments: number;
  gapMs: number;
  build: boolean;
  write: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '20' },
      'max-concurrent': { type: 'string', default: '1,3' },
      'sql-timeout-ms': { type: 'string', default: '3000' },
      'sql-callers': { type: 'string', default: '3' },
      payments: { type: 'string', default: '2000' },
      'gap-ms': { type: 'string', default: '50' },
      'no-build': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const positive = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${v}\n${USAGE}`);
    return n;
  };
  return {
    seconds: positive('seconds', values.seconds),
    maxConcurrent: values['max-concurrent'].split(',').map((v) => positive('max-concurrent', v.trim())),
    sqlTimeoutMs: positive('sql-timeout-ms', values['sql-timeout-ms']),
    sqlCallers: positive('sql-callers', values['sql-callers']),
    payments: positive('payments', values.payments),
    gapMs: positive('gap-ms', values['gap-ms']),
    build: !values['no-build'],
    write: !values['no-write'],
  };
}

interface Latencies {
  count: number;
  errors: number;
  median: number;
  p95: number;
  max: number;
}

function summarise(samples: number[], errors: number): Latencies {
  const sorted = [...samples].sort((a, b) => a - b);
  return { count: sorted.length, errors, median: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) ?? Number.NaN };
}

/** kpis requests one after another until `until`; latencies in ms of the 200 answers. */
async function measureKpis(url: string, key: string, until: number, gapMs: number): Promise<Latencies> {
  const samples: number[] = [];
  let errors = 0;
  while (Date.now() < until) {
    const started = performance.now();
    const res = await fetch(`${url}/api/v1/analytics/kpis`, { headers: { authorization: `Bearer ${key}` } });
    await res.arrayBuffer();
    if (res.status === 200) samples.push(performance.now() - started);
    else errors++;
    await sleep(gapMs);
  }
  return summarise(samples, errors);
}

interface SqlCalls {
  statuses: Map<number, number>;
  answeredMs: number[];
}

/** `callers` loops sending the long call until `until`; a busy answer waits its retry-after (at most 1 s) first. */
async function longSqlCalls(url: string, key: string, callers: number, until: number): Promise<SqlCalls> {
  const calls: SqlCalls = { statuses: new Map(), answeredMs: [] };
  const loop = async () => {
    while (Date.now() < until) {
      const started = performance.now();
      const res = await fetch(`${url}/api/v1/sql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sql: LONG_SQL }),
      });
      await res.arrayBuffer();
      calls.answeredMs.push(performance.now() - started);
      calls.statuses.set(res.status, (calls.statuses.get(res.status) ?? 0) + 1);
      if (res.status === 503) await sleep(Math.min(1000, Number(res.headers.get('retry-after') ?? 1) * 1000));
    }
  };
  await Promise.all(Array.from({ length: callers }, loop));
  return calls;
}

interface VariantResult {
  maxConcurrent: number;
  idle: Latencies;
  underSql: Latencies;
  sql: SqlCalls;
  load: string;
}

async function measureVariant(options: Options, maxConcurrent: number): Promise<VariantResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'payscope-bench-sql-'));
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const port = await freePort();
  const server = await startServer({
    port,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      WEBHOOK_SOURCES: JSON.stringify({ default: { secret } }),
      SQL_TIMEOUT_MS: String(options.sqlTimeoutMs),
      SQL_MAX_CONCURRENT: String(maxConcurrent),
    },
  });
  try {
    const key = (await readFile(join(dataDir, 'admin-api-key'), 'utf8')).trim();
    for (let i = 0; i < options.payments; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, options.payments - i) }, (_, j) =>
          sendWebhook(server.url, seedBody(`SQLB-${i + j}`, { amount: `${100 + ((i + j) % 900)}.00` }), { secret }),
        ),
      );
    }
    await sleep(3000); // let the analytics consumer apply them
    const load = currentLoad();
    const idle = await measureKpis(server.url, key, Date.now() + options.seconds * 1000, options.gapMs);
    const until = Date.now() + options.seconds * 1000;
    const [underSql, sql] = await Promise.all([
      measureKpis(server.url, key, until, options.gapMs),
      longSqlCalls(server.url, key, options.sqlCallers, until),
    ]);
    return { maxConcurrent, idle, underSql, sql, load };
  } finally {
    // A levenshtein call may still be running in DuckDB: SIGKILL after 5 s rather than wait 30 s.
    await server.stop(5000);
    await rm(dataDir, { recursive: true, force: true });
  }
}

const ms = (n: number) => formatNumber(n, 1);

function rows(results: readonly VariantResult[]): string[][] {
  return results.flatMap((r) => [
    [String(r.maxConcurrent), 'no SQL', String(r.idle.count), ms(r.idle.median), ms(r.idle.p95), ms(r.idle.max), String(r.idle.errors)],
    [
      String(r.maxConcurrent),
      'while the long SQL calls run',
      String(r.underSql.count),
      ms(r.underSql.median),
      ms(r.underSql.p95),
      ms(r.underSql.max),
      String(r.underSql.errors),
    ],
  ]);
}

function sqlLine(r: VariantResult, options: Options): string {
  const statuses = [...r.sql.statuses.entries()].map(([s, n]) => `${s}: ${n}`).join(', ');
  const slowest = Math.max(...r.sql.answeredMs);
  const bound = options.sqlTimeoutMs + 1000;
  return `SQL_MAX_CONCURRENT=${r.maxConcurrent}: ${r.sql.answeredMs.length} SQL answers (${statuses}); slowest answer ${ms(slowest)} ms (bound SQL_TIMEOUT_MS + 1 s = ${bound} ms: ${slowest <= bound ? 'kept' : 'MISSED'}); load average at start ${r.load}`;
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (options.build) await buildServer();
  else assertBuilt();
  const results: VariantResult[] = [];
  for (const n of options.maxConcurrent) {
    console.error(`measuring SQL_MAX_CONCURRENT=${n} …`);
    results.push(await measureVariant(options, n));
  }
  const table = markdownTable(
    ['SQL_MAX_CONCURRENT', 'kpis measured', 'requests', 'median ms', 'p95 ms', 'max ms', 'non-200'],
    rows(results),
  );
  const body = [
    '### /kpis latency while slow SQL runs',
    '',
    table,
    '',
    ...results.map((r) => `- ${sqlLine(r, options)}`),
    `- long call: \`${LONG_SQL}\` from ${options.sqlCallers} clients in a loop; kpis one request at a time, ${options.gapMs} ms apart, ${options.seconds} s per phase, ${options.payments} payments in the warehouse`,
    `- date: ${new Date().toISOString()}; code: ${codeVersion()}`,
    `- machine: ${describeMachine(machineInfo())}`,
    `- command: \`${commandLine()}\``,
    `- server: PGlite in a temp DATA_DIR, SQL_TIMEOUT_MS=${options.sqlTimeoutMs}, LOG_LEVEL=warn, other settings default; server and load generator in separate processes on the same machine`,
  ].join('\n');
  console.log(body);
  if (options.write) writeBenchmarkSection('sql:isolation', body);
}

main().catch((error) => {
  console.error((error as Error).message);
  process.exit(1);
});
