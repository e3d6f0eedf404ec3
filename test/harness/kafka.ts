/**
 * A Kafka-protocol broker for tests: librdkafka's mock cluster, run by Debian's `kcat`
 * (`kcat -C -b dummy:9092 -X test.mock.num.brokers=3 …` replaces the bootstrap list with three
 * in-process mock brokers on free loopback ports and prints it). It speaks the real protocol with
 * limits (PLATFORM-NOTES.md): topics auto-create with 4 partitions; no CreateTopics, idempotent or
 * transactional producers; a new group's first join waits ~3 s.
 *
 * The harness (global-setup.ts) starts one mock per run, shared by every test file: give each
 * test its own topic and group names (`uniqueName('t')`). A test that stops the broker starts its
 * own with `startKafkaMock()` and `pause()`s / `resume()`s it (SIGSTOP/SIGCONT): the brokers stop
 * answering but keep their ports and data. librdkafka 2.0 cannot pin a mock broker's port, and
 * the mock keeps its data in memory, so killing it and starting another would change the address
 * and lose what was acknowledged — not what a real broker restart does.
 *
 * `PAYSCOPE_TEST_KAFKA_BROKERS` (comma-separated host:port) points the tests at a broker of your
 * own; `PAYSCOPE_KCAT` overrides the path of the kcat binary; `TEST_KAFKA_LOG_LEVEL` (kafkajs's
 * levels: 1 error, 2 warn, 4 info, 5 debug) prints kafkajs's own log from `createTestKafka`.
 *
 * @example
 * describeWithKafka('the kafka log', (brokers) => {
 *   it('delivers', async () => { const kafka = createTestKafka(brokers); ... });
 * });
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { describe, inject } from 'vitest';
import type { HarnessComponent } from './global-setup.js';
import { findOnPath, isExecutable } from './throwaway-servers.js';

export const APT_KCAT = 'apt-get install kcat';

/** Kafka could not start, with what a human should do about it (same shape as `Unavailable`). */
export class KafkaUnavailable extends Error {
  readonly component = 'Kafka';
  constructor(
    readonly reason: string,
    readonly fix: string = APT_KCAT,
  ) {
    super(`Kafka: ${reason}`);
  }
}

export interface KafkaMock {
  /** host:port of each mock broker. */
  brokers: string[];
  pid: number;
  /** Freezes the brokers (SIGSTOP): connections stay open, nothing answers, requests time out. */
  pause(): void;
  /** Lets them answer again (SIGCONT), same ports, same data. */
  resume(): void;
  stop(): Promise<void>;
  /** Synchronous last resort for a process `exit` handler. */
  stopSync(): void;
}

/**
 * Starts a mock cluster of `brokers` brokers; its log goes to `dir/mock.log` (`dir` is created).
 * Throws {@link KafkaUnavailable} when kcat is missing or does not print its bootstrap list.
 */
export async function startKafkaMock(dir: string, options: { brokers?: number } = {}): Promise<KafkaMock> {
  const binary = process.env.PAYSCOPE_KCAT ?? (await findOnPath('kcat')) ?? (await findOnPath('kafkacat'));
  if (!binary || !(await isExecutable(binary))) {
    const where = process.env.PAYSCOPE_KCAT ? `at PAYSCOPE_KCAT=${process.env.PAYSCOPE_KCAT}` : 'on PATH';
    throw new KafkaUnavailable(`kcat not found ${where} (it runs librdkafka's mock Kafka cluster)`);
  }
  await mkdir(dir, { recursive: true });
  const logFile = join(dir, 'mock.log');
  const fd = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    // A consumer of a keep-alive topic keeps kcat, and with it the mock cluster, running.
    child = spawn(
      binary,
      ['-C', '-b', 'dummy:9092', '-X', `test.mock.num.brokers=${options.brokers ?? 3}`, '-t', '__keepalive', '-o', 'end', '-q'],
      { detached: true, stdio: ['ignore', 'ignore', fd] },
    );
  } finally {
    closeSync(fd);
  }
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new KafkaUnavailable(`kcat did not start (${binary})`);
  // Read by the harness: at teardown and in the next run's sweep it stops any mock still running.
  const pidFile = join(dir, 'kcat.pid');
  await writeFile(pidFile, String(pid));

  const deadline = Date.now() + 10_000;
  let brokers: string[] | undefined;
  while (!brokers && Date.now() < deadline) {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    const match = /replaced with (\S+)/.exec(text);
    if (match?.[1]) brokers = match[1].split(',');
    else if (child.exitCode !== null) break;
    else await sleep(20);
  }
  if (!brokers) {
    signal(pid, 'SIGKILL');
    const log = (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-3).join(' | ');
    throw new KafkaUnavailable(`kcat's mock cluster did not print its bootstrap list: ${log || '(no output)'}`);
  }

  const stopSync = () => {
    signal(pid, 'SIGCONT');
    signal(pid, 'SIGTERM');
    rmSync(pidFile, { force: true });
  };
  // kcat runs detached: if this process exits before stop(), take it along (a worker that vitest
  // kills outright leaves it to the harness's teardown, through the pid file).
  process.once('exit', stopSync);
  return {
    brokers,
    pid,
    pause: () => signal(pid, 'SIGSTOP'),
    resume: () => signal(pid, 'SIGCONT'),
    stopSync,
    async stop() {
      process.removeListener('exit', stopSync);
      stopSync();
      const until = Date.now() + 5000;
      while (isAlive(pid) && Date.now() < until) await sleep(10);
      if (isAlive(pid)) signal(pid, 'SIGKILL');
    },
  };
}

/**
 * For the harness: the user's broker (`PAYSCOPE_TEST_KAFKA_BROKERS`) or a new mock under
 * `baseDir/kafka`. The `url` it reports is the comma-separated bootstrap list.
 */
export async function startHarnessKafka(
  baseDir: string,
): Promise<
  { kind: 'started'; server: { url: string; stop(): Promise<void>; stopSync(): void } } | { kind: 'external'; server: { url: string } }
> {
  const external = process.env.PAYSCOPE_TEST_KAFKA_BROKERS;
  if (external) {
    await checkExternalKafka(external.split(','));
    return { kind: 'external', server: { url: external } };
  }
  const mock = await startKafkaMock(join(baseDir, 'kafka'));
  return { kind: 'started', server: { url: mock.brokers.join(','), stop: mock.stop, stopSync: mock.stopSync } };
}

async function checkExternalKafka(brokers: string[]): Promise<void> {
  const admin = createTestKafka(brokers).admin();
  try {
    await admin.connect();
    await admin.listTopics();
  } catch (error) {
    throw new KafkaUnavailable(
      `PAYSCOPE_TEST_KAFKA_BROKERS is set but unreachable: ${(error as Error).message}`,
      'start that broker, or unset PAYSCOPE_TEST_KAFKA_BROKERS to let the harness start a mock',
    );
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** The harness's Kafka bootstrap list, or undefined when Kafka is unavailable in this run. */
export function kafkaBrokers(): string[] | undefined {
  const status = kafkaStatus();
  return status.available ? status.url.split(',') : undefined;
}

/** True when the harness has a Kafka broker it started itself (tests may then start more mocks). */
export function kafkaMockAvailable(): boolean {
  const status = kafkaStatus();
  return status.available && status.owned;
}

/**
 * `describe` for suites that need Kafka; `fn` receives the bootstrap list. Without Kafka (outside
 * CI) the suite is skipped — the harness has already said why, loudly, once. Under `CI=true` a
 * missing Kafka has already failed the run.
 */
export function describeWithKafka(title: string, fn: (brokers: string[]) => void): void {
  const status = kafkaStatus();
  if (status.available) describe(title, () => fn(status.url.split(',')));
  else if (process.env.CI === 'true') {
    describe(title, () => {
      throw new Error(`Kafka is required when CI=true: ${status.reason}`);
    });
  } else describe.skip(`${title} — SKIPPED: ${status.reason}`, () => fn([]));
}

/**
 * A kafkajs client with test-sized timeouts (a frozen broker is noticed in seconds, not minutes)
 * and kafkajs's own logging off.
 */
export function createTestKafka(brokers: string[], clientId = 'payscope-test'): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: process.env.TEST_KAFKA_LOG_LEVEL ? Number(process.env.TEST_KAFKA_LOG_LEVEL) : logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
  });
}

/** A topic or group name no other test of any run uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/**
 * A directory for a test's own mock cluster, inside the run's harness directory so a killed run's
 * mock is stopped by the next run's sweep. Remove it after `stop()`.
 */
export function kafkaMockDir(): Promise<string> {
  const harnessDir: string | undefined = inject('payscopeHarnessDir');
  return mkdtemp(join(harnessDir ?? tmpdir(), 'kafka-'));
}

export async function removeKafkaMockDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/**
 * Stops every mock started under `baseDir` that is still running (its pid file is removed when it
 * stops): the harness calls it at teardown for mocks of tests that timed out, and in its sweep of
 * the directories of killed runs.
 */
export async function stopKafkaMocksIn(baseDir: string): Promise<void> {
  const dirs = (await readdir(baseDir).catch(() => [] as string[])).filter((name) => name === 'kafka' || name.startsWith('kafka-'));
  for (const dir of dirs) {
    const pid = Number(await readFile(join(baseDir, dir, 'kcat.pid'), 'utf8').catch(() => 'NaN'));
    if (Number.isInteger(pid) && pid > 0) {
      signal(pid, 'SIGCONT');
      signal(pid, 'SIGTERM');
    }
  }
}

function kafkaStatus(): HarnessComponent {
  const status: HarnessComponent | undefined = inject('payscopeKafka');
  return status ?? { available: false, reason: 'the test harness (test/harness/global-setup.ts) did not run' };
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
