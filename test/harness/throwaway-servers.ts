/**
 * Throwaway servers on free loopback ports, shared by the test harness (global-setup.ts) and the
 * benchmarks (bench/support/throwaway-postgres.ts): a PostgreSQL cluster started with `initdb`
 * (trust auth) and `pg_ctl` — as the `postgres` OS user when we run as root, since PostgreSQL
 * refuses to run as root — plus the small process and file helpers both need.
 *
 * Nothing here reads vitest: the module is plain Node so `tsx` can run it from the bench tree.
 * `PAYSCOPE_PG_BIN` (directory holding initdb/pg_ctl) overrides where the PostgreSQL binaries are
 * looked for.
 */
import { execFile, execFileSync } from 'node:child_process';
import { access, chown, constants, mkdir, readdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

/** `execFile` as a promise: resolves with `{ stdout, stderr }`, rejects with them on the error. */
export const run = promisify(execFile);

/** Where Debian/Ubuntu's `postgresql-15` package puts initdb and pg_ctl. */
export const PG_DEFAULT_BIN = '/usr/lib/postgresql/15/bin';
export const APT_POSTGRES = 'apt-get install postgresql';
export const APT_REDIS = 'apt-get install redis-server';

/**
 * Server settings of a throwaway cluster (`pg_ctl -o` options): loopback only, logical WAL for the
 * CDC tests, and no waiting for the disk — durable enough for tests and benchmarks, never for data.
 */
export const THROWAWAY_PG_SETTINGS: readonly string[] = [
  '-c listen_addresses=127.0.0.1',
  '-c wal_level=logical',
  '-c fsync=off',
  '-c synchronous_commit=off',
  '-c full_page_writes=off',
  '-c max_connections=300',
  // CDC tests in parallel files each hold a slot and a walsender.
  '-c max_replication_slots=50',
  '-c max_wal_senders=50',
];

/** A component that could not start, with what a human should do about it. */
export class Unavailable extends Error {
  constructor(
    readonly component: 'PostgreSQL' | 'Redis',
    readonly reason: string,
    /** e.g. `apt-get install postgresql` */
    readonly fix: string,
  ) {
    super(`${component}: ${reason}`);
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** A running throwaway cluster. */
export interface ThrowawayPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth, no password). */
  url: string;
  port: number;
  /** The postmaster's pid, or null if postmaster.pid could not be read. */
  postmasterPid: number | null;
  /** `pg_ctl stop -m immediate`; rejects if pg_ctl fails. Does not remove the directory. */
  stop(): Promise<void>;
  /** Synchronous `pg_ctl stop -m immediate`, for a process `exit` handler; throws if pg_ctl fails. */
  stopSync(): void;
}

/**
 * Creates a cluster in `dir` (`dir/data`, `dir/socket`, `dir/postgres.log`; `dir` is created if
 * missing and given to the user the server runs as) and starts it on a free 127.0.0.1 port with
 * `settings` (`pg_ctl -o` options such as `-c fsync=off`). The caller removes `dir` after `stop`.
 * Throws {@link Unavailable} when the binaries, the `postgres` OS user, initdb or pg_ctl fail.
 */
export async function startThrowawayPostgres(dir: string, settings: readonly string[]): Promise<ThrowawayPostgres> {
  const bin = await findPgBin();
  const asPostgres = await postgresRunner();
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'socket');
  const logFile = join(dir, 'postgres.log');
  await mkdir(socketDir, { recursive: true });
  await asPostgres.own(dir);
  await asPostgres.own(socketDir);

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
    throw new Unavailable('PostgreSQL', `initdb failed: ${describeExecError(error)}`, APT_POSTGRES);
  }

  const pgCtl = join(bin, 'pg_ctl');
  // A port picked free may be taken before the postmaster binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const options = [`-p ${port}`, `-k ${socketDir}`, ...settings].join(' ');
    try {
      await asPostgres.exec(pgCtl, ['-D', dataDir, '-l', logFile, '-o', options, '-w', '-t', '30', 'start']);
    } catch (error) {
      const log = await tail(logFile);
      if (attempt < 3 && /could not bind|Address already in use/i.test(log)) continue;
      throw new Unavailable('PostgreSQL', `pg_ctl start failed: ${describeExecError(error)}; log: ${log}`, APT_POSTGRES);
    }
    const stopArgs = ['-D', dataDir, '-m', 'immediate', '-w', 'stop'];
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      postmasterPid: await readPostmasterPid(dir),
      stop: () => asPostgres.exec(pgCtl, stopArgs).then(() => undefined),
      stopSync: () => asPostgres.execSync(pgCtl, stopArgs),
    };
  }
}

/** The postmaster pid recorded in the cluster that {@link startThrowawayPostgres} made in `dir`. */
export async function readPostmasterPid(dir: string): Promise<number | null> {
  const text = await readFile(join(dir, 'data', 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number(text.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * The directory holding initdb and pg_ctl: `PAYSCOPE_PG_BIN` if set, else PostgreSQL 15's, else
 * the newest installed newer version. Throws {@link Unavailable} if none has both.
 */
export async function findPgBin(): Promise<string> {
  const override = process.env.PAYSCOPE_PG_BIN;
  const candidates = override ? [override] : [PG_DEFAULT_BIN, ...(await otherPgBins())];
  for (const dir of candidates) {
    if ((await isExecutable(join(dir, 'initdb'))) && (await isExecutable(join(dir, 'pg_ctl')))) return dir;
  }
  const where = override ? `PAYSCOPE_PG_BIN=${override}` : PG_DEFAULT_BIN;
  throw new Unavailable('PostgreSQL', `initdb not found in ${where}`, APT_POSTGRES);
}

/** Newer Debian/Ubuntu server packages (16, 17, …) if 15 is absent; the SQL we use runs on all. */
async function otherPgBins(): Promise<string[]> {
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  return versions
    .map(Number)
    .filter((v) => Number.isInteger(v) && v > 15)
    .sort((a, b) => b - a)
    .map((v) => `/usr/lib/postgresql/${v}/bin`);
}

/** Runs PostgreSQL's tools as the user the server runs as. */
export interface PostgresRunner {
  exec(file: string, args: string[]): Promise<{ stdout: string }>;
  execSync(file: string, args: string[]): void;
  /** Gives `path` to the user the server runs as. */
  own(path: string): Promise<void>;
}

/**
 * PostgreSQL refuses to run as root: as root, run its tools as the `postgres` OS user (through
 * runuser, or su if there is none); otherwise as ourselves. Throws {@link Unavailable} when root
 * has no `postgres` user to switch to.
 */
export async function postgresRunner(): Promise<PostgresRunner> {
  if (process.getuid?.() !== 0) {
    return {
      exec: (file, args) => run(file, args),
      execSync: (file, args) => void execFileSync(file, args, { stdio: 'ignore' }),
      own: async () => {},
    };
  }
  const entry = await run('getent', ['passwd', 'postgres']).catch(() => null);
  const [, , uid, gid] = entry?.stdout.trim().split(':') ?? [];
  if (!uid || !gid) {
    throw new Unavailable('PostgreSQL', 'running as root but there is no `postgres` OS user to run the server as', APT_POSTGRES);
  }
  const runuser = (await isExecutable('/usr/sbin/runuser'))
    ? '/usr/sbin/runuser'
    : (await isExecutable('/sbin/runuser'))
      ? '/sbin/runuser'
      : null;
  const wrap = (file: string, args: string[]): [string, string[]] =>
    runuser
      ? [runuser, ['-u', 'postgres', '--', file, ...args]]
      : ['su', ['postgres', '-s', '/bin/sh', '-c', [file, ...args].map(shellQuote).join(' ')]];
  return {
    exec: (file, args) => run(...wrap(file, args)),
    execSync: (file, args) => void execFileSync(...wrap(file, args), { stdio: 'ignore' }),
    own: (path) => chown(path, Number(uid), Number(gid)),
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** A port free on 127.0.0.1 now, found by letting the kernel pick one for a throwaway listener. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Whether `path` exists and we may execute it. */
export async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** The first executable `command` in a directory of `PATH`, if any. */
export async function findOnPath(command: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && (await isExecutable(join(dir, command)))) return join(dir, command);
  }
  return undefined;
}

/** The last `lines` lines of a log file on one line (` | `-joined), or `(empty)`. */
export async function tail(file: string, lines = 5): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-lines).join(' | ') || '(empty)';
}

/** A failed `execFile`'s stderr (else its message), first three lines, on one line. */
export function describeExecError(error: unknown): string {
  const e = error as { stderr?: string; message?: string };
  return (e.stderr?.trim() || e.message || String(error)).split('\n').slice(0, 3).join(' | ');
}

function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}
