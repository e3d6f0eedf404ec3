/**
 * Vitest global setup: starts a throwaway PostgreSQL cluster and a throwaway Redis on free
 * loopback ports (in parallel, ~1 s), hands their URLs to the test workers through
 * `provide`/`inject`, and stops them and removes their directories afterwards.
 *
 * The rule for a component that cannot start (see test/README.md):
 * - `CI=true`: the run fails, naming what is missing and the apt package that provides it;
 * - otherwise: one loud line on stderr, and the suites that need it are skipped.
 *
 * Both the `integration` and the `e2e` project list this file; they share one set of servers per
 * run (the first project's setup starts them, the last teardown stops them).
 *
 * `PAYSCOPE_TEST_DATABASE_URL` / `PAYSCOPE_TEST_REDIS_URL` point the tests at servers of your own
 * instead; `PAYSCOPE_PG_BIN` (directory holding initdb/pg_ctl) and `PAYSCOPE_REDIS_SERVER` (path
 * of the redis-server binary) override where the binaries are looked for.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { APT_KCAT, startHarnessKafka, stopKafkaMocksIn } from './kafka.js';
import {
  APT_POSTGRES,
  APT_REDIS,
  describeExecError,
  findOnPath,
  freePort,
  isExecutable,
  readPostmasterPid,
  run,
  startThrowawayPostgres,
  THROWAWAY_PG_SETTINGS,
  tail,
  Unavailable,
} from './throwaway-servers.js';

/** What the harness tells the test workers about one server. */
export type HarnessComponent =
  | { available: true; url: string /** started by the harness (false: the user's own server) */; owned: boolean }
  | { available: false; reason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    payscopePostgres: HarnessComponent;
    payscopeRedis: HarnessComponent;
    /** `url` is the comma-separated bootstrap list (librdkafka's mock cluster, see kafka.ts). */
    payscopeKafka: HarnessComponent;
    /** Prefix of every database the harness creates in this run: `test_<runId>_…`. */
    payscopeRunId: string;
    /** This run's scratch directory (removed at teardown); workers may cache things in it. */
    payscopeHarnessDir: string;
  }
}

const HARNESS_DIR_PREFIX = 'payscope-harness-';

interface Started {
  url: string;
  stop(): Promise<void>;
  /** Synchronous last resort, run on process exit if teardown never ran. */
  stopSync(): void;
}

/** What one harness start hands to every project that uses it. */
interface Harness {
  provided: {
    payscopePostgres: HarnessComponent;
    payscopeRedis: HarnessComponent;
    payscopeKafka: HarnessComponent;
    payscopeRunId: string;
    payscopeHarnessDir: string;
  };
  /** Projects (vitest `projects`) whose setup received this harness and have not torn down yet. */
  users: number;
  teardown(): Promise<void>;
}

// Vitest loads a global setup file once per project (integration, e2e) in the same main process:
// the servers are started by the first and shared, and stopped when the last one tears down.
const SHARED = Symbol.for('payscope.test-harness');
type WithHarness = typeof globalThis & { [SHARED]?: Promise<Harness> };

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const shared = globalThis as WithHarness;
  shared[SHARED] ??= startHarness();
  const harness = await shared[SHARED];
  harness.users++;
  for (const [key, value] of Object.entries(harness.provided)) provide(key as keyof Harness['provided'], value as never);
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    harness.users--;
    if (harness.users > 0) return;
    delete shared[SHARED];
    await harness.teardown();
  };
}

async function startHarness(): Promise<Harness> {
  const ci = process.env.CI === 'true';
  const runId = randomBytes(3).toString('hex');
  const startedAt = performance.now();

  await sweepStaleHarnessDirs();
  const baseDir = await mkdtemp(join(tmpdir(), HARNESS_DIR_PREFIX));
  await chmod(baseDir, 0o755); // the postgres OS user must reach its cluster directory inside
  await writeFile(join(baseDir, 'owner.pid'), String(process.pid));

  const [pgResult, redisResult, kafkaResult] = await Promise.allSettled([
    startPostgres(baseDir),
    startRedis(baseDir),
    startHarnessKafka(baseDir),
  ]);
  const started = [pgResult, redisResult, kafkaResult].flatMap((r) =>
    r.status === 'fulfilled' && r.value.kind === 'started' ? [r.value.server] : [],
  );

  let tornDown = false;
  const stopSyncOnExit = () => {
    if (tornDown) return;
    for (const server of started) server.stopSync();
    rmSync(baseDir, { recursive: true, force: true });
  };
  process.once('exit', stopSyncOnExit);
  const teardown = async () => {
    if (tornDown) return;
    tornDown = true;
    process.removeListener('exit', stopSyncOnExit);
    await Promise.allSettled(started.map((server) => server.stop()));
    await stopKafkaMocksIn(baseDir); // mocks of tests that timed out before stopping theirs
    if (pgResult.status === 'fulfilled' && pgResult.value.kind === 'external') await dropRunDatabases(pgResult.value.server.url, runId);
    await rm(baseDir, { recursive: true, force: true });
  };

  const failures: Array<{ component: string; reason: string; fix: string }> = [];
  const statusOf = (
    result: PromiseSettledResult<StartOutcome>,
    component: Unavailable['component'] | 'Kafka',
    fix: string,
  ): HarnessComponent => {
    if (result.status === 'fulfilled') return { available: true, url: result.value.server.url, owned: result.value.kind === 'started' };
    const known = typeof result.reason === 'object' && result.reason !== null && 'fix' in result.reason && 'component' in result.reason;
    const error = known ? (result.reason as Unavailable) : { component, reason: `could not start: ${String(result.reason)}`, fix };
    failures.push(error);
    return { available: false, reason: error.reason };
  };
  const postgres = statusOf(pgResult, 'PostgreSQL', APT_POSTGRES);
  const redis = statusOf(redisResult, 'Redis', APT_REDIS);
  const kafka = statusOf(kafkaResult, 'Kafka', APT_KCAT);

  if (failures.length > 0 && ci) {
    await teardown();
    const lines = failures.map((f) => `  - ${f.component}: ${f.reason}\n    fix: ${f.fix}`);
    throw new Error(`CI=true and the test harness could not start what the tests need:\n${lines.join('\n')}`);
  }
  for (const f of failures) {
    process.stderr.write(`\n⚠ SKIPPING ${f.component} suites: ${f.reason} (${f.fix}) — these tests did not run\n\n`);
  }

  if (process.env.PAYSCOPE_HARNESS_VERBOSE === 'true') {
    process.stderr.write(`test harness ready in ${Math.round(performance.now() - startedAt)} ms\n`);
  }
  return {
    provided: {
      payscopePostgres: postgres,
      payscopeRedis: redis,
      payscopeKafka: kafka,
      payscopeRunId: runId,
      payscopeHarnessDir: baseDir,
    },
    users: 0,
    teardown,
  };
}

type StartOutcome = { kind: 'started'; server: Started } | { kind: 'external'; server: Pick<Started, 'url'> };

// ---------------------------------------------------------------------------------------------
// PostgreSQL

async function startPostgres(baseDir: string): Promise<StartOutcome> {
  const external = process.env.PAYSCOPE_TEST_DATABASE_URL;
  if (external) {
    await checkExternalPostgres(external);
    return { kind: 'external', server: { url: external } };
  }
  const server = await startThrowawayPostgres(join(baseDir, 'pg'), THROWAWAY_PG_SETTINGS);
  return { kind: 'started', server };
}

async function checkExternalPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, application_name: 'payscope-test-harness' });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Unavailable(
      'PostgreSQL',
      `PAYSCOPE_TEST_DATABASE_URL is set but unreachable: ${(error as Error).message}`,
      'start that server, or unset PAYSCOPE_TEST_DATABASE_URL to let the harness start one',
    );
  } finally {
    await client.end().catch(() => {});
  }
}

/** On a user's own server nothing removes the cluster: drop this run's leftover databases. */
async function dropRunDatabases(url: string, runId: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: 'payscope-test-harness' });
  try {
    await client.connect();
    const { rows } = await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
      `test\\_${runId}\\_%`,
    ]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } catch (error) {
    process.stderr.write(`test harness: could not drop this run's databases: ${(error as Error).message}\n`);
  } finally {
    await client.end().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// Redis

async function startRedis(baseDir: string): Promise<StartOutcome> {
  const external = process.env.PAYSCOPE_TEST_REDIS_URL;
  if (external) {
    await checkExternalRedis(external);
    return { kind: 'external', server: { url: external } };
  }
  const binary = process.env.PAYSCOPE_REDIS_SERVER ?? (await findOnPath('redis-server'));
  if (!binary || !(await isExecutable(binary))) {
    const where = process.env.PAYSCOPE_REDIS_SERVER ? `at PAYSCOPE_REDIS_SERVER=${process.env.PAYSCOPE_REDIS_SERVER}` : 'on PATH';
    throw new Unavailable('Redis', `redis-server not found ${where}`, APT_REDIS);
  }
  const dir = join(baseDir, 'redis');
  await mkdir(dir);
  const pidFile = join(dir, 'redis.pid');
  const logFile = join(dir, 'redis.log');

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const args = [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--daemonize',
      'yes',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--pidfile',
      pidFile,
      '--logfile',
      logFile,
    ];
    try {
      await run(binary, args);
      const pid = await waitForRedis(port, pidFile);
      const stopSync = () => killQuietly(pid);
      return {
        kind: 'started',
        server: {
          url: `redis://127.0.0.1:${port}`,
          stop: async () => {
            killQuietly(pid);
            await waitUntil(() => !isAlive(pid), 5000);
          },
          stopSync,
        },
      };
    } catch (error) {
      const log = await tail(logFile);
      if (attempt < 3 && /Address already in use/i.test(log)) continue;
      throw new Unavailable('Redis', `redis-server did not start: ${describeExecError(error)}; log: ${log}`, APT_REDIS);
    }
  }
}

/** Waits until our daemon answers on `port` (and it is ours, not a process that took the port). */
async function waitForRedis(port: number, pidFile: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const pid = Number((await readFile(pidFile, 'utf8')).trim());
      const info = await redisCommand(port, ['INFO', 'server']);
      if (!info.includes(`process_id:${pid}\r\n`)) throw new Error(`port ${port} answered but not from redis pid ${pid}`);
      return pid;
    } catch (error) {
      lastError = error;
      await sleep(20);
    }
  }
  throw lastError instanceof Error ? lastError : new Error('timed out waiting for redis-server');
}

/** One RESP command over a fresh socket; returns the reply (simple or bulk string) as text. */
function redisCommand(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let buffer = Buffer.alloc(0);
    const done = (error: Error | null, reply?: string) => {
      socket.destroy();
      if (error) reject(error);
      else resolve(reply ?? '');
    };
    socket.setTimeout(1000, () => done(new Error('redis did not answer')));
    socket.on('error', (error) => done(error));
    socket.on('connect', () => socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const headerEnd = buffer.indexOf('\r\n');
      if (headerEnd < 0) return;
      const header = buffer.subarray(0, headerEnd).toString();
      if (header.startsWith('-')) return done(new Error(header.slice(1)));
      if (header.startsWith('+')) return done(null, header.slice(1));
      if (header.startsWith('$')) {
        const length = Number(header.slice(1));
        if (buffer.length >= headerEnd + 2 + length) done(null, buffer.subarray(headerEnd + 2, headerEnd + 2 + length).toString());
        return;
      }
      done(new Error(`unexpected redis reply: ${header}`));
    });
  });
}

async function checkExternalRedis(url: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 5000 });
  let cause: Error | undefined; // ioredis reports the socket error here and rejects with "Connection is closed"
  client.on('error', (error: Error) => {
    cause ??= error;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new Unavailable(
      'Redis',
      `PAYSCOPE_TEST_REDIS_URL is set but unreachable: ${(cause ?? (error as Error)).message}`,
      'start that server, or unset PAYSCOPE_TEST_REDIS_URL to let the harness start one',
    );
  } finally {
    client.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/**
 * Stops servers left behind by runs that were killed before their teardown (the owner pid is
 * gone) and removes their directories. Directories of live runs — other engineers' — are kept.
 */
async function sweepStaleHarnessDirs(): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((name) => name.startsWith(HARNESS_DIR_PREFIX))
      .map(async (name) => {
        const dir = join(tmpdir(), name);
        const owner = Number(await readFile(join(dir, 'owner.pid'), 'utf8').catch(() => 'NaN'));
        if (!Number.isInteger(owner) || isAlive(owner)) return;
        const redisPid = Number(await readFile(join(dir, 'redis', 'redis.pid'), 'utf8').catch(() => 'NaN'));
        if (Number.isInteger(redisPid)) killQuietly(redisPid);
        const postmasterPid = await readPostmasterPid(join(dir, 'pg'));
        if (postmasterPid !== null) killQuietly(postmasterPid, 'SIGQUIT'); // immediate shutdown
        await stopKafkaMocksIn(dir);
        await sleep(200);
        await rm(dir, { recursive: true, force: true });
      }),
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(10);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
