/**
 * Webhook intake throughput and latency, end to end over loopback HTTP.
 *
 * Starts the compiled server (`node dist/cli/main.js start`) as a child process on a free port with
 * a fresh store (PGlite in a temp data dir, or a fresh database on a throwaway PostgreSQL cluster),
 * then drives `POST /api/v1/payments/webhook` with autocannon from this process: every request
 * is freshly Standard-Webhooks-signed (new webhook-id, current timestamp) and carries the seed
 * body; a share of them (20 % by default) reuses a reference already sent. With `--transitions F`
 * a share F of requests are instead later statuses of recorded payments (issue 10): new references
 * are sent as `authorized`, and a transition is the `captured` delivery of one answered 201.
 * Afterwards the server is stopped and the store is checked: one payment and one payment.recorded
 * event per reference that got a 201, no reference answered 201 twice, and one captured payment and
 * one payment.status_changed event per transition answered `transitioned`.
 *
 *   npx tsx bench/webhooks.bench.ts [--store pglite|postgres|both] [--seconds 20] [--connections 64]
 *   npx tsx bench/webhooks.bench.ts --duplicates 0 --transitions 0.2   # the lifecycle mix
 *
 * Figures are printed and written to BENCHMARKS.md (section `webhooks:<store>`); see bench/README.md.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { loadConfig } from '../src/core/config.js';
import { lockDataDir } from '../src/store/data-dir-lock.js';
import { openPglite } from '../src/store/pglite-adapter.js';
import { signStandardWebhook } from '../src/sources/webhooks/signature.js';
import { freePort } from '../test/harness/throwaway-servers.js';
import { seedBody } from '../test/harness/webhook-client.js';
import { type CpuUsage, cpuUsageBetween, describeCpu, snapshotCpu, waitForQuietMachine } from './support/cpu-usage.js';
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
import { type BenchPostgres, startBenchPostgres } from './support/throwaway-postgres.js';
import { storeLabel } from './support/stores.js';

type StoreKind = 'pglite' | 'postgres';

const USAGE = `usage: npx tsx bench/webhooks.bench.ts [options]
  --store pglite|postgres|both   store(s) to measure (default both)
  --seconds N                    measured duration per store (default 20)
  --connections N                concurrent keep-alive connections (default 64)
  --warmup N                     seconds of unmeasured load first, so the server's JIT is warm (default 3)
  --duplicates F                 share of requests reusing an already-sent reference (default 0.2)
  --transitions F                share of requests capturing a payment recorded as authorized (default 0;
                                 when > 0, new references are sent as authorized)
  --cpu-prof                     run the server under node --cpu-prof; the profile path is printed
  --max-wait N                   seconds to wait for other work on the machine to finish first (default 600)
  --server-env KEY=VALUE         extra server environment, repeatable (e.g. DB_POOL_MAX=4); reported with the figures
  --server-entry PATH            measure another build's cli/main.js (A/B of a change; implies --no-build)
  --no-build                     use dist/ as it is instead of running npm run build
  --no-write                     print only; leave BENCHMARKS.md alone
PostgreSQL: a throwaway cluster is started unless BENCH_DATABASE_URL points at a server of your own.`;

/** The targets the figures are judged against (see BENCHMARKS.md). */
const TARGETS: Record<StoreKind, { reqPerSec: number; p99Ms: number | null }> = {
  postgres: { reqPerSec: 5000, p99Ms: 50 },
  pglite: { reqPerSec: 2000, p99Ms: null },
};

const WEBHOOK_PATH = '/api/v1/payments/webhook';

interface Options {
  stores: StoreKind[];
  seconds: number;
  connections: number;
  warmup: number;
  duplicates: number;
  transitions: number;
  cpuProf: boolean;
  maxWait: number;
  serverEntry: string | null;
  serverEnv: Record<string, string>;
  build: boolean;
  write: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      store: { type: 'string', default: 'both' },
      seconds: { type: 'string', default: '20' },
      connections: { type: 'string', default: '64' },
      warmup: { type: 'string', default: '3' },
      duplicates: { type: 'string', default: '0.2' },
      transitions: { type: 'string', default: '0' },
      'cpu-prof': { type: 'boolean', default: false },
      'max-wait': { type: 'string', default: '600' },
      'server-entry': { type: 'string' },
      'server-env': { type: 'string', multiple: true, default: [] },
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
    if (!Number.isFinite(n) || n < min || n > max) fail(`--${name} ${text}: expected a number from ${min} to ${max}`);
    return n;
  };
  const store = values.store;
  if (store !== 'pglite' && store !== 'postgres' && store !== 'both') fail(`--store ${store}: expected pglite, postgres or both`);
  if (Number(values.duplicates) + Number(values.transitions) >= 1) fail('--duplicates plus --transitions must stay below 1');
  return {
    stores: store === 'both' ? ['postgres', 'pglite'] : [store],
    seconds: number('seconds', values.seconds, 1, 3600),
    connections: Math.floor(number('connections', values.connections, 1, 10_000)),
    warmup: number('warmup', values.warmup, 0, 600),
    duplicates: number('duplicates', values.duplicates, 0, 0.99),
    transitions: number('transitions', values.transitions, 0, 0.99),
    cpuProf: values['cpu-prof'],
    maxWait: number('max-wait', values['max-wait'], 0, 86_400),
    build: !values['no-build'] && values['server-entry'] === undefined,
    serverEnv: Object.fromEntries(
      values['server-env'].map((pair) => {
        const eq = pair.indexOf('=');
        if (eq < 1) fail(`--server-env ${pair}: expected KEY=VALUE`);
        return [pair.slice(0, eq), pair.slice(eq + 1)];
      }),
    ),
    serverEntry: values['server-entry'] === undefined ? null : resolve(values['server-entry']),
    write: !values['no-write'],
  };
}

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(64);
}

/** Everything the load generator learns from the responses, across warm-up and measurement. */
interface LoadState {
  sent: string[];
  /** References of requests sent and not yet answered, with how many are outstanding. */
  inFlight: Map<string, number>;
  createdRefs: Set<string>;
  created201: number;
  /** References answered 201 whose capture has not been sent yet (transitions mode). */
  capturable: string[];
  /** References whose capture was sent and not yet answered. */
  transitionsInFlight: Set<string>;
  /** References whose capture was answered 200 `transitioned`. */
  transitionedRefs: Set<string>;
  /** Answers to captures, by body status (`transitioned`; `duplicate` from a server without the lifecycle). */
  transitionAnswers: Map<string, number>;
  statuses: Map<number, number>;
  errors: number;
  timeouts: number;
}

interface PhaseResult {
  seconds: number;
  /** Responses in each whole second of the phase, to show a trend (warming up, slowing down). */
  perSecond: number[];
  responses: number;
  statuses: Map<number, number>;
  errors: number;
  timeouts: number;
  latencies: Float64Array;
}

/**
 * One autocannon run. Each request is built in `setupRequest`: a new or (with probability
 * `duplicates`) an already-sent reference, a fresh webhook-id and the current timestamp. The
 * reference rides in the connection's context to `onResponse` (one request in flight per
 * connection, as autocannon does without pipelining).
 */
function runLoad(url: string, secret: string, runId: string, state: LoadState, options: Options, seconds: number): Promise<PhaseResult> {
  const latencies: number[] = [];
  const perSecond: number[] = [];
  const statuses = new Map<number, number>();
  let errors = 0;
  let timeouts = 0;
  let sequence = state.sent.length;
  interface Context {
    reference?: string;
    transition?: boolean;
  }
  const lifecycle = options.transitions > 0;
  // The seed body as an authorisation, and its capture a minute later (same amount).
  const authorizedBody = (reference: string) => seedBody(reference, { status: 'authorized', event_time: '2026-11-21T09:30:00+05:30' });
  const capturedBody = (reference: string) => seedBody(reference, { status: 'captured', event_time: '2026-11-21T09:31:00+05:30' });
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const instance = autocannon(
      {
        url,
        connections: options.connections,
        duration: seconds,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: WEBHOOK_PATH,
            setupRequest: (request, context) => {
              const roll = Math.random();
              const transition = roll < options.transitions && state.capturable.length > 0;
              const duplicate =
                !transition && state.sent.length > 0 && roll >= options.transitions && roll < options.transitions + options.duplicates;
              const reference = transition
                ? (state.capturable.splice(Math.floor(Math.random() * state.capturable.length), 1)[0] as string)
                : duplicate
                  ? (state.sent[Math.floor(Math.random() * state.sent.length)] as string)
                  : `bench-${runId}-${++sequence}`;
              if (!duplicate && !transition) state.sent.push(reference);
              if (transition) state.transitionsInFlight.add(reference);
              state.inFlight.set(reference, (state.inFlight.get(reference) ?? 0) + 1);
              (context as Context).reference = reference;
              (context as Context).transition = transition;
              const body = JSON.stringify(
                transition ? capturedBody(reference) : lifecycle ? authorizedBody(reference) : seedBody(reference),
              );
              const signed = signStandardWebhook({ secret, id: `msg_${randomUUID()}`, timestamp: Math.floor(Date.now() / 1000), body });
              return { ...request, headers: { 'content-type': 'application/json', ...signed }, body };
            },
            onResponse: (status, body, context) => {
              statuses.set(status, (statuses.get(status) ?? 0) + 1);
              state.statuses.set(status, (state.statuses.get(status) ?? 0) + 1);
              const reference = (context as Context).reference;
              if (reference !== undefined) {
                const outstanding = (state.inFlight.get(reference) ?? 0) - 1;
                if (outstanding > 0) state.inFlight.set(reference, outstanding);
                else state.inFlight.delete(reference);
              }
              if (status === 201 && reference !== undefined) {
                state.created201++;
                state.createdRefs.add(reference);
                if (lifecycle) state.capturable.push(reference);
              }
              if ((context as Context).transition && reference !== undefined) {
                state.transitionsInFlight.delete(reference);
                const answer = status === 200 ? ((JSON.parse(body) as { status?: string }).status ?? '?') : `HTTP ${status}`;
                state.transitionAnswers.set(answer, (state.transitionAnswers.get(answer) ?? 0) + 1);
                if (answer === 'transitioned') state.transitionedRefs.add(reference);
              }
            },
          },
        ],
      },
      (error) => {
        if (error) return reject(error);
        resolve({
          seconds: (performance.now() - started) / 1000,
          responses: latencies.length,
          statuses,
          errors,
          timeouts,
          latencies: Float64Array.from(latencies).sort(),
          perSecond: perSecond.slice(0, Math.floor((performance.now() - started) / 1000)),
        });
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime);
      const second = Math.floor((performance.now() - started) / 1000);
      perSecond[second] = (perSecond[second] ?? 0) + 1;
    });
    instance.on('reqError', (error: Error) => {
      errors++;
      state.errors++;
      if (/timed out/.test(error.message)) {
        timeouts++;
        state.timeouts++;
      }
    });
  });
}

interface StoreCounts {
  payments: number;
  outbox: number;
  recordedEvents: number;
  statusChangedEvents: number;
  references: number;
  distinctPaymentRefs: number;
}

interface StoreContents {
  counts: StoreCounts;
  paymentRefs: string[];
  capturedRefs: string[];
}
const PAYMENT_REFS_SQL = 'SELECT reference_number AS r FROM payment_service.payments';
const CAPTURED_REFS_SQL = `SELECT reference_number AS r FROM payment_service.payments WHERE status = 'captured'`;

const COUNT_SQL = `SELECT (SELECT count(*) FROM payment_service.payments)::int AS payments,
  (SELECT count(*) FROM payment_service.outbox)::int AS outbox,
  (SELECT count(*) FROM payment_service.outbox WHERE event_type = 'payment.recorded')::int AS "recordedEvents",
  (SELECT count(*) FROM payment_service.outbox WHERE event_type = 'payment.status_changed')::int AS "statusChangedEvents",
  (SELECT count(*) FROM payment_service.payment_references)::int AS "references",
  (SELECT count(DISTINCT reference_number) FROM payment_service.payments)::int AS "distinctPaymentRefs"`;

async function readPostgres(url: string): Promise<StoreContents> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const counts = (await client.query<StoreCounts>(COUNT_SQL)).rows[0] as StoreCounts;
    const paymentRefs = (await client.query<{ r: string }>(PAYMENT_REFS_SQL)).rows.map((row) => row.r);
    const capturedRefs = (await client.query<{ r: string }>(CAPTURED_REFS_SQL)).rows.map((row) => row.r);
    return { counts, paymentRefs, capturedRefs };
  } finally {
    await client.end();
  }
}

/** Opens the (stopped) server's PGlite data dir, holding its lock as the server would. */
async function readPglite(dataDir: string): Promise<StoreContents> {
  const release = await lockDataDir(dataDir);
  try {
    const db = await openPglite(dataDir);
    try {
      const counts = (await db.query<StoreCounts>(COUNT_SQL)).rows[0] as StoreCounts;
      const paymentRefs = (await db.query<{ r: string }>(PAYMENT_REFS_SQL)).rows.map((row) => row.r);
      const capturedRefs = (await db.query<{ r: string }>(CAPTURED_REFS_SQL)).rows.map((row) => row.r);
      return { counts, paymentRefs, capturedRefs };
    } finally {
      await db.close();
    }
  } finally {
    await release();
  }
}

/** Mean payments per group-commit transaction, from the server's Prometheus metrics. */
async function groupCommitMean(url: string): Promise<number | null> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const sum = Number(/^payscope_group_commit_size_sum(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1]);
    const count = Number(/^payscope_group_commit_size_count(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1]);
    return count > 0 ? sum / count : null;
  } catch {
    return null;
  }
}

interface StoreResult {
  store: StoreKind;
  storeDescription: string;
  phase: PhaseResult;
  reqPerSec: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  non2xx: number;
  counts: StoreCounts;
  state: LoadState;
  correct: boolean;
  correctness: string[];
  cpu: CpuUsage;
  groupCommit: number | null;
  profile: string | null;
  machineBefore: string;
}

async function measureStore(store: StoreKind, options: Options, postgres: BenchPostgres | null): Promise<StoreResult> {
  const runId = randomBytes(4).toString('hex');
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const dataDir = await mkdtemp(join(tmpdir(), `payscope-bench-webhooks-${store}-`));
  const profileDir = options.cpuProf ? await mkdtemp(join(tmpdir(), 'payscope-bench-cpuprof-')) : null;
  const databaseUrl = store === 'postgres' ? await (postgres as BenchPostgres).createDatabase('webhooks') : null;
  const port = await freePort();
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    WEBHOOK_SOURCES: JSON.stringify({ default: { secret } }),
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...options.serverEnv,
  };
  const loadAtStart = currentLoad();
  let busyBefore = Number.NaN;
  try {
    const server = await startServer({
      env,
      port,
      nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
      ...(options.serverEntry ? { entry: options.serverEntry } : {}),
    });
    const state: LoadState = {
      sent: [],
      inFlight: new Map(),
      createdRefs: new Set(),
      created201: 0,
      capturable: [],
      transitionsInFlight: new Set(),
      transitionedRefs: new Set(),
      transitionAnswers: new Map(),
      statuses: new Map(),
      errors: 0,
      timeouts: 0,
    };
    let phase: PhaseResult;
    let cpu: CpuUsage;
    let groupCommit: number | null;
    try {
      busyBefore = await waitForQuietMachine({ maxBusyPercent: 15, maxWaitSeconds: options.maxWait, log: (l) => console.log(l) });
      if (options.warmup > 0) {
        process.stdout.write(`  ${store}: warming up for ${options.warmup} s…\n`);
        await runLoad(server.url, secret, runId, state, options, options.warmup);
      }
      process.stdout.write(`  ${store}: measuring for ${options.seconds} s at ${options.connections} connections…\n`);
      const groups = {
        server: () => [server.pid],
        'load generator': () => [process.pid],
        ...(store === 'postgres' ? { postgres: () => (postgres as BenchPostgres).pids() } : {}),
      };
      const before = snapshotCpu(groups);
      phase = await runLoad(server.url, secret, runId, state, options, options.seconds);
      cpu = cpuUsageBetween(before, snapshotCpu(groups));
      groupCommit = await groupCommitMean(server.url);
    } finally {
      const stopped = await server.stop();
      if (stopped.forced || (stopped.code !== 0 && stopped.code !== null)) {
        process.stderr.write(`  the server did not stop cleanly (${JSON.stringify(stopped)}); output:\n${server.output()}\n`);
      }
    }
    // Read with the server stopped: every request it accepted has been answered and committed.
    const { counts, paymentRefs, capturedRefs } = databaseUrl ? await readPostgres(databaseUrl) : await readPglite(join(dataDir, 'pglite'));
    const { correct, correctness } = checkCorrectness(state, counts, paymentRefs, capturedRefs);
    const non2xx = [...phase.statuses].filter(([s]) => s < 200 || s > 299).reduce((sum, [, n]) => sum + n, 0);
    const lat = phase.latencies;
    return {
      store,
      storeDescription: store === 'postgres' ? storeLabel('postgres', postgres) : storeLabel('pglite', null),
      phase,
      reqPerSec: phase.responses / phase.seconds,
      p50: percentile(lat, 50),
      p95: percentile(lat, 95),
      p99: percentile(lat, 99),
      max: lat[lat.length - 1] ?? Number.NaN,
      non2xx,
      counts,
      state,
      correct,
      correctness,
      cpu,
      groupCommit,
      profile: profileDir,
      machineBefore: `${busyBefore} % busy in the 2 s before the run, load average ${loadAtStart}`,
    };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * Every reference answered 201 must be recorded exactly once, with its outbox event, and nothing
 * else may be recorded — except references whose request was still in flight when autocannon
 * stopped (it drops open connections at the end of a phase): the server may have recorded those
 * without anyone seeing the 201. They are counted apart, never silently.
 */
function checkCorrectness(
  state: LoadState,
  counts: StoreCounts,
  paymentRefs: readonly string[],
  capturedRefs: readonly string[],
): { correct: boolean; correctness: string[] } {
  const expected = state.createdRefs.size;
  const recorded = new Set(paymentRefs);
  const lost = [...state.createdRefs].filter((r) => !recorded.has(r)).length;
  const cutOffRecorded = paymentRefs.filter((r) => !state.createdRefs.has(r) && state.inFlight.has(r)).length;
  const unexplained = paymentRefs.filter((r) => !state.createdRefs.has(r) && !state.inFlight.has(r)).length;
  const twice = state.created201 - expected;
  const payments = counts.payments;
  // Transitions: every capture answered `transitioned` is a captured payment with its one
  // payment.status_changed; a captured payment nobody saw answered must have been cut off in flight.
  const captured = new Set(capturedRefs);
  const transitionLost = [...state.transitionedRefs].filter((r) => !captured.has(r)).length;
  const transitionCutOff = capturedRefs.filter((r) => !state.transitionedRefs.has(r) && state.transitionsInFlight.has(r)).length;
  const transitionUnexplained = capturedRefs.filter((r) => !state.transitionedRefs.has(r) && !state.transitionsInFlight.has(r)).length;
  const correctness = [
    `payments ${formatNumber(payments)} = distinct references answered 201 (${formatNumber(expected)})` +
      ` + ${cutOffRecorded} recorded from requests cut off when the load stopped (${state.inFlight.size} cut off): ` +
      (payments === expected + cutOffRecorded ? 'yes' : 'NO'),
    `201 references missing from payments: ${lost}`,
    `payments with no 201 and not cut off: ${unexplained}`,
    `references answered 201 twice: ${twice}`,
    `payment.recorded events ${formatNumber(counts.recordedEvents)} ${counts.recordedEvents === payments ? '=' : '≠'} payments`,
    `outbox ${formatNumber(counts.outbox)} ${counts.outbox === payments + counts.statusChangedEvents ? '=' : '≠'} payments + payment.status_changed`,
    ...(state.transitionAnswers.size > 0
      ? [
          `captures answered: ${[...state.transitionAnswers].map(([a, n]) => `${a} ${formatNumber(n)}`).join(', ')}`,
          `captured payments ${formatNumber(captured.size)} = captures answered transitioned (${formatNumber(state.transitionedRefs.size)}) + ${transitionCutOff} cut off (${state.transitionsInFlight.size} in flight): ` +
            (captured.size === state.transitionedRefs.size + transitionCutOff ? 'yes' : 'NO'),
          `transitioned captures missing: ${transitionLost}; captured with no answer and not cut off: ${transitionUnexplained}`,
          `payment.status_changed ${formatNumber(counts.statusChangedEvents)} ${counts.statusChangedEvents === captured.size ? '=' : '≠'} captured payments`,
        ]
      : []),
    `payment_references ${formatNumber(counts.references)} ${counts.references === payments ? '=' : '≠'} payments`,
    `duplicate references among payments: ${payments - counts.distinctPaymentRefs}`,
  ];
  const correct =
    payments === expected + cutOffRecorded &&
    lost === 0 &&
    unexplained === 0 &&
    twice === 0 &&
    counts.recordedEvents === payments &&
    counts.outbox === payments + counts.statusChangedEvents &&
    transitionLost === 0 &&
    transitionUnexplained === 0 &&
    counts.statusChangedEvents === captured.size &&
    counts.references === payments &&
    counts.distinctPaymentRefs === payments;
  return { correct, correctness };
}

function verdict(r: StoreResult): string {
  const target = TARGETS[r.store];
  const rateOk = r.reqPerSec >= target.reqPerSec;
  const p99Ok = target.p99Ms === null || r.p99 <= target.p99Ms;
  const goal = `≥ ${formatNumber(target.reqPerSec)} req/s${target.p99Ms === null ? '' : `, p99 ≤ ${target.p99Ms} ms`}`;
  if (rateOk && p99Ok) return `met (${goal})`;
  const misses = [
    ...(rateOk ? [] : [`req/s ${formatNumber((1 - r.reqPerSec / target.reqPerSec) * 100)} % short`]),
    ...(p99Ok ? [] : [`p99 ${formatNumber(r.p99 / (target.p99Ms as number), 1)}× the limit`]),
  ];
  return `MISSED (${goal}): ${misses.join(', ')}`;
}

/** The settings that shape the intake's throughput, as the server parses them (defaults unless overridden). */
function serverSettings(options: Options): string {
  const env = loadConfig({ LOG_LEVEL: 'warn', ...options.serverEnv }).env as Record<string, unknown>;
  const shown = Object.entries(env).filter(([k]) =>
    /^(GROUP_COMMIT_|DB_POOL_|ENABLE_MEMORY_CACHE|MEMORY_CACHE_MAX_SIZE|WEBHOOK_RATE_LIMIT|LOG_)/.test(k),
  );
  const overridden = Object.keys(options.serverEnv);
  return (
    `${shown.map(([k, v]) => `${k}=${String(v)}`).join(', ')}, no Redis` +
    (overridden.length > 0 ? ` (set for this run: ${overridden.join(', ')}; the rest are defaults)` : ' (defaults)')
  );
}

/** Per-second throughput, compressed to a few numbers: where it started, where it ended, its spread. */
function trend(perSecond: readonly number[]): string {
  const values = Array.from(perSecond, (n) => n ?? 0);
  if (values.length < 4) return values.map((n) => formatNumber(n)).join(', ');
  const sorted = [...values].sort((a, b) => a - b);
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const fifth = Math.max(1, Math.floor(values.length / 5));
  return (
    `min ${formatNumber(sorted[0] ?? 0)}, median ${formatNumber(sorted[Math.floor(sorted.length / 2)] ?? 0)}, max ${formatNumber(sorted[sorted.length - 1] ?? 0)}; ` +
    `first ${fifth} s ${formatNumber(mean(values.slice(0, fifth)))}, last ${fifth} s ${formatNumber(mean(values.slice(-fifth)))}`
  );
}

function statusText(statuses: Map<number, number>): string {
  return [...statuses]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${s}: ${formatNumber(n)}`)
    .join(', ');
}

function resultRow(r: StoreResult): string[] {
  return [
    r.store === 'postgres' ? 'PostgreSQL' : 'PGlite',
    formatNumber(r.reqPerSec),
    formatNumber(r.p50, 1),
    formatNumber(r.p95, 1),
    formatNumber(r.p99, 1),
    formatNumber(r.max, 1),
    formatNumber(r.phase.responses),
    formatNumber(r.non2xx + r.phase.errors),
    r.correct ? 'pass' : 'FAIL',
    verdict(r).startsWith('met') ? 'met' : 'missed',
  ];
}

const HEADERS = ['store', 'req/s (mean)', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'responses', 'non-2xx + errors', 'correctness', 'target'];

function markdownSection(r: StoreResult, options: Options): string {
  const machine = machineInfo();
  return [
    `### Webhook intake — ${r.store === 'postgres' ? 'PostgreSQL' : 'PGlite'}${options.transitions > 0 ? `, ${Math.round(options.transitions * 100)} % transitions` : ''}`,
    '',
    markdownTable(HEADERS, [resultRow(r)]),
    '',
    `- date: ${new Date().toISOString()}; code: ${codeVersion()}`,
    `- machine: ${describeMachine(machine)}; ${r.machineBefore}`,
    `- command: \`${commandLine()}\``,
    `- store: ${r.storeDescription}`,
    ...(options.serverEntry ? [`- server: ${options.serverEntry} (not this checkout's dist/)`] : []),
    `- server settings: ${serverSettings(options)}`,
    `- load: ${options.connections} connections, ${formatNumber(r.phase.seconds, 1)} s measured after ${options.warmup} s warm-up, ` +
      `${Math.round(options.duplicates * 100)} % duplicate references, ` +
      (options.transitions > 0
        ? `${Math.round(options.transitions * 100)} % transitions (new references sent as authorized, a transition captures one answered 201), `
        : '') +
      'every request freshly Standard-Webhooks-signed; ' +
      'server and load generator in separate processes on the same machine',
    `- statuses (measured): ${statusText(r.phase.statuses)}; socket errors ${r.phase.errors} (timeouts ${r.phase.timeouts})`,
    `- correctness (whole run, ${formatNumber(r.state.sent.length)} references sent): ${r.correct ? 'pass' : 'FAIL'} — ${r.correctness.join('; ')}`,
    `- target: ${verdict(r)}`,
    `- CPU during the measurement: ${describeCpu(r.cpu)}`,
    `- mean payments per group commit: ${r.groupCommit === null ? 'n/a' : formatNumber(r.groupCommit, 1)}`,
    `- req/s in each second: ${trend(r.phase.perSecond)}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions();
  // Exit hooks stop the server child and the throwaway cluster; make Ctrl-C run them.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  if (options.build) {
    process.stdout.write('building the server (npm run build)…\n');
    await buildServer();
  } else if (!options.serverEntry) {
    assertBuilt();
  }
  console.log(`machine: ${describeMachine(machineInfo())}`);
  const postgres = options.stores.includes('postgres') ? await startBenchPostgres() : null;
  const results: StoreResult[] = [];
  try {
    for (const store of options.stores) {
      const r = await measureStore(store, options, postgres);
      results.push(r);
      console.log(`\n${markdownSection(r, options)}\n`);
      if (r.profile)
        console.log(
          `  CPU profile of the server: ${r.profile}/*.cpuprofile (summarise: npx tsx bench/support/cpuprofile-summary.ts <file>)`,
        );
      // The lifecycle mix has sections of its own beside today's figures.
      if (options.write)
        writeBenchmarkSection(`webhooks${options.transitions > 0 ? '-transitions' : ''}:${store}`, markdownSection(r, options));
    }
  } finally {
    await postgres?.stop();
  }
  console.log(markdownTable(HEADERS, results.map(resultRow)));
  if (options.write) console.log('\nwritten to BENCHMARKS.md');
  if (results.some((r) => !r.correct)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
