/**
 * Analytics consumer throughput into DuckDB: how many log records per second
 * `createAnalyticsConsumer(…).process()` lands in a warehouse FILE (decode + contract validation →
 * pseudonymise → facts → one DuckDB transaction per batch: duplicate probe, merge by version,
 * appends, rollups).
 *
 * Pre-builds N log records with a realistic mix (bench/support/event-mix.ts: ~40 %
 * payment.recorded exactly as the recorder writes it, ~25 % succeeded/failed updates of earlier
 * references, ~5 % refunds, ~30 % behavioural events), event times 1 ms apart, then times
 * `process()` over consecutive batches of B records into a fresh `warehouse.duckdb` in a temp dir
 * (with the merchant dimension loaded). Each measurement runs in its own child process: DuckDB keeps
 * one instance per file per process and never frees it, and a fresh process is what a restarted
 * consumer is. A 10,000-event warm-up into an in-memory warehouse precedes the timed run (JIT).
 *
 * Reports events/s (median of --runs), throughput over the first and the last --window events (the
 * warehouse grows), the split of batch time (prepare = decode+pseudonymise+facts; each DuckDB call;
 * merge JavaScript; BEGIN/COMMIT), a separate per-stage pass over the same records (JSON.parse,
 * contract validation, pseudonymise, facts), and checks the warehouse against what was generated.
 *
 *   npx tsx bench/consumer.bench.ts [--events 500000] [--batch 1000,5000,10000] [--runs 3]
 *
 * Figures are printed and written to BENCHMARKS.md (section `pipeline:consumer`).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { validateEvent } from '../src/contracts/index.js';
import { createLogger } from '../src/core/logger.js';
import type { LogRecord } from '../src/log/event-log-port.js';
import { createAnalyticsConsumer } from '../src/pipeline/analytics-consumer.js';
import { factsOf } from '../src/pipeline/facts/index.js';
import { createMerchantDirectory } from '../src/pipeline/merchant-dimension.js';
import { createPseudonymiseStep } from '../src/pipeline/pseudonymise-step.js';
import type { SqlExecutor } from '../src/store/store-port.js';
import { openClickHouseWarehouse } from '../src/warehouse/clickhouse/clickhouse-adapter.js';
import { createClickHouseClient } from '../src/warehouse/clickhouse/clickhouse-client.js';
import { openDuckDbWarehouse } from '../src/warehouse/duckdb/duckdb-adapter.js';
import type { Warehouse } from '../src/warehouse/warehouse-port.js';
import { type ClickHouseServer, startClickHouseServer } from '../test/harness/clickhouse-server.js';
import { logRecord, recordedEvent } from '../test/harness/events.js';
import { summariseProfile } from './support/cpuprofile-summary.js';
import { cpuUsageBetween, snapshotCpu, waitForQuietMachine } from './support/cpu-usage.js';
import { createEventMix, type MixExpectation } from './support/event-mix.js';
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
import { createTimedWarehouse } from './support/timed-warehouse.js';

const USAGE = `usage: npx tsx bench/consumer.bench.ts [options]
  --events N          log records per run (default 500000)
  --batch LIST        comma-separated batch sizes (records per process() call; default 1000,5000,10000)
  --runs N            runs per batch size; medians are reported (default 3)
  --window N          events compared at the start and the end of a run (default 100000)
  --seed N            seed of the event mix (default 42)
  --max-wait N        seconds to wait for other work on the machine to finish before each run (default 300)
  --warehouse file|memory   a DuckDB file in a temp dir (default), or :memory: (experiment: what storage costs)
  --engine duckdb|clickhouse|clickhouse-http  the warehouse engine (default duckdb); clickhouse = chDB in the bench process,
                      clickhouse-http = a ClickHouse HTTP server (chDB's library run by scripts/clickhouse-http.c) on
                      loopback; a fresh data dir per run
  --set NAME=VALUE    a DuckDB setting for the run (SET GLOBAL; repeatable), e.g. checkpoint_threshold=1GB (experiments)
  --max-others N      a run during which other processes used more than N % of a core is repeated (default 30)
  --retries N         how many times such a run is repeated before it is kept, flagged (default 3)
  --cpu-prof          run each measurement under node --cpu-prof and summarise where the time went
  --no-write          print only; leave BENCHMARKS.md alone`;

const ENGINE_TITLES: Record<Engine, string> = {
  duckdb: 'DuckDB',
  clickhouse: 'ClickHouse in-process (chDB)',
  'clickhouse-http': 'ClickHouse over HTTP',
};
const TARGET_EVENTS_PER_SECOND = 50_000;
const PII_KEY = 'bench-pii-key-0123456789abcdef';
const EVENT_TIME_ORIGIN = Date.UTC(2026, 10, 21, 4, 0, 0);
const WARM_UP_EVENTS = 10_000;
const SELF = fileURLToPath(import.meta.url);

interface Options {
  events: number;
  batches: number[];
  runs: number;
  window: number;
  seed: number;
  maxWait: number;
  maxOthers: number;
  retries: number;
  cpuProf: boolean;
  write: boolean;
  warehouse: 'file' | 'memory';
  engine: Engine;
  settings: string[];
}

type Engine = 'duckdb' | 'clickhouse' | 'clickhouse-http';
const ENGINES: readonly Engine[] = ['duckdb', 'clickhouse', 'clickhouse-http'];

type ChildTask =
  | {
      kind: 'run';
      events: number;
      batch: number;
      seed: number;
      window: number;
      maxWait: number;
      warehouse: 'file' | 'memory';
      engine: Engine;
      settings: string[];
    }
  | { kind: 'stages'; events: number; seed: number };

function parseOptions(): Options | { child: ChildTask; resultFile: string } {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '500000' },
      batch: { type: 'string', default: '1000,5000,10000' },
      runs: { type: 'string', default: '3' },
      window: { type: 'string', default: '100000' },
      seed: { type: 'string', default: '42' },
      'max-wait': { type: 'string', default: '300' },
      'max-others': { type: 'string', default: '30' },
      retries: { type: 'string', default: '3' },
      'cpu-prof': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      warehouse: { type: 'string', default: 'file' },
      engine: { type: 'string', default: 'duckdb' },
      set: { type: 'string', multiple: true, default: [] },
      'child-task': { type: 'string' },
      'result-file': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values['child-task'] && values['result-file']) {
    return { child: JSON.parse(values['child-task']) as ChildTask, resultFile: values['result-file'] };
  }
  const whole = (name: string, text: string, min: number, max: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} ${text}: expected a whole number from ${min} to ${max}`);
    return n;
  };
  const events = whole('events', values.events, 1_000, 20_000_000);
  if (values.warehouse !== 'file' && values.warehouse !== 'memory') fail(`--warehouse ${values.warehouse}: expected file or memory`);
  if (!ENGINES.includes(values.engine as Engine)) fail(`--engine ${values.engine}: expected ${ENGINES.join(', ')}`);
  for (const setting of values.set) if (!/^[a-z_]+=[A-Za-z0-9_.]+$/.test(setting)) fail(`--set ${setting}: expected name=value`);
  return {
    events,
    batches: values.batch.split(',').map((b) => whole('batch', b.trim(), 1, 1_000_000)),
    runs: whole('runs', values.runs, 1, 20),
    window: Math.min(whole('window', values.window, 1_000, 20_000_000), Math.floor(events / 2)),
    seed: whole('seed', values.seed, 0, 2 ** 31),
    maxWait: whole('max-wait', values['max-wait'], 0, 86_400),
    maxOthers: whole('max-others', values['max-others'], 0, 10_000),
    retries: whole('retries', values.retries, 0, 20),
    cpuProf: values['cpu-prof'],
    write: !values['no-write'],
    warehouse: values.warehouse,
    engine: values.engine as Engine,
    settings: values.set,
  };
}

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(64);
}

// ── the records ───────────────────────────────────────────────────────────────────────────────────

interface Generated {
  records: LogRecord[];
  expected: MixExpectation;
  kinds: Record<string, number>;
}

/** N log records in log order, event i at origin + i ms (times strictly increase), recorded 20 ms later. */
function buildRecords(events: number, seed: number, prefix: string, originMs = EVENT_TIME_ORIGIN): Generated {
  const mix = createEventMix({ seed, referencePrefix: prefix });
  const records: LogRecord[] = new Array(events);
  const kinds: Record<string, number> = {};
  for (let i = 0; i < events; i++) {
    const at = new Date(originMs + i);
    const item = mix.next(at);
    const event = item.kind === 'payment' ? recordedEvent(item.payment.reference_number, item.payment, at) : item.event;
    kinds[event.type] = (kinds[event.type] ?? 0) + 1;
    records[i] = logRecord(event, new Date(at.getTime() + 20));
  }
  return { records, expected: mix.expected(), kinds };
}

/** Dead letters are not expected here: this executor counts the writes instead of storing them (the check fails on any). */
function countingDeadLetters(): { executor: SqlExecutor; writes: () => number } {
  let writes = 0;
  return {
    executor: {
      async query<R>() {
        writes++;
        return { rows: [] as R[], rowCount: 0 };
      },
    },
    writes: () => writes,
  };
}

const MERCHANTS = Array.from({ length: 60 }, (_, i) => {
  const id = `M-${String(i + 1).padStart(3, '0')}`;
  return { merchant_id: id, name: `Merchant ${i + 1}`, category: 'retail', settlement_cycle: 'T+1', region: 'west', country: 'IN' };
});

// ── child: one timed run ──────────────────────────────────────────────────────────────────────────

interface BatchSample {
  /** Events processed before this batch. */
  from: number;
  size: number;
  ms: number;
}

interface RunResult {
  kind: 'run';
  events: number;
  batch: number;
  buildSeconds: number;
  seconds: number;
  eventsPerSecond: number;
  samples: BatchSample[];
  timing: {
    batches: number;
    prepareMs: number;
    transactionMs: number;
    applyMs: number;
    calls: Array<[string, { calls: number; ms: number }]>;
  };
  processMs: number;
  /** serverPercent: the ClickHouse HTTP server's process (--engine clickhouse-http), else null. */
  cpu: { machinePercent: number; benchPercent: number; serverPercent: number | null; othersPercent: number };
  machineBefore: string;
  fileBytes: number;
  /** warehouse.close() after the run: its final CHECKPOINT (untimed in the throughput). */
  closeSeconds: number;
  /** Attempts this run took (runs disturbed by other processes are repeated). */
  attempts: number;
  checks: Array<[boolean, string]>;
  kinds: Record<string, number>;
  duckdbVersion: string;
}

async function childRun(task: Extract<ChildTask, { kind: 'run' }>): Promise<RunResult> {
  const logger = createLogger('warn', process.stderr);
  const buildStarted = performance.now();
  const generated = buildRecords(task.events, task.seed, 'BENCH');
  const buildSeconds = (performance.now() - buildStarted) / 1000;

  // Warm-up: the same code on other events into an in-memory warehouse, so the timed run does not
  // start with cold JIT (a running consumer has long been warm).
  const warm = buildRecords(WARM_UP_EVENTS, task.seed + 1, 'WARM', EVENT_TIME_ORIGIN - 86_400_000);
  const warmWarehouse = await openDuckDbWarehouse({ path: ':memory:', logger });
  const warmConsumer = createAnalyticsConsumer({
    log: unusedLog(),
    warehouse: warmWarehouse,
    deadLetters: countingDeadLetters().executor,
    pseudonymiser: createPseudonymiseStep({ key: PII_KEY }),
    merchants: createMerchantDirectory(warmWarehouse),
    logger,
    maxBatchSize: task.batch,
  });
  for (let i = 0; i < warm.records.length; i += task.batch) {
    await warmConsumer.process(warm.records.slice(i, i + task.batch), { measureFreshness: false });
  }
  await warmWarehouse.close();

  const dir = await mkdtemp(join(tmpdir(), 'payscope-bench-consumer-'));
  const path = join(dir, 'warehouse.duckdb');
  let server: ClickHouseServer | null = null;
  try {
    if (task.engine === 'clickhouse-http') {
      server = await startClickHouseServer();
      if (!server) throw new Error('--engine clickhouse-http: the ClickHouse HTTP server could not start (see the line above)');
    }
    const inner =
      task.engine === 'duckdb'
        ? await openDuckDbWarehouse({ path: task.warehouse === 'memory' ? ':memory:' : path, logger })
        : await openClickHouseWarehouse({
            client: await createClickHouseClient(server ? server.url : `chdb:${join(dir, 'chdb')}`, 'bench'),
            database: 'bench',
            logger,
          });
    for (const setting of task.settings) {
      const [name, value] = setting.split('=');
      await inner.query(`SET GLOBAL ${name} = '${value}'`);
    }
    const timed = createTimedWarehouse(inner);
    const merchants = createMerchantDirectory(inner);
    await merchants.load(MERCHANTS);
    const deadLetters = countingDeadLetters();
    const consumer = createAnalyticsConsumer({
      log: unusedLog(),
      warehouse: timed.warehouse,
      deadLetters: deadLetters.executor,
      pseudonymiser: createPseudonymiseStep({ key: PII_KEY }),
      merchants,
      logger,
      maxBatchSize: task.batch,
    });
    const duckdbVersion = (await inner.query<{ v: string }>('SELECT version() AS v'))[0]?.v ?? 'unknown';

    const busy = await waitForQuietMachine({ maxBusyPercent: 15, maxWaitSeconds: task.maxWait, log: (l) => console.log(l) });
    const machineBefore = `${busy} % busy in the 2 s before the run, load average ${currentLoad()}`;

    const samples: BatchSample[] = [];
    const totals = { applied: 0, duplicates: 0, deadLettered: 0 };
    timed.reset();
    const serverPid = server?.pid;
    const groups = { bench: () => [process.pid], ...(serverPid ? { clickhouse: () => [serverPid] } : {}) };
    const cpuBefore = snapshotCpu(groups);
    const started = performance.now();
    for (let from = 0; from < generated.records.length; from += task.batch) {
      const slice = generated.records.slice(from, from + task.batch);
      const t0 = performance.now();
      timed.batchStarted();
      const outcome = await consumer.process(slice, { measureFreshness: false });
      samples.push({ from, size: slice.length, ms: performance.now() - t0 });
      totals.applied += outcome.applied;
      totals.duplicates += outcome.duplicates;
      totals.deadLettered += outcome.deadLettered.length;
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuUsageBetween(cpuBefore, snapshotCpu(groups));
    const timing = timed.timing();

    const checks = await verify(inner, generated, totals, deadLetters.writes());
    const closeStarted = performance.now();
    await inner.close(); // CHECKPOINT: what a deferred checkpoint still costs
    const closeSeconds = (performance.now() - closeStarted) / 1000;
    const fileBytes = task.warehouse === 'memory' || task.engine !== 'duckdb' ? 0 : (await stat(path)).size;
    return {
      kind: 'run',
      events: task.events,
      batch: task.batch,
      buildSeconds,
      seconds,
      eventsPerSecond: task.events / seconds,
      samples,
      timing: { ...timing, calls: [...timing.calls] },
      processMs: samples.reduce((s, b) => s + b.ms, 0),
      cpu: {
        machinePercent: cpu.machinePercent,
        benchPercent: cpu.groups.bench ?? 0,
        serverPercent: cpu.groups.clickhouse ?? null,
        othersPercent: cpu.othersPercent,
      },
      machineBefore,
      fileBytes,
      closeSeconds,
      attempts: 1,
      checks,
      kinds: generated.kinds,
      duckdbVersion,
    };
  } finally {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The consumer only needs a log for start(); process() is called directly here. */
function unusedLog() {
  return {
    kind: 'embedded' as const,
    connect: async () => {},
    publish: async () => {},
    consumer: () => {
      throw new Error('the consumer benchmark calls process() directly');
    },
    close: async () => {},
  };
}

async function verify(
  warehouse: Warehouse,
  generated: Generated,
  totals: { applied: number; duplicates: number; deadLettered: number },
  deadLetterWrites: number,
): Promise<Array<[boolean, string]>> {
  const e = generated.expected;
  const n = generated.records.length;
  const one = async (sql: string) => Number((await warehouse.query<{ n: number }>(sql))[0]?.n ?? Number.NaN);
  const applied = await one('SELECT count(*) AS n FROM applied_events');
  const appliedDistinct = await one('SELECT count(DISTINCT event_id) AS n FROM applied_events');
  const payments = await one('SELECT count(*) AS n FROM payments');
  const distinctRefs = await one('SELECT count(DISTINCT reference_number) AS n FROM payments');
  const inLedger = await one('SELECT count(*) AS n FROM payments WHERE in_ledger');
  const amount = await one('SELECT sum(amount_minor)::BIGINT AS n FROM payments');
  const history = await one('SELECT count(*) AS n FROM payment_status_history');
  const refunds = await one('SELECT count(*) AS n FROM refunds');
  const behaviour = await one('SELECT count(*) AS n FROM behaviour_events');
  const unenriched = await one('SELECT count(*) AS n FROM payments WHERE merchant_name IS NULL');
  const rawPii = await one(`SELECT count(*) AS n FROM payments WHERE customer_hash LIKE 'C-%' OR cif_hash LIKE 'CIF%'`);
  const statusRows = await warehouse.query<{ status: string; n: number }>('SELECT status, count(*) AS n FROM payments GROUP BY status');
  const byStatus = Object.fromEntries(statusRows.map((r) => [r.status, Number(r.n)]));
  const statusOk =
    Object.keys({ ...byStatus, ...e.byStatus }).every((s) => (byStatus[s] ?? 0) === (e.byStatus[s] ?? 0)) &&
    Object.keys(byStatus).length > 0;
  const rollupDay = (
    await warehouse.query<{ p: number; a: number }>(
      'SELECT sum(payments)::BIGINT AS p, sum(amount_minor)::BIGINT AS a FROM payments_by_day',
    )
  )[0];
  const rollupMinute = await one('SELECT sum(payments)::BIGINT AS n FROM payments_by_minute');
  const refundRollup = await one('SELECT sum(refunds)::BIGINT AS n FROM refunds_by_hour');
  const f = formatNumber;
  return [
    [applied === n && appliedDistinct === n, `applied_events ${f(applied)} (${f(appliedDistinct)} distinct) = N ${f(n)}`],
    [payments === e.payments && distinctRefs === payments, `payments ${f(payments)} = distinct references generated ${f(e.payments)}`],
    [inLedger === payments, `payments in the ledger (payment.recorded applied) ${f(inLedger)}`],
    [
      statusOk,
      `final status per payment as generated (${Object.entries(e.byStatus)
        .map(([s, c]) => `${s} ${f(c)}`)
        .join(', ')})`,
    ],
    [amount === e.amountMinor, `sum(amount_minor) ${f(amount)} = generated`],
    [history === e.payments + e.statusEvents, `payment_status_history ${f(history)} = payments + status events`],
    [refunds === e.refunds, `refunds ${f(refunds)} = generated ${f(e.refunds)}`],
    [behaviour === e.behaviour, `behaviour_events ${f(behaviour)} = generated ${f(e.behaviour)}`],
    [
      Number(rollupDay?.p) === payments && Number(rollupDay?.a) === e.amountMinor && rollupMinute === payments,
      `payments rollups (day, minute) count ${f(Number(rollupDay?.p))} / ${f(rollupMinute)}, amount = facts`,
    ],
    [refundRollup === e.refunds, `refunds_by_hour ${f(refundRollup)} = refunds`],
    [unenriched === 0, `payments without merchant name ${unenriched}`],
    [rawPii === 0, `raw customer ids / CIFs in payments ${rawPii}`],
    [
      totals.applied === n && totals.duplicates === 0 && totals.deadLettered === 0 && deadLetterWrites === 0,
      `consumer outcomes: applied ${f(totals.applied)}, duplicates ${totals.duplicates}, dead letters ${totals.deadLettered}`,
    ],
  ];
}

// ── child: per-stage pass ─────────────────────────────────────────────────────────────────────────

interface StageResult {
  kind: 'stages';
  events: number;
  /** Median over 3 passes, ms for all events. */
  parseMs: number;
  validateMs: number;
  pseudonymiseMs: number;
  factsMs: number;
}

async function childStages(task: Extract<ChildTask, { kind: 'stages' }>): Promise<StageResult> {
  const { records } = buildRecords(task.events, task.seed, 'BENCH');
  const passes: Array<{ parse: number; validate: number; pseudonymise: number; facts: number }> = [];
  for (let pass = 0; pass < 4; pass++) {
    let t = performance.now();
    const parsed = records.map((r) => JSON.parse(r.value) as unknown);
    const parse = performance.now() - t;
    t = performance.now();
    const valid = parsed.map((p) => {
      const r = validateEvent(p);
      if (!r.ok) throw new Error(`generated an invalid event: ${r.error.message}`);
      return r.value;
    });
    const validate = performance.now() - t;
    const pseudonymiser = createPseudonymiseStep({ key: PII_KEY });
    t = performance.now();
    const pseudonymised = valid.map((v) => pseudonymiser.pseudonymise(v));
    const pseudonymise = performance.now() - t;
    const now = new Date();
    t = performance.now();
    let facts = 0;
    for (const v of pseudonymised) facts += factsOf(v, now).length;
    const factsMs = performance.now() - t;
    if (facts < records.length) throw new Error('fewer facts than events');
    if (pass > 0) passes.push({ parse, validate, pseudonymise, facts: factsMs }); // pass 0 warms up
  }
  const med = (k: 'parse' | 'validate' | 'pseudonymise' | 'facts') => median(passes.map((p) => p[k]));
  return {
    kind: 'stages',
    events: records.length,
    parseMs: med('parse'),
    validateMs: med('validate'),
    pseudonymiseMs: med('pseudonymise'),
    factsMs: med('facts'),
  };
}

// ── parent ────────────────────────────────────────────────────────────────────────────────────────

async function runChild<T>(task: ChildTask, options: Options, label: string): Promise<{ result: T; profile: string | null }> {
  const dir = await mkdtemp(join(tmpdir(), 'payscope-bench-consumer-child-'));
  const resultFile = join(dir, 'result.json');
  const profDir = join(dir, 'prof');
  const args = [
    ...process.execArgv,
    '--max-old-space-size=6144',
    ...(options.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []),
    SELF,
    '--child-task',
    JSON.stringify(task),
    '--result-file',
    resultFile,
  ];
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('error', reject);
      child.on('exit', (c) => resolve(c));
    });
    if (code !== 0) throw new Error(`${label}: the measurement process exited with ${code}`);
    const result = JSON.parse(await readFile(resultFile, 'utf8')) as T;
    let profile: string | null = null;
    if (options.cpuProf) {
      const { readdir } = await import('node:fs/promises');
      const file = (await readdir(profDir)).find((f) => f.endsWith('.cpuprofile'));
      if (file) profile = describeProfile(JSON.parse(await readFile(join(profDir, file), 'utf8')));
    }
    return { result, profile };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function describeProfile(profile: Parameters<typeof summariseProfile>[0]): string {
  const s = summariseProfile(profile, 14);
  const line = (r: { name: string; share: number }) => `${(r.share * 100).toFixed(1)} % ${r.name}`;
  return `modules: ${s.byModule.map(line).join('; ')}\n  functions: ${s.byFunction.map(line).join('; ')}`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Events per second over the batches that start within [from, to). */
function rateBetween(samples: readonly BatchSample[], from: number, to: number): number {
  const inside = samples.filter((s) => s.from >= from && s.from < to);
  const events = inside.reduce((n, s) => n + s.size, 0);
  const ms = inside.reduce((n, s) => n + s.ms, 0);
  return ms > 0 ? events / (ms / 1000) : Number.NaN;
}

interface BatchSummary {
  batch: number;
  runs: RunResult[];
  medianRun: RunResult;
  eventsPerSecond: number;
  firstWindow: number;
  lastWindow: number;
  correct: boolean;
  profiles: string[];
}

function summarise(batch: number, runs: RunResult[], window: number, profiles: string[]): BatchSummary {
  const sorted = [...runs].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond);
  const medianRun = sorted[Math.floor((sorted.length - 1) / 2)] as RunResult;
  return {
    batch,
    runs,
    medianRun,
    eventsPerSecond: median(runs.map((r) => r.eventsPerSecond)),
    firstWindow: median(runs.map((r) => rateBetween(r.samples, 0, window))),
    lastWindow: median(runs.map((r) => rateBetween(r.samples, r.events - window, r.events))),
    correct: runs.every((r) => r.checks.every(([ok]) => ok)),
    profiles,
  };
}

function verdict(eventsPerSecond: number): string {
  if (eventsPerSecond >= TARGET_EVENTS_PER_SECOND) return `met (≥ ${formatNumber(TARGET_EVENTS_PER_SECOND)} events/s)`;
  return `MISSED (≥ ${formatNumber(TARGET_EVENTS_PER_SECOND)} events/s): ${formatNumber((1 - eventsPerSecond / TARGET_EVENTS_PER_SECOND) * 100)} % short, ${formatNumber(TARGET_EVENTS_PER_SECOND / eventsPerSecond, 1)}× needed`;
}

function splitTable(s: BatchSummary, engine: Engine): string {
  const store = engine === 'duckdb' ? 'DuckDB' : 'ClickHouse';
  const r = s.medianRun;
  const t = r.timing;
  const total = r.processMs;
  const share = (ms: number) => `${formatNumber((ms / total) * 100, 1)} %`;
  const perBatch = (ms: number) => formatNumber(ms / t.batches, 2);
  const rows: string[][] = [
    ['prepare: decode + validate + pseudonymise + facts (JS, before the transaction)', perBatch(t.prepareMs), share(t.prepareMs)],
  ];
  const calls = [...t.calls].sort((a, b) => b[1].ms - a[1].ms);
  const inCalls = calls.reduce((n, [, c]) => n + c.ms, 0);
  const minor = calls.filter(([, c]) => c.ms / total < 0.005);
  for (const [name, c] of calls.filter(([, c]) => c.ms / total >= 0.005)) rows.push([`${store}: ${name}`, perBatch(c.ms), share(c.ms)]);
  const minorMs = minor.reduce((n, [, c]) => n + c.ms, 0);
  if (minor.length > 0)
    rows.push([`${store}: ${minor.length} other calls (tables this mix does not touch)`, perBatch(minorMs), share(minorMs)]);
  rows.push([
    'merge by version, rollup deltas (JS inside the transaction, between DuckDB calls)',
    perBatch(t.applyMs - inCalls),
    share(t.applyMs - inCalls),
  ]);
  rows.push(['BEGIN / COMMIT (checkpointing, WAL)', perBatch(t.transactionMs - t.applyMs), share(t.transactionMs - t.applyMs)]);
  const after = total - t.prepareMs - t.transactionMs;
  rows.push(['after the transaction (outcome, metrics)', perBatch(after), share(after)]);
  return markdownTable(
    [`batch of ${formatNumber(s.batch)} (median run, ${formatNumber(r.eventsPerSecond)} events/s)`, 'ms per batch', 'share'],
    rows,
  );
}

function stageTable(st: StageResult): string {
  const total = st.parseMs + st.validateMs + st.pseudonymiseMs + st.factsMs;
  const row = (name: string, ms: number) => [
    name,
    formatNumber((ms * 1000) / st.events, 2),
    formatNumber(st.events / (ms / 1000)),
    `${formatNumber((ms / total) * 100, 1)} %`,
  ];
  return markdownTable(
    ['stage (separate pass over the same records, median of 3 passes)', 'µs per event', 'events/s alone', 'share of prepare'],
    [
      row('JSON.parse of the record', st.parseMs),
      row('data-contract validation (zod: envelope + data)', st.validateMs),
      row('pseudonymise (HMAC, LRU cache)', st.pseudonymiseMs),
      row('facts (factsOf)', st.factsMs),
      row('all four', total),
    ],
  );
}

function markdownSection(options: Options, summaries: BatchSummary[], stages: StageResult | null): string {
  const first = summaries[0]?.runs[0];
  const best = summaries.reduce((a, b) => (b.eventsPerSecond > a.eventsPerSecond ? b : a), summaries[0] as BatchSummary);
  const rows = summaries.map((s) => [
    formatNumber(s.batch),
    formatNumber(options.events),
    `**${formatNumber(s.eventsPerSecond)}**`,
    s.runs.map((r) => formatNumber(r.eventsPerSecond)).join(' / '),
    formatNumber(s.firstWindow),
    formatNumber(s.lastWindow),
    `${formatNumber(s.medianRun.fileBytes / 2 ** 20)} MiB`,
    `${s.medianRun.cpu.benchPercent} %${s.medianRun.cpu.serverPercent === null ? '' : ` + server ${s.medianRun.cpu.serverPercent} %`} / ${s.medianRun.cpu.othersPercent} %`,
    s.correct ? 'pass' : 'FAIL',
    verdict(s.eventsPerSecond).startsWith('met') ? 'met' : 'missed',
  ]);
  const kinds = first
    ? Object.entries(first.kinds)
        .map(([k, n]) => `${k} ${formatNumber((n / options.events) * 100, 1)} %`)
        .join(', ')
    : '';
  const lines = [
    `### Consumer throughput into ${ENGINE_TITLES[options.engine]}`,
    '',
    markdownTable(
      [
        'batch',
        'events',
        'events/s (median)',
        'runs',
        `first ${formatNumber(options.window / 1000)}k events/s`,
        `last ${formatNumber(options.window / 1000)}k events/s`,
        'file',
        'CPU bench / others',
        'correctness',
        'target',
      ],
      rows,
    ),
    '',
    `- date: ${new Date().toISOString()}; code: ${codeVersion()}`,
    `- machine: ${describeMachine(machineInfo())}; shared with other people's work: a run during which other processes used more than ${options.maxOthers} % of a core is repeated (up to ${options.retries} times)`,
    `- command: \`${commandLine()}\``,
    options.engine !== 'duckdb'
      ? `- warehouse: ClickHouse ${first?.duckdbVersion ?? '?'} (${options.engine === 'clickhouse' ? 'chDB in the bench process' : 'an HTTP server on loopback (libchdb run by scripts/clickhouse-http.c), the official @clickhouse/client'}), a fresh data directory in ${tmpdir()} per run, default settings; merchant dimension of 60 merchants loaded`
      : `- warehouse: DuckDB ${first?.duckdbVersion ?? '?'} (@duckdb/node-api), ${options.warehouse === 'memory' ? 'in memory (`:memory:`, an experiment)' : `a fresh \`warehouse.duckdb\` file in ${tmpdir()} per run`}, DuckDB defaults (threads = cores, memory 80 % of RAM)${options.settings.length > 0 ? ` except ${options.settings.join(', ')}` : ''}; merchant dimension of 60 merchants loaded`,
    `- records: ${formatNumber(options.events)} pre-built log records (seed ${options.seed}): ${kinds}; event times 1 ms apart; built in ${formatNumber(first?.buildSeconds ?? 0, 1)} s, outside the timing`,
    `- method: each run in a fresh child process (\`--max-old-space-size=6144\`), after a ${formatNumber(WARM_UP_EVENTS)}-event warm-up into an in-memory warehouse; timed: consecutive \`consumer.process(batch)\` calls over all records, one DuckDB transaction each; CPU = the bench process (all its threads; 100 % = one core)`,
    `- best: ${formatNumber(best.eventsPerSecond)} events/s at batch ${formatNumber(best.batch)} — target ${verdict(best.eventsPerSecond)}`,
    `- correctness (every run): ${summaries.every((s) => s.correct) ? 'pass' : 'FAIL'} — ${(first?.checks ?? []).map(([ok, text]) => `${ok ? '' : '✗ '}${text}`).join('; ')}`,
    '',
  ];
  for (const s of summaries) {
    for (const [i, r] of s.runs.entries()) {
      lines.push(
        `- batch ${formatNumber(s.batch)}, run ${i + 1}: ${formatNumber(r.eventsPerSecond)} events/s (${formatNumber(r.seconds, 1)} s); ` +
          `first/last ${formatNumber(options.window / 1000)}k ${formatNumber(rateBetween(r.samples, 0, options.window))} / ${formatNumber(rateBetween(r.samples, r.events - options.window, r.events))} events/s; ` +
          `CPU: bench ${r.cpu.benchPercent} %${r.cpu.serverPercent === null ? '' : `, ClickHouse server ${r.cpu.serverPercent} %`}, other processes ${r.cpu.othersPercent} % of a core, machine ${r.cpu.machinePercent} % busy` +
          `${r.attempts > 1 ? ` (attempt ${r.attempts}: earlier ones discarded, others > ${options.maxOthers} %)` : ''}${r.cpu.othersPercent > options.maxOthers ? ' — DISTURBED, kept after the retries' : ''}; ` +
          `final checkpoint at close ${formatNumber(r.closeSeconds, 1)} s; ${r.machineBefore}`,
      );
    }
  }
  lines.push('');
  for (const s of summaries) lines.push(splitTable(s, options.engine), '');
  if (stages) lines.push(stageTable(stages), '');
  for (const s of summaries) {
    if (s.profiles.length > 0) lines.push(`- profile, batch ${formatNumber(s.batch)} (self time, first run): ${s.profiles[0]}`);
  }
  return lines.join('\n').trim();
}

async function main(): Promise<void> {
  const parsed = parseOptions();
  if ('child' in parsed) {
    const result = parsed.child.kind === 'run' ? await childRun(parsed.child) : await childStages(parsed.child);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(parsed.resultFile, JSON.stringify(result));
    return;
  }
  const options = parsed;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  console.log(`machine: ${describeMachine(machineInfo())}`);
  const summaries: BatchSummary[] = [];
  for (const batch of options.batches) {
    const runs: RunResult[] = [];
    const profiles: string[] = [];
    for (let run = 1; run <= options.runs; run++) {
      console.log(
        `batch ${formatNumber(batch)}, run ${run}/${options.runs}: building ${formatNumber(options.events)} records, then timing…`,
      );
      let attempt = 0;
      let measured: { result: RunResult; profile: string | null };
      for (;;) {
        attempt++;
        measured = await runChild<RunResult>(
          {
            kind: 'run',
            events: options.events,
            batch,
            seed: options.seed,
            window: options.window,
            maxWait: options.maxWait,
            warehouse: options.warehouse,
            engine: options.engine,
            settings: options.settings,
          },
          options,
          `batch ${batch} run ${run}`,
        );
        measured.result.attempts = attempt;
        const others = measured.result.cpu.othersPercent;
        if (others <= options.maxOthers || attempt > options.retries) break;
        console.log(
          `  discarded: other processes used ${others} % of a core during the run (${formatNumber(measured.result.eventsPerSecond)} events/s); repeating`,
        );
      }
      const { result, profile } = measured;
      if (profile) profiles.push(profile);
      runs.push(result);
      const failed = result.checks.filter(([ok]) => !ok).map(([, text]) => text);
      console.log(
        `  ${formatNumber(result.eventsPerSecond)} events/s (${formatNumber(result.seconds, 1)} s); first ${formatNumber(options.window)}: ` +
          `${formatNumber(rateBetween(result.samples, 0, options.window))}/s, last: ${formatNumber(rateBetween(result.samples, result.events - options.window, result.events))}/s; ` +
          `CPU ${result.cpu.benchPercent} %${result.cpu.serverPercent === null ? '' : ` + server ${result.cpu.serverPercent} %`}, others ${result.cpu.othersPercent} %; close (checkpoint) ${formatNumber(result.closeSeconds, 1)} s; correctness ${failed.length === 0 ? 'pass' : `FAIL: ${failed.join('; ')}`}`,
      );
    }
    summaries.push(summarise(batch, runs, options.window, profiles));
  }
  console.log('per-stage pass (decode, validate, pseudonymise, facts)…');
  const stages = (
    await runChild<StageResult>({ kind: 'stages', events: options.events, seed: options.seed }, { ...options, cpuProf: false }, 'stages')
  ).result;

  const section = markdownSection(options, summaries, stages);
  console.log(`\n${section}\n`);
  if (options.write) {
    writeBenchmarkSection(options.engine === 'duckdb' ? 'pipeline:consumer' : `pipeline:consumer:${options.engine}`, section);
    console.log('written to BENCHMARKS.md');
  }
  if (summaries.some((s) => !s.correct)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
