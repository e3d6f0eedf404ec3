/**
 * A PostgreSQL server for one benchmark run: a throwaway cluster started by the same code as the
 * test harness's (test/harness/throwaway-servers.ts: initdb with trust auth, pg_ctl on a free
 * loopback port, fsync and synchronous_commit off, run as the `postgres` OS user when we are
 * root), or the server named by BENCH_DATABASE_URL. Either way each run gets a fresh database
 * whose name holds "bench", dropped (or removed with the cluster) when the run ends.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  startThrowawayPostgres,
  THROWAWAY_PG_SETTINGS,
  type ThrowawayPostgres,
  Unavailable,
} from '../../test/harness/throwaway-servers.js';
import { processTree } from './cpu-usage.js';

/** The same server settings as the test harness: durable enough for a benchmark, never for data. */
export const THROWAWAY_SERVER_SETTINGS: readonly string[] = THROWAWAY_PG_SETTINGS;

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
  const baseDir = await mkdtemp(join(tmpdir(), 'payscope-bench-pg-'));
  await chmod(baseDir, 0o755); // the postgres OS user must reach its cluster directory inside

  let cluster: ThrowawayPostgres | undefined;
  const stopSyncOnExit = () => {
    try {
      cluster?.stopSync();
    } catch {
      // already stopped
    }
    rmSync(baseDir, { recursive: true, force: true });
  };
  process.once('exit', stopSyncOnExit);

  try {
    cluster = await startThrowawayPostgres(baseDir, THROWAWAY_SERVER_SETTINGS);
  } catch (error) {
    if (error instanceof Unavailable) throw new Error(`${error.reason} (${error.fix}, or set BENCH_DATABASE_URL)`);
    throw error;
  }
  const started = cluster;
  return {
    url: started.url,
    postmasterPid: started.postmasterPid,
    async stop() {
      process.removeListener('exit', stopSyncOnExit);
      await started.stop().catch(() => undefined);
      cluster = undefined;
      await rm(baseDir, { recursive: true, force: true });
    },
  };
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
