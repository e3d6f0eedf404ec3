/**
 * Fresh operational stores for integration tests, on every supported database: run the same
 * suite against PGlite and PostgreSQL with `describeEachStore`. Each `create()` gives its own
 * migrated, empty database, so test files can run in parallel.
 *
 * @example
 * describeEachStore('recordPayments', (kind) => {
 *   let db: TestStore;
 *   beforeEach(async () => { db = await kind.create(); });
 *   afterEach(() => db.close());
 *   it('stores a payment once', async () => { ... db.store ... });
 * });
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { describe, inject } from 'vitest';
import { migrate } from '../../src/store/migrator.js';
import { createPgliteStore, openPglite } from '../../src/store/pglite-adapter.js';
import { createPgPool, createPostgresStore } from '../../src/store/postgres-adapter.js';
import type { OperationalStore } from '../../src/store/store-port.js';
import type { HarnessComponent } from './global-setup.js';

const run = promisify(execFile);

export interface TestStore {
  name: 'pglite' | 'postgres';
  store: OperationalStore;
  /** postgres URL or pglite data dir */
  location: string;
  close(): Promise<void>;
}

export interface StoreKind {
  name: 'pglite' | 'postgres';
  available: boolean;
  /** a fresh, migrated, empty database */
  create(): Promise<TestStore>;
}

/** Both store kinds; PostgreSQL is unavailable only when the harness could not start it outside CI. */
export function storeKinds(): StoreKind[] {
  return [
    { name: 'pglite', available: true, create: createPgliteTestStore },
    { name: 'postgres', available: postgresAvailable() || isCi(), create: createPostgresTestStore },
  ];
}

/**
 * Declares `describe(title [kind])` once per store kind. A kind that is unavailable is declared
 * with `describe.skip` (the harness has already printed why, loudly, once).
 */
export function describeEachStore(title: string, fn: (kind: StoreKind) => void): void {
  for (const kind of storeKinds()) {
    if (kind.available) {
      describe(`${title} [${kind.name}]`, () => fn(kind));
    } else {
      const status = postgresStatus();
      const reason = status.available ? 'unavailable' : status.reason;
      describe.skip(`${title} [${kind.name}] — SKIPPED: ${reason}`, () => fn(kind));
    }
  }
}

/** True when the harness has a PostgreSQL server for this run. */
export function postgresAvailable(): boolean {
  return postgresStatus().available;
}

/**
 * Creates a fresh EMPTY (unmigrated) database on the harness's PostgreSQL server and returns its
 * URL. The harness drops it at the end of the run; drop it earlier if you create many.
 */
export async function createPostgresDatabase(): Promise<string> {
  const admin = adminUrl();
  const name = `test_${inject('payscopeRunId') ?? 'norun'}_${randomBytes(5).toString('hex')}`;
  await withAdminClient(admin, (client) => client.query(`CREATE DATABASE "${name}"`));
  return databaseUrl(admin, name);
}

async function createPostgresTestStore(): Promise<TestStore> {
  const url = await createPostgresDatabase();
  const pool = createPgPool(url, { min: 0, max: 10 });
  // DROP DATABASE … WITH (FORCE) may kill a connection the pool is still closing.
  pool.on('error', () => undefined);
  const store = createPostgresStore(pool);
  const close = once(async () => {
    if (!pool.ended) await pool.end();
    await dropPostgresDatabase(url);
  });
  try {
    await migrateOrThrow(store);
  } catch (error) {
    await close();
    throw error;
  }
  return { name: 'postgres', store, location: url, close };
}

async function createPgliteTestStore(): Promise<TestStore> {
  const template = await pgliteTemplate();
  const dataDir = await mkdtemp(join(tmpdir(), 'payscope-pglite-'));
  const removeDir = () => rm(dataDir, { recursive: true, force: true });
  let store: OperationalStore;
  try {
    if (template) await run('cp', ['-R', `${template}/.`, dataDir]);
    store = createPgliteStore(await openPglite(dataDir), removeDir);
  } catch (error) {
    await removeDir();
    throw error;
  }
  const close = once(() => store.close());
  try {
    await migrateOrThrow(store);
  } catch (error) {
    await close();
    throw error;
  }
  return { name: 'pglite', store, location: dataDir, close };
}

let pgliteTemplatePromise: Promise<string | undefined> | undefined;

/**
 * A fresh, unmigrated PGlite data directory, made once per run and copied for each store:
 * PGlite's in-WebAssembly initdb costs ~6 s of CPU, copying the result ~1 s. Several workers may
 * build it at once; the first to rename its copy into place wins.
 */
function pgliteTemplate(): Promise<string | undefined> {
  pgliteTemplatePromise ??= (async () => {
    const harnessDir: string | undefined = inject('payscopeHarnessDir');
    if (!harnessDir) return undefined;
    const target = join(harnessDir, 'pglite-template');
    if (
      await access(join(target, 'PG_VERSION')).then(
        () => true,
        () => false,
      )
    )
      return target;
    const building = await mkdtemp(join(harnessDir, 'pglite-template-building-'));
    await (await openPglite(building)).close();
    try {
      await rename(building, target);
    } catch (error) {
      await rm(building, { recursive: true, force: true });
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    }
    return target;
  })();
  return pgliteTemplatePromise;
}

async function migrateOrThrow(store: OperationalStore): Promise<void> {
  const result = await migrate(store);
  if (!result.ok) {
    throw new Error(`migration ${result.failed.version} (${result.failed.name}) failed: ${result.error.message}`, { cause: result.error });
  }
}

async function dropPostgresDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  // Guard: the harness drops only databases it named.
  if (!/^test_[a-z0-9]+_[a-f0-9]+$/.test(name)) throw new Error(`refusing to drop database "${name}": not a test database`);
  await withAdminClient(adminUrl(), (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

function postgresStatus(): { available: true; url: string } | { available: false; reason: string } {
  const status: HarnessComponent | undefined = inject('payscopePostgres');
  if (!status) return { available: false, reason: 'the test harness (test/harness/global-setup.ts) did not run' };
  return status;
}

function adminUrl(): string {
  const status = postgresStatus();
  if (!status.available) throw new Error(`PostgreSQL is not available to tests: ${status.reason}`);
  return status.url;
}

function databaseUrl(admin: string, database: string): string {
  const url = new URL(admin);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdminClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'payscope-test-harness' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function isCi(): boolean {
  return process.env.CI === 'true';
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let pending: Promise<void> | undefined;
  return () => {
    pending ??= fn();
    return pending;
  };
}
