/**
 * Fresh warehouses for integration tests, on every engine: run the same suite against DuckDB and
 * ClickHouse with `describeEachWarehouse`, as `describeEachStore` does for the operational stores.
 * ClickHouse here is chDB in the test process (one data directory per process, a fresh database
 * per `openTestWarehouse`); a real server over HTTP is test/harness/clickhouse-server.ts's job.
 *
 * @example
 * describeEachWarehouse('rollups', (engine) => {
 *   let w: TestWarehouse;
 *   beforeEach(async () => { w = await openTestWarehouse(engine); });
 *   afterEach(() => w.close());
 *   it('adds a delta to every grain', async () => { ... w.warehouse ... });
 * });
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
import { openClickHouseWarehouse } from '../../src/warehouse/clickhouse/clickhouse-adapter.js';
import { createClickHouseClient } from '../../src/warehouse/clickhouse/clickhouse-client.js';
import type { CommitStep } from '../../src/warehouse/clickhouse/clickhouse-writes.js';
import { openDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-adapter.js';
import type { Warehouse } from '../../src/warehouse/warehouse-port.js';
import { testLogger } from './event-logs.js';

export type WarehouseEngine = 'duckdb' | 'clickhouse';
export const WAREHOUSE_ENGINES: readonly WarehouseEngine[] = ['duckdb', 'clickhouse'];

export interface TestWarehouse {
  engine: WarehouseEngine;
  warehouse: Warehouse;
  /** Opens the same warehouse again (the same ClickHouse database or DuckDB file) after `warehouse` was closed. */
  reopen(options?: OpenOptions): Promise<Warehouse>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** A DuckDB file instead of `:memory:` (needed to reopen a DuckDB warehouse). */
  duckDbPath?: string;
  exportDir?: string;
  /** ClickHouse only: a throw here stops a commit between its steps, as a crash would. */
  onCommitStep?: (step: CommitStep, detail: { batch: number; table?: string; chunk?: number }) => void;
  /** ClickHouse only: finished batches whose journal rows are kept. */
  journalRetainBatches?: number;
}

let chdbState: { available: true; dir: string } | { available: false; reason: string } | null = null;

/** chDB is a devDependency: missing, its suites skip loudly — except under CI=true, where they fail. */
function chdbStatus(): { available: true; dir: string } | { available: false; reason: string } {
  if (chdbState) return chdbState;
  try {
    createRequire(import.meta.url).resolve('chdb/connection');
    // One data directory per process (chDB allows one); test files run in separate processes.
    const dir = mkdtempSync(join(tmpdir(), 'payscope-chdb-'));
    process.once('exit', () => {
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      } catch {
        // A temp directory left behind is not a test failure.
      }
    });
    chdbState = { available: true, dir };
  } catch (error) {
    chdbState = { available: false, reason: `chdb is not installed (${(error as Error).message.split('\n')[0]})` };
  }
  return chdbState;
}

let removalRegistered = false;
/** The process's chDB directory goes when the file's tests are done (a killed worker fires no 'exit'). */
function removeChdbDirAfterFile(): void {
  if (removalRegistered) return;
  removalRegistered = true;
  afterAll(() => {
    if (!chdbState?.available) return;
    // chDB may still be finishing a background merge in the directory: retry, and leave the rest
    // to the process's exit hook rather than fail a suite over a temp directory.
    try {
      rmSync(chdbState.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch (error) {
      console.warn(`could not remove ${chdbState.dir} yet: ${(error as Error).message}`);
    }
  });
}

function isCi(): boolean {
  return process.env.CI === 'true';
}

/** Declares `describe(title [engine])` once per warehouse engine; ClickHouse skips with one loud line when chDB is missing outside CI. */
export function describeEachWarehouse(title: string, fn: (engine: WarehouseEngine) => void): void {
  removeChdbDirAfterFile();
  for (const engine of WAREHOUSE_ENGINES) {
    const status = engine === 'clickhouse' ? chdbStatus() : { available: true as const };
    if (status.available || isCi()) {
      describe(`${title} [${engine}]`, () => fn(engine));
    } else {
      console.warn(`!!! ${title} [clickhouse] SKIPPED: ${status.reason}`);
      describe.skip(`${title} [${engine}] — SKIPPED: ${status.reason}`, () => fn(engine));
    }
  }
}

/** A fresh, empty warehouse on `engine`. */
export async function openTestWarehouse(engine: WarehouseEngine, options: OpenOptions = {}): Promise<TestWarehouse> {
  if (engine === 'duckdb') {
    const path = options.duckDbPath ?? ':memory:';
    const open = (o: OpenOptions) => openDuckDbWarehouse({ path, logger: testLogger, ...(o.exportDir ? { exportDir: o.exportDir } : {}) });
    let warehouse = await open(options);
    return {
      engine,
      get warehouse() {
        return warehouse;
      },
      async reopen(o = options) {
        if (path === ':memory:') throw new Error('reopen needs a DuckDB file: pass duckDbPath');
        warehouse = await open(o);
        return warehouse;
      },
      close: () => warehouse.close(),
    };
  }
  const status = chdbStatus();
  if (!status.available) throw new Error(`ClickHouse warehouse tests need chDB: ${status.reason}`);
  const database = `test_${randomBytes(5).toString('hex')}`;
  const open = async (o: OpenOptions) => {
    const client = await createClickHouseClient(`chdb:${status.dir}`, database);
    return openClickHouseWarehouse({
      client,
      database,
      logger: testLogger,
      ...(o.exportDir ? { exportDir: o.exportDir } : {}),
      ...(o.onCommitStep ? { onCommitStep: o.onCommitStep } : {}),
      ...(o.journalRetainBatches ? { journalRetainBatches: o.journalRetainBatches } : {}),
    });
  };
  let warehouse = await open(options);
  return {
    engine,
    get warehouse() {
      return warehouse;
    },
    async reopen(o = {}) {
      warehouse = await open(o);
      return warehouse;
    },
    close: () => warehouse.close(),
  };
}

/**
 * Environment for a test app (`startTestApp`) whose warehouse is ClickHouse in this process: the
 * process's chDB directory and a fresh database.
 */
export function clickHouseTestEnv(): Record<string, string> {
  const status = chdbStatus();
  if (!status.available) throw new Error(`a ClickHouse test app needs chDB: ${status.reason}`);
  removeChdbDirAfterFile();
  return { CLICKHOUSE_URL: `chdb:${status.dir}`, CLICKHOUSE_DATABASE: `app_${randomBytes(5).toString('hex')}` };
}
