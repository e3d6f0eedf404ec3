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
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
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
import { buildOncePerRun } from './run-cache.js';

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
  const url = await createMigratedPostgresDatabase();
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
  const dataDir = await mkdtemp(join(tmpdir(), 'payscope-pglite-'));
  const removeDir = () => rm(dataDir, { recursive: true, force: true });
  let store: OperationalStore;
  try {
    const template = await pgliteMigratedTemplate();
    if (template) await run('cp', ['-R', `${template}/.`, dataDir]);
    store = createPgliteStore(await openPglite(dataDir), removeDir);
  } catch (error) {
    await removeDir();
    throw error;
  }
  const close = once(() => store.close());
  try {
    await migrateOrThrow(store); // a no-op on the migrated copy; the whole migration without a harness
    await renewStoreId(store);
  } catch (error) {
    await close();
    throw error;
  }
  return { name: 'pglite', store, location: dataDir, close };
}

/**
 * Fills `dataDir` (empty or missing) with a migrated PGlite database of its own, as the app's
 * first start would leave it: copied from the run's migrated template (~0.3 s instead of PGlite's
 * in-WebAssembly initdb and the migrations, ~3 s of CPU), with a new `store_id`. Outside a
 * harness run it does nothing and the app creates the database itself.
 */
export async function seedMigratedPglite(dataDir: string): Promise<void> {
  const template = await pgliteMigratedTemplate();
  if (!template) return;
  await mkdir(dataDir, { recursive: true });
  await run('cp', ['-R', `${template}/.`, dataDir]);
  const store = createPgliteStore(await openPglite(dataDir));
  try {
    await renewStoreId(store);
  } finally {
    await store.close();
  }
}

/**
 * Creates a fresh MIGRATED database on the harness's PostgreSQL server (a copy of the run's
 * migrated template database, with a new `store_id`) and returns its URL. Use
 * `createPostgresDatabase()` for tests of migration itself.
 */
export async function createMigratedPostgresDatabase(): Promise<string> {
  const admin = adminUrl();
  const template = await postgresMigratedTemplate();
  const name = `test_${inject('payscopeRunId') ?? 'norun'}_${randomBytes(5).toString('hex')}`;
  await withAdminClient(admin, (client) => client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  const url = databaseUrl(admin, name);
  const client = new pg.Client({ connectionString: url, application_name: 'payscope-test-harness' });
  await client.connect();
  try {
    await client.query(RENEW_STORE_ID);
  } finally {
    await client.end();
  }
  return url;
}

/**
 * The migration writes a random `store_id` (it namespaces the Redis dedup keys): a copy of a
 * template must not share it with the other copies, or two apps on one Redis would see each
 * other's references.
 */
const RENEW_STORE_ID = `UPDATE payment_service.meta SET value = gen_random_uuid()::text WHERE key = 'store_id'`;

async function renewStoreId(store: OperationalStore): Promise<void> {
  await store.query(RENEW_STORE_ID);
}

let pgliteTemplatePromise: Promise<string | undefined> | undefined;

/**
 * A fresh, unmigrated PGlite data directory, made once per run and copied for each store:
 * PGlite's in-WebAssembly initdb costs ~6 s of CPU, copying the result ~0.3 s.
 */
function pgliteTemplate(): Promise<string | undefined> {
  pgliteTemplatePromise ??= buildOncePerRun('pglite-template', async (dir) => {
    await (await openPglite(dir)).close();
  });
  return pgliteTemplatePromise;
}

let pgliteMigratedTemplatePromise: Promise<string | undefined> | undefined;

/** The unmigrated template with every migration applied, made once per run. */
function pgliteMigratedTemplate(): Promise<string | undefined> {
  pgliteMigratedTemplatePromise ??= (async () => {
    const base = await pgliteTemplate();
    if (!base) return undefined;
    return buildOncePerRun('pglite-migrated-template', async (dir) => {
      await run('cp', ['-R', `${base}/.`, dir]);
      const store = createPgliteStore(await openPglite(dir));
      try {
        await migrateOrThrow(store);
      } finally {
        await store.close();
      }
    });
  })();
  return pgliteMigratedTemplatePromise;
}

let postgresTemplatePromise: Promise<string> | undefined;

/** The name of this run's migrated template database on the harness's PostgreSQL server. */
function postgresMigratedTemplate(): Promise<string> {
  postgresTemplatePromise ??= (async () => {
    const admin = adminUrl();
    const name = `test_${inject('payscopeRunId') ?? 'norun'}_template`;
    const built = await buildOncePerRun('postgres-template', async () => {
      await withAdminClient(admin, (client) => client.query(`CREATE DATABASE "${name}"`));
      const pool = createPgPool(databaseUrl(admin, name), { min: 0, max: 2 });
      try {
        await migrateOrThrow(createPostgresStore(pool));
      } finally {
        await pool.end();
      }
    });
    if (!built) throw new Error('the PostgreSQL template database needs the test harness (test/harness/global-setup.ts)');
    return name;
  })();
  return postgresTemplatePromise;
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
