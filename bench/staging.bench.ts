/**
 * Staging processor throughput: how fast a backlog in `payment_staging` becomes payments.
 *
 * Opens a fresh store the way the app does (openStore: lock, migrations; then the partitions the
 * app creates at start), fills payment_staging with N rows by `INSERT … SELECT generate_series`
 * (10 % of them repeat an earlier reference; INR amounts with 2 decimals), then times
 * `createStagingProcessor(…).drain()` in this process — one or two processors sharing the backlog
 * through FOR UPDATE SKIP LOCKED, over one recorder with the memory dedup cache as the app wires
 * it. Reports staged rows per second of wall time, a per-statement time breakdown, and checks
 * that payments = distinct references, outbox = payments, and every staging row was processed.
 *
 *   npx tsx bench/staging.bench.ts [--store pglite|postgres|both] [--rows 1000000] [--workers 1|2] [--batch 1000]
 *
 * Figures are printed and written to BENCHMARKS.md (section `staging:<store>:w<workers>`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openStore } from '../src/app.js';
import { loadConfig } from '../src/core/config.js';
import { createLogger } from '../src/core/logger.js';
import { createMetrics } from '../src/core/metrics.js';
import { type DedupCache, createLayeredDedupCache, createMemoryDedupCache } from '../src/recorder/dedup-cache.js';
import { createRecorder } from '../src/recorder/recorder.js';
import { createStagingProcessor } from '../src/sources/staging/staging-processor.js';
import { createPartitionManager } from '../src/store/partition-manager.js';
import type { OperationalStore } from '../src/store/store-port.js';
import { type CpuUsage, cpuUsageBetween, describeCpu, snapshotCpu, waitForQuietMachine } from './support/cpu-usage.js';
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
import { storeLabel } from './support/stores.js';
import { type TimingReport, createTimedStore } from './support/timed-store.js';
import { type BenchPostgres, startBenchPostgres } from './support/throwaway-postgres.js';

type StoreKind = 'pglite' | 'postgres';

const USAGE = `usage: npx tsx bench/staging.bench.ts [options]
  --store pglite|postgres|both   store(s) to measure (default both)
  --rows N                       staging rows to fill and drain (default 1000000)
  --workers 1|2                  staging processors sharing the backlog (default 1)
  --batch N                      rows per batch (STAGING_BATCH_SIZE, default 1000)
  --cache memory|none            the recorder's dedup cache: the app's memory LRU, or none as \`payscope staging run\` (default memory)
  --max-wait N                   seconds to wait for other work on the machine to finish first (default 600)
  --no-write                     print only; leave BENCHMARKS.md alone
PostgreSQL: a throwaway cluster is started unless BENCH_DATABASE_URL points at a server of your own.`;

const TARGET_ROWS_PER_SECOND: Record<StoreKind, number | null> = { postgres: 100_000, pglite: null };
const FILL_CHUNK = 100_000;

interface Options {
  stores: StoreKind[];
  rows: number;
  workers: number;
  batch: number;
  cache: 'memory' | 'none';
  maxWait: number;
  write: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      store: { type: 'string', default: 'both' },
      rows: { type: 'string', default: '1000000' },
      workers: { type: 'string', default: '1' },
      batch: { type: 'string', default: '1000' },
      cache: { type: 'string', default: 'memory' },
      'max-wait': { type: 'string', default: '600' },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const whole = (name: string, text: string, min: number, max: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} ${text}: expected a whole number from ${min} to ${max}`);
    return n;
  };
  const store = values.store;
  if (store !== 'pglite' && store !== 'postgres' && store !== 'both') fail(`--store ${store}: expected pglite, postgres or both`);
  if (values.cache !== 'memory' && values.cache !== 'none') fail(`--cache ${values.cache}: expected memory or none`);
  return {
    stores: store === 'both' ? ['postgres', 'pglite'] : [store],
    rows: whole('rows', values.rows, 10, 100_000_000),
    workers: whole('workers', values.workers, 1, 2),
    batch: whole('batch', values.batch, 1, 100_000),
    cache: values.cache,
    maxWait: whole('max-wait', values['max-wait'], 0, 86_400),
    write: !values['no-write'],
  };
}

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(64);
}

/**
 * Rows `from`..`to` of the backlog. Row g is reference STG-g, except every tenth row, which
 * repeats the reference of a pseudo-random earlier row ending in 5 (never itself a repeat), so
 * duplicates hit both inside a batch and across batches. Payment dates fall in the last 24 h.
 */
const FILL_SQL = `
  INSERT INTO payment_staging (reference_number, loan_account_number, cif, amount, currency, payment_date, payment_channel, metadata)
  SELECT 'STG-' || CASE WHEN g % 10 = 0 THEN 5 + 10 * (abs(hashint8(g / 10)::bigint) % (g / 10)) ELSE g END,
         'LN' || lpad((g % 1000000)::text, 8, '0'),
         'CIF' || lpad((g % 500000)::text, 7, '0'),
         round((100 + (g % 99991) * 1.37)::numeric, 2),
         'INR',
         (now() AT TIME ZONE 'UTC') - make_interval(secs => (g % 86400)::double precision),
         (ARRAY['UPI', 'NEFT', 'IMPS', 'CARD'])[1 + (g % 4)::int],
         '{"branch": "MUM-01"}'::jsonb
  FROM generate_series($1::bigint, $2::bigint) AS g`;

async function fillStaging(store: OperationalStore, rows: number): Promise<number> {
  const started = performance.now();
  for (let from = 1; from <= rows; from += FILL_CHUNK) {
    await store.query(FILL_SQL, [from, Math.min(rows, from + FILL_CHUNK - 1)]);
  }
  // What autovacuum would do soon after an ETL load; gives the planner the backlog's real size.
  await store.query('ANALYZE payment_staging');
  return (performance.now() - started) / 1000;
}

interface Verification {
  correct: boolean;
  lines: string[];
}

async function verify(store: OperationalStore, rows: number, totals: DrainTotals): Promise<Verification> {
  const one = async (sql: string) => Number((await store.query<{ n: number }>(sql)).rows[0]?.n);
  const staged = await one('SELECT count(*)::bigint AS n FROM payment_staging');
  const distinct = await one('SELECT count(DISTINCT reference_number)::bigint AS n FROM payment_staging');
  const unprocessed = await one('SELECT count(*)::bigint AS n FROM payment_staging WHERE processed IS NOT TRUE');
  const errored = await one('SELECT count(*)::bigint AS n FROM payment_staging WHERE error_code IS NOT NULL');
  const payments = await one('SELECT count(*)::bigint AS n FROM payment_service.payments');
  const outbox = await one('SELECT count(*)::bigint AS n FROM payment_service.outbox');
  const references = await one('SELECT count(*)::bigint AS n FROM payment_service.payment_references');
  const logged = await one(
    `SELECT coalesce(sum(total_records), 0)::bigint AS n FROM payment_service.staging_process_log WHERE status = 'completed'`,
  );
  const checks: Array<[boolean, string]> = [
    [staged === rows, `staged ${formatNumber(staged)} = ${formatNumber(rows)} rows`],
    [payments === distinct, `payments ${formatNumber(payments)} = distinct references ${formatNumber(distinct)}`],
    [outbox === payments, `outbox ${formatNumber(outbox)} = payments`],
    [references === payments, `payment_references ${formatNumber(references)} = payments`],
    [unprocessed === 0, `unprocessed staging rows ${unprocessed}`],
    [errored === 0, `rows with an error ${errored}`],
    [logged === rows, `staging_process_log completed total_records ${formatNumber(logged)} = rows`],
    [
      totals.processed === payments && totals.duplicates === rows - distinct,
      `processor totals: ${formatNumber(totals.processed)} recorded, ${formatNumber(totals.duplicates)} duplicates`,
    ],
  ];
  return { correct: checks.every(([ok]) => ok), lines: checks.map(([ok, text]) => `${ok ? '' : '✗ '}${text}`) };
}

interface DrainTotals {
  batches: number;
  processed: number;
  duplicates: number;
  errors: number;
}

interface StagingResult {
  store: StoreKind;
  storeDescription: string;
  rows: number;
  fillSeconds: number;
  drainSeconds: number;
  rowsPerSecond: number;
  totals: DrainTotals;
  verification: Verification;
  timing: TimingReport;
  cpu: CpuUsage;
  machineBefore: string;
}

async function measureStore(store: StoreKind, options: Options, postgres: BenchPostgres | null): Promise<StagingResult> {
  const dataDir = await mkdtemp(join(tmpdir(), `payscope-bench-staging-${store}-`));
  const databaseUrl = store === 'postgres' ? await (postgres as BenchPostgres).createDatabase('staging') : null;
  const config = loadConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    STAGING_BATCH_SIZE: String(options.batch),
    STAGING_WORKERS: String(options.workers),
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  const env = config.env;
  const logger = createLogger('warn', process.stderr);
  const opened = await openStore(config, logger);
  try {
    await createPartitionManager({ store: opened, logger }).ensurePartitions({ monthsAhead: env.PARTITION_MONTHS_AHEAD });
    process.stdout.write(`  ${store}: filling payment_staging with ${formatNumber(options.rows)} rows…\n`);
    const fillSeconds = await fillStaging(opened, options.rows);
    process.stdout.write(`  ${store}: filled in ${formatNumber(fillSeconds, 1)} s\n`);

    const metrics = createMetrics();
    // As the app wires it (src/app.ts): a layered cache of the memory LRU, or none.
    const ttlMs = Math.min(env.REDIS_TTL_SECONDS * 1000, env.REFERENCE_CACHE_TTL_DAYS * 86_400_000);
    const cache: DedupCache | null =
      options.cache === 'memory'
        ? createLayeredDedupCache([createMemoryDedupCache({ maxSize: env.MEMORY_CACHE_MAX_SIZE, ttlMs, metrics })])
        : null;
    const timed = createTimedStore(opened);
    const recorder = createRecorder({ store: timed.store, cache, metrics, logger, maxBatch: env.GROUP_COMMIT_MAX_BATCH });
    const processors = Array.from({ length: options.workers }, (_, i) =>
      createStagingProcessor({
        store: timed.store,
        recorder,
        metrics,
        logger,
        batchSize: env.STAGING_BATCH_SIZE,
        intervalSeconds: env.STAGING_INTERVAL_SECONDS,
        maxRetries: env.STAGING_MAX_RETRIES,
        defaultCurrency: env.DEFAULT_CURRENCY,
        workerId: `bench-${i + 1}`,
      }),
    );

    const busy = await waitForQuietMachine({ maxBusyPercent: 15, maxWaitSeconds: options.maxWait, log: (l) => console.log(l) });
    const machineBefore = `${busy} % busy in the 2 s before the run, load average ${currentLoad()}`;
    process.stdout.write(`  ${store}: draining with ${options.workers} worker(s), batches of ${options.batch}…\n`);
    const groups = {
      'bench process (processor + recorder)': () => [process.pid],
      ...(store === 'postgres' ? { postgres: () => (postgres as BenchPostgres).pids() } : {}),
    };
    const before = snapshotCpu(groups);
    const started = performance.now();
    const drained = await Promise.all(processors.map((p) => p.drain()));
    const drainSeconds = (performance.now() - started) / 1000;
    const cpu = cpuUsageBetween(before, snapshotCpu(groups));
    await recorder.close();

    const totals = drained.reduce(
      (sum, t) => ({
        batches: sum.batches + t.batches,
        processed: sum.processed + t.processed,
        duplicates: sum.duplicates + t.duplicates,
        errors: sum.errors + t.errors,
      }),
      { batches: 0, processed: 0, duplicates: 0, errors: 0 },
    );
    return {
      store,
      storeDescription: storeLabel(store, postgres),
      rows: options.rows,
      fillSeconds,
      drainSeconds,
      rowsPerSecond: options.rows / drainSeconds,
      totals,
      verification: await verify(opened, options.rows, totals),
      timing: timed.report(),
      cpu,
      machineBefore,
    };
  } finally {
    await opened.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function verdict(r: StagingResult): string {
  const target = TARGET_ROWS_PER_SECOND[r.store];
  if (target === null) return 'no target set';
  if (r.rowsPerSecond >= target) return `met (≥ ${formatNumber(target)} rows/s)`;
  return `MISSED (≥ ${formatNumber(target)} rows/s): ${formatNumber((1 - r.rowsPerSecond / target) * 100)} % short, ${formatNumber(target / r.rowsPerSecond, 1)}× needed`;
}

const HEADERS = ['store', 'workers', 'batch', 'rows', 'drain s', 'rows/s', 'recorded', 'duplicates', 'errors', 'correctness', 'target'];

function resultRow(r: StagingResult, options: Options): string[] {
  return [
    r.store === 'postgres' ? 'PostgreSQL' : 'PGlite',
    String(options.workers),
    formatNumber(options.batch),
    formatNumber(r.rows),
    formatNumber(r.drainSeconds, 1),
    formatNumber(r.rowsPerSecond),
    formatNumber(r.totals.processed),
    formatNumber(r.totals.duplicates),
    formatNumber(r.totals.errors),
    r.verification.correct ? 'pass' : 'FAIL',
    verdict(r).startsWith('met') ? 'met' : verdict(r).startsWith('no') ? '—' : 'missed',
  ];
}

function breakdownTable(t: TimingReport): string {
  const rows = t.statements.map((s) => [
    s.statement,
    formatNumber(s.calls),
    formatNumber(s.totalMs / s.calls, 2),
    `${formatNumber((s.totalMs / t.transactionMs) * 100, 1)} %`,
  ]);
  const inStatements = t.statements.reduce((sum, s) => sum + s.totalMs, 0);
  rows.push([
    'outside statements: BEGIN/COMMIT, pool wait, JS (validation, JSON building)',
    formatNumber(t.transactions),
    formatNumber((t.transactionMs - inStatements) / Math.max(1, t.transactions), 2),
    `${formatNumber(((t.transactionMs - inStatements) / t.transactionMs) * 100, 1)} %`,
  ]);
  return markdownTable(['statement (per batch transaction)', 'calls', 'mean ms', 'share of transaction time'], rows);
}

function markdownSection(r: StagingResult, options: Options): string {
  return [
    `### Staging processor — ${r.store === 'postgres' ? 'PostgreSQL' : 'PGlite'}, ${options.workers} worker${options.workers > 1 ? 's' : ''}`,
    '',
    markdownTable(HEADERS, [resultRow(r, options)]),
    '',
    `- date: ${new Date().toISOString()}; code: ${codeVersion()}`,
    `- machine: ${describeMachine(machineInfo())}; ${r.machineBefore}`,
    `- command: \`${commandLine()}\``,
    `- store: ${r.storeDescription}`,
    `- backlog: ${formatNumber(r.rows)} rows, 10 % repeating an earlier reference, filled by INSERT … SELECT generate_series in ` +
      `${formatNumber(r.fillSeconds, 1)} s (${formatNumber(r.rows / r.fillSeconds)} rows/s) then ANALYZE; ` +
      `drained in-process by ${options.workers} processor(s) over one recorder, dedup cache: ${options.cache}; ${formatNumber(r.totals.batches)} batches`,
    `- correctness: ${r.verification.correct ? 'pass' : 'FAIL'} — ${r.verification.lines.join('; ')}`,
    `- target: ${verdict(r)}`,
    `- CPU during the drain: ${describeCpu(r.cpu)}`,
    '',
    breakdownTable(r.timing),
  ].join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  console.log(`machine: ${describeMachine(machineInfo())}`);
  const postgres = options.stores.includes('postgres') ? await startBenchPostgres() : null;
  const results: StagingResult[] = [];
  try {
    for (const store of options.stores) {
      const r = await measureStore(store, options, postgres);
      results.push(r);
      const section = markdownSection(r, options);
      console.log(`\n${section}\n`);
      if (options.write) writeBenchmarkSection(`staging:${store}:w${options.workers}`, section);
    }
  } finally {
    await postgres?.stop();
  }
  console.log(
    markdownTable(
      HEADERS,
      results.map((r) => resultRow(r, options)),
    ),
  );
  if (options.write) console.log('\nwritten to BENCHMARKS.md');
  if (results.some((r) => !r.verification.correct)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
