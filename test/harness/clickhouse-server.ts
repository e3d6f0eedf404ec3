/**
 * A throwaway ClickHouse HTTP server for tests: chDB's libchdb.so (ClickHouse 26.7, npm
 * `@chdb/lib-linux-x64-gnu`) run by the small launcher `scripts/clickhouse-http.c`, compiled with
 * `cc` on first use into `node_modules/.cache/payscope/`. It listens on a free 127.0.0.1 port,
 * keeps its data in a temporary directory, and is stopped by the launcher's own pid (SIGTERM, then
 * SIGKILL after a grace); the directory is removed afterwards.
 *
 * The rule of the other throwaway servers (test/README.md): under `CI=true` a server that cannot
 * start throws; otherwise `startClickHouseServer` prints one loud line and returns null, and the
 * suite skips.
 *
 * @example
 * const server = await startClickHouseServer();
 * const client = createClient({ url: server.url });
 * … await server.stop();
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describeExecError, findOnPath, freePort, run, tail } from './throwaway-servers.js';

export interface ClickHouseServer {
  /** `http://127.0.0.1:<port>` (user `default`, no password). */
  url: string;
  port: number;
  /** The launcher's own pid (it is the server). */
  pid: number;
  /** SIGTERM, SIGKILL after `graceMs`, then removes the data directory. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

const REPO = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const LAUNCHER_SOURCE = join(REPO, 'scripts', 'clickhouse-http.c');
const CACHE_DIR = join(REPO, 'node_modules', '.cache', 'payscope');
const APT_CC = 'apt-get install gcc libc6-dev (and npm ci for the chdb devDependency)';
const READY_TIMEOUT_MS = 30_000;

/**
 * Starts a ClickHouse HTTP server, or returns null after one loud skip line when it cannot (throws
 * instead under `CI=true`).
 */
export async function startClickHouseServer(): Promise<ClickHouseServer | null> {
  try {
    return await startOrThrow();
  } catch (error) {
    if (process.env.CI === 'true') throw error;
    process.stderr.write(`\n⚠ SKIPPING ClickHouse HTTP suites: ${(error as Error).message} (${APT_CC}) — these tests did not run\n\n`);
    return null;
  }
}

async function startOrThrow(): Promise<ClickHouseServer> {
  const launcher = await buildLauncher();
  const dir = await mkdtemp(join(tmpdir(), 'payscope-clickhouse-'));
  const logFile = join(dir, 'server.log');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const log = openSync(logFile, 'a');
    const child = spawn(launcher, ['--listen_host=127.0.0.1', `--http_port=${port}`, `--path=${join(dir, 'data')}/`], {
      cwd: dir,
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    const pid = child.pid;
    if (pid === undefined) throw new Error('ClickHouse: the launcher could not be spawned');
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    const url = `http://127.0.0.1:${port}`;
    const stop = stopper(pid, () => exited, dir);
    try {
      await waitReady(url, () => exited);
      return { url, port, pid, stop };
    } catch (error) {
      await stop(0);
      const logTail = await tail(logFile).catch(() => '(no log)');
      if (attempt < 3 && /Address already in use|bind/i.test(logTail)) continue;
      throw new Error(`ClickHouse HTTP server did not start: ${(error as Error).message}; log: ${logTail}`);
    }
  }
}

function stopper(pid: number, exited: () => boolean, dir: string): ClickHouseServer['stop'] {
  let stopping: Promise<void> | null = null;
  return (graceMs = 5_000) => {
    stopping ??= (async () => {
      signal(pid, 'SIGTERM');
      const deadline = Date.now() + graceMs;
      while (!exited() && Date.now() < deadline) await sleep(20);
      if (!exited()) {
        signal(pid, 'SIGKILL');
        const killDeadline = Date.now() + 5_000;
        while (!exited() && Date.now() < killDeadline) await sleep(20);
      }
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
}

/** Waits until `GET /ping` answers `Ok.` and `SELECT 1` runs. */
async function waitReady(url: string, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (exited()) throw new Error('the launcher exited');
    try {
      const ping = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1_000) });
      const select = ping.ok ? await fetch(`${url}/?query=SELECT%201`, { signal: AbortSignal.timeout(2_000) }) : null;
      if (select?.ok && (await select.text()).trim() === '1') return;
      last = `HTTP ${ping.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(50);
  }
  throw new Error(`not ready within ${READY_TIMEOUT_MS} ms (${last})`);
}

/**
 * The launcher binary, compiled from scripts/clickhouse-http.c against the installed libchdb.so
 * when the cache holds none for this source and library (the name carries a hash of both).
 */
export async function buildLauncher(): Promise<string> {
  const libDir = findLibChdbDir();
  const source = await readFile(LAUNCHER_SOURCE);
  const hash = createHash('sha256').update(source).update(libDir).digest('hex').slice(0, 12);
  const binary = join(CACHE_DIR, `clickhouse-http-${hash}`);
  if (await exists(binary)) return binary;
  const cc = process.env.CC ?? (await findOnPath('cc')) ?? (await findOnPath('gcc'));
  if (!cc) throw new Error('no C compiler (cc) on PATH to build scripts/clickhouse-http.c');
  mkdirSync(CACHE_DIR, { recursive: true });
  const partial = `${binary}.${process.pid}.tmp`;
  try {
    await run(cc, ['-O1', '-o', partial, LAUNCHER_SOURCE, `-L${libDir}`, '-lchdb', `-Wl,-rpath,${libDir}`]);
  } catch (error) {
    rmSync(partial, { force: true });
    throw new Error(`cc could not build scripts/clickhouse-http.c: ${describeExecError(error)}`);
  }
  renameSync(partial, binary); // atomic: parallel test files never run a half-written binary
  return binary;
}

function findLibChdbDir(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('@chdb/lib-linux-x64-gnu/package.json');
  } catch {
    throw new Error('@chdb/lib-linux-x64-gnu (libchdb.so, installed with the chdb devDependency) is missing');
  }
  const dir = dirname(pkg);
  if (!existsSync(join(dir, 'libchdb.so'))) throw new Error(`${dir}/libchdb.so is missing`);
  return dir;
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
