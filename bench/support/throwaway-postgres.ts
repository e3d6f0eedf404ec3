/**
 * A PostgreSQL server for one benchmark run: a throwaway cluster started the way the test harness
 * starts its own (test/harness/global-setup.ts: initdb with trust auth, pg_ctl on a free loopback
 * port, fsync and synchronous_commit off, run as the `postgres` OS user when we are root), or the
 * server named by BENCH_DATABASE_URL. Either way each run gets a fresh database whose name holds
 * "bench", dropped (or removed with the cluster) when the run ends.
 *
 * The harness keeps its start-up logic private to vitest's global setup, so the few steps are
 * repeated here rather than exported from the test tree.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { access, chmod, chown, constants, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { processTree } from './cpu-usage.js';
import { freePort } from './free-port.js';

const run = promisify(execFile);
const PG_DEFAULT_BIN = '/usr/lib/postgresql/15/bin';

/** The same server settings as the test harness: durable enough for a benchmark, never for data. */
export const THROWAWAY_SERVER_SETTINGS = [
  '-c listen_addresses=127.0.0.1',
  '-c wal_level=logical',
  '-c fsync=off',
  '-c synchronous_commit=off',
  '-c full_page_writes=off',
  '-c max_connections=300',
  '-c max_replication_slots=50',
  '-c max_wal_senders=50',
];

export interface BenchPostgres {
  /** Where the server came from, for the report. */
  origin: 'throwaway cluster' | 'BENCH_DATABASE_URL';
  /** The PostgreSQL server version, e.g. "15.14". */
  version: string;
  /** The postmaster and its backends (empty for a server of your own), to measure their CPU. */
  pids(): number[];
  /** Creates an empty database for one measurement and returns its URL. */
  createDatabase(label: string): Promise<string>;
  /** Drops the databases created here, and stops and removes a throwaway cluster. */
  stop(): Promise<void>;
}

/** Starts (or connects to) the server every PostgreSQL measurement of this run uses. */
export async function startBenchPostgres(): Promise<BenchPostgres> {
  const external = process.env.BENCH_DATABASE_URL;
  const server = external ? { url: external, postmasterPid: null, stop: async () => {} } : await startThrowawayCluster();
  const created: string[] = [];
  const admin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: server.url, application_name: 'payscope-bench' });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => {});
    }
  };
  let version: string;
  try {
    version = await admin(
      async (c) => (await c.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? 'unknown',
    );
  } catch (error) {
    await server.stop();
    const where = external ? `BENCH_DATABASE_URL=${redact(external)}` : 'the throwaway cluster';
    throw new Error(`cannot reach PostgreSQL at ${where}: ${(error as Error).message}`);
  }
  const runId = randomBytes(3).toString('hex');
  return {
    origin: external ? 'BENCH_DATABASE_URL' : 'throwaway cluster',
    version,
    pids: () => (server.postmasterPid === null ? [] : processTree(server.postmasterPid)),
    async createDatabase(label) {
      const name = `payscope_bench_${runId}_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${created.length}`;
      await admin((c) => c.query(`CREATE DATABASE "${name}"`));
      created.push(name);
      const url = new URL(server.url);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async stop() {
      if (external) {
        await admin(async (c) => {
          for (const name of created) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        }).catch((e: Error) => process.stderr.write(`bench: could not drop the run's databases: ${e.message}\n`));
      }
      await server.stop();
    },
  };
}

async function startThrowawayCluster(): Promise<{ url: string; postmasterPid: number | null; stop(): Promise<void> }> {
  const bin = await findPgBin();
  const asPostgres = await postgresRunner();
  const baseDir = await mkdtemp(join(tmpdir(), 'payscope-bench-pg-'));
  await chmod(baseDir, 0o755); // the postgres OS user must reach its cluster directory inside
  const dataDir = join(baseDir, 'data');
  const socketDir = join(baseDir, 'socket');
  const logFile = join(baseDir, 'postgres.log');
  await mkdir(socketDir, { recursive: true });
  await asPostgres.own(baseDir);
  await asPostgres.own(socketDir);
  const pgCtl = join(bin, 'pg_ctl');
  const stopArgs = ['-D', dataDir, '-m', 'immediate', '-w', 'stop'];

  let running = false;
  const stopSyncOnExit = () => {
    if (running) {
      try {
        asPostgres.execSync(pgCtl, stopArgs);
      } catch {
        // already stopped
      }
    }
    rmSync(baseDir, { recursive: true, force: true });
  };
  process.once('exit', stopSyncOnExit);

  try {
    await asPostgres.exec(join(bin, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '--auth=trust',
      '--no-sync',
      '--no-instructions',
      '-E',
      'UTF8',
      '--locale=C',
    ]);
  } catch (error) {
    throw new Error(`initdb failed (is Debian's postgresql package installed?): ${describeExecError(error)}`);
  }
  // A port picked free may be taken before the postmaster binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const options = [`-p ${port}`, `-k ${socketDir}`, ...THROWAWAY_SERVER_SETTINGS].join(' ');
    try {
      await asPostgres.exec(pgCtl, ['-D', dataDir, '-l', logFile, '-o', options, '-w', '-t', '30', 'start']);
    } catch (error) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      if (attempt < 3 && /could not bind|Address already in use/i.test(log)) continue;
      throw new Error(`pg_ctl start failed: ${describeExecError(error)}; log: ${log.trim().split('\n').slice(-5).join(' | ')}`);
    }
    running = true;
    const postmasterPid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      postmasterPid: Number.isInteger(postmasterPid) && postmasterPid > 0 ? postmasterPid : null,
      async stop() {
        process.removeListener('exit', stopSyncOnExit);
        await asPostgres.exec(pgCtl, stopArgs).catch(() => undefined);
        running = false;
        await rm(baseDir, { recursive: true, force: true });
      },
    };
  }
}

async function findPgBin(): Promise<string> {
  const override = process.env.PAYSCOPE_PG_BIN;
  const newer = (await readdir('/usr/lib/postgresql').catch(() => [] as string[]))
    .map(Number)
    .filter((v) => Number.isInteger(v) && v > 15)
    .sort((a, b) => b - a)
    .map((v) => `/usr/lib/postgresql/${v}/bin`);
  for (const dir of override ? [override] : [PG_DEFAULT_BIN, ...newer]) {
    if ((await isExecutable(join(dir, 'initdb'))) && (await isExecutable(join(dir, 'pg_ctl')))) return dir;
  }
  throw new Error(
    `initdb not found in ${override ? `PAYSCOPE_PG_BIN=${override}` : PG_DEFAULT_BIN}; apt-get install postgresql, or set BENCH_DATABASE_URL`,
  );
}

interface Runner {
  exec(file: string, args: string[]): Promise<{ stdout: string }>;
  execSync(file: string, args: string[]): void;
  own(path: string): Promise<void>;
}

/** PostgreSQL refuses to run as root: as root, run its tools as the `postgres` OS user. */
async function postgresRunner(): Promise<Runner> {
  if (process.getuid?.() !== 0) {
    return {
      exec: (file, args) => run(file, args),
      execSync: (file, args) => void execFileSync(file, args, { stdio: 'ignore' }),
      own: async () => {},
    };
  }
  const entry = await run('getent', ['passwd', 'postgres']).catch(() => null);
  const [, , uid, gid] = entry?.stdout.trim().split(':') ?? [];
  if (!uid || !gid) throw new Error('running as root but there is no `postgres` OS user to run the server as');
  const runuser = (await isExecutable('/usr/sbin/runuser')) ? '/usr/sbin/runuser' : '/sbin/runuser';
  const wrap = (file: string, args: string[]): [string, string[]] => [runuser, ['-u', 'postgres', '--', file, ...args]];
  return {
    exec: (file, args) => run(...wrap(file, args)),
    execSync: (file, args) => void execFileSync(...wrap(file, args), { stdio: 'ignore' }),
    own: (path) => chown(path, Number(uid), Number(gid)),
  };
}

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

function describeExecError(error: unknown): string {
  const e = error as { stderr?: string; message?: string };
  return (e.stderr?.trim() || e.message || String(error)).split('\n').slice(0, 3).join(' | ');
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
