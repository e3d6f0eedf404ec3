import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyticsConsumer } from '../../src/pipeline/analytics-consumer.js';
import { createMerchantDirectory } from '../../src/pipeline/merchant-dimension.js';
import { createPseudonymiseStep } from '../../src/pipeline/pseudonymise-step.js';
import { openDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-adapter.js';
import { TABLES, type TableName } from '../../src/warehouse/tables.js';
import type { Warehouse } from '../../src/warehouse/warehouse-port.js';
import { embeddedLogFor, testLogger } from '../harness/event-logs.js';
import { cliArgs, REPO_ROOT } from '../harness/cli.js';
import { cloudEvent, logRecord, recordedEvent } from '../harness/events.js';
import { type TestStore, storeKinds } from '../harness/stores.js';
import { type TestWarehouse, describeEachWarehouse, openTestWarehouse } from '../harness/warehouses.js';

const run = promisify(execFile);
const RAW_PII = ['CIF-EXPORT-SECRET', 'CUST-EXPORT-SECRET', 'SESSION-EXPORT-SECRET'];

let dir: string;
let db: TestStore;
let warehouse: Warehouse;
const path = () => join(dir, 'warehouse.duckdb');

/** Fills a warehouse over three days with payments, refunds and behavioural events. */
async function fill(warehouse: Warehouse): Promise<void> {
  const consumer = createAnalyticsConsumer({
    log: embeddedLogFor(db),
    warehouse,
    deadLetters: db.store,
    pseudonymiser: createPseudonymiseStep({ key: 'export-test-key-0123456789' }),
    merchants: createMerchantDirectory(warehouse),
    logger: testLogger,
    maxBatchSize: 1000,
  });
  const events = [];
  for (let day = 0; day < 3; day++) {
    for (let i = 0; i < 40; i++) {
      const t = new Date(Date.UTC(2026, 10, 18 + day, 23, 59, 30) + i * 1000); // straddles UTC midnight
      events.push(
        recordedEvent(`EXP-${day}-${i}`, { payment_date: t, cif: RAW_PII[0], customer_id: RAW_PII[1], amount_minor: 1000 + i }, t),
      );
      if (i % 10 === 0) {
        events.push(
          cloudEvent(
            'payment.refunded',
            { refund_id: `rf-${day}-${i}`, reference_number: `EXP-${day}-${i}`, amount: { amount_minor: 10, currency: 'INR' } },
            { time: t },
          ),
        );
      }
      events.push(cloudEvent('product.viewed', { session_id: RAW_PII[2] }, { time: t }));
    }
  }
  await consumer.process(events.map((e) => logRecord(e)));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'payscope-export-'));
  db = await (storeKinds()[0] as { create(): Promise<TestStore> }).create();
  warehouse = await openDuckDbWarehouse({ path: path(), logger: testLogger, exportDir: dir });
  await fill(warehouse);
});
afterAll(async () => {
  await warehouse?.close();
  await db?.close();
  await rm(dir, { recursive: true, force: true });
});

async function readBack(out: string, table: TableName) {
  const columns = Object.keys(TABLES[table].columns);
  return warehouse.query(
    `SELECT ${columns.join(', ')}, "date" FROM read_parquet('${out}/${table}/*/*.parquet', hive_partitioning = true)
     ORDER BY ${columns.map((c) => `${c}::VARCHAR`).join(', ')}`,
  );
}

describe('Parquet export', () => {
  it('writes Hive-partitioned files that DuckDB reads back equal to the warehouse, per UTC day', async () => {
    const out = join(dir, 'out');
    const result = await warehouse.exportParquet({ from: '2026-11-17', to: '2026-11-22', dir: out });
    expect((await readdir(join(out, 'payments'))).sort()).toEqual([
      'date=2026-11-18',
      'date=2026-11-19',
      'date=2026-11-20',
      'date=2026-11-21',
    ]);
    for (const table of ['payments', 'refunds', 'behaviour_events', 'payment_status_history'] as const) {
      const columns = Object.keys(TABLES[table].columns);
      const time = TABLES[table].timeColumn;
      const expected = await warehouse.query(
        `SELECT ${columns.join(', ')}, strftime(${time}, '%Y-%m-%d') AS "date" FROM ${table}
         ORDER BY ${columns.map((c) => `${c}::VARCHAR`).join(', ')}`,
      );
      const back = (await readBack(out, table)).map((r) => ({
        ...r,
        date: String(r.date instanceof Date ? r.date.toISOString().slice(0, 10) : r.date),
      }));
      expect(back.length, table).toBeGreaterThan(0);
      expect(back, table).toEqual(expected);
    }
    expect(result.files.reduce((n, f) => n + (f.table === 'payments' ? f.rows : 0), 0)).toBe(120);
  });

  it('is idempotent: a second run replaces the same files and leaves the same rows', async () => {
    const out = join(dir, 'again');
    const first = await warehouse.exportParquet({ from: '2026-11-18', to: '2026-11-21', dir: out, tables: ['payments'] });
    const before = await readBack(out, 'payments');
    const second = await warehouse.exportParquet({ from: '2026-11-18', to: '2026-11-21', dir: out, tables: ['payments'] });
    expect(second.files.map((f) => f.path)).toEqual(first.files.map((f) => f.path));
    expect(await readBack(out, 'payments')).toEqual(before);
    for (const f of second.files) expect((await stat(f.path)).size).toBeGreaterThan(0);
  });

  it('exports no raw value of a personal field', async () => {
    const out = join(dir, 'pii');
    await warehouse.exportParquet({ from: '2026-11-18', to: '2026-11-21', dir: out });
    for (const table of (await readdir(out)) as TableName[]) {
      const text = JSON.stringify(await readBack(out, table));
      for (const raw of RAW_PII) expect(text, `${table} export holds ${raw}`).not.toContain(raw);
    }
  });

  it('runs from the CLI with a progress bar, and names the lock when the server holds the warehouse', async () => {
    const env = { ...process.env, DATA_DIR: dir, LOG_LEVEL: 'silent' };
    const cli = async (args: string[]) => run(process.execPath, [...(await cliArgs()), ...args], { cwd: REPO_ROOT, env, timeout: 60_000 });
    const held = await cli(['export', '--from', '2026-11-18', '--to', '2026-11-21', '--out', join(dir, 'cli')]).catch(
      (e: { stderr: string }) => e,
    );
    expect((held as { stderr: string }).stderr).toMatch(/open in another process/);
    await warehouse.close();
    try {
      const { stdout } = await cli([
        'export',
        '--from',
        '2026-11-18',
        '--to',
        '2026-11-21',
        '--out',
        join(dir, 'cli'),
        '--tables',
        'payments',
      ]);
      expect(stdout).toMatch(/wrote 4 Parquet files, 120 rows/);
      const bad = await cli(['export', '--from', '2026-11-21', '--to', '2026-11-18', '--out', join(dir, 'cli')]).catch(
        (e: { stderr: string }) => e,
      );
      expect((bad as { stderr: string }).stderr).toMatch(/--from 2026-11-21 is after --to 2026-11-18/);
    } finally {
      warehouse = await openDuckDbWarehouse({ path: path(), logger: testLogger, exportDir: dir });
    }
  });
});

/** Rows in a total order that does not depend on an engine's text form of values. */
const sortRows = (rows: Record<string, unknown>[]) =>
  rows
    .map((r) => ({ key: JSON.stringify(r), r }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((x) => x.r);

// ClickHouse writes the same Hive layout (`SELECT … FORMAT Parquet` streamed to the file); DuckDB reads it back.
describeEachWarehouse('Parquet export, read back by DuckDB', (engine) => {
  let source: TestWarehouse;
  beforeAll(async () => {
    source = await openTestWarehouse(engine, { exportDir: dir });
    await fill(source.warehouse);
  });
  afterAll(() => source?.close());

  it('writes per-UTC-day files equal to the warehouse, with no raw personal value', async () => {
    const out = join(dir, `by-${engine}`);
    const result = await source.warehouse.exportParquet({ from: '2026-11-17', to: '2026-11-22', dir: out });
    expect((await readdir(join(out, 'payments'))).sort()).toEqual([
      'date=2026-11-18',
      'date=2026-11-19',
      'date=2026-11-20',
      'date=2026-11-21',
    ]);
    expect(result.files.reduce((n, f) => n + (f.table === 'payments' ? f.rows : 0), 0)).toBe(120);
    for (const table of ['payments', 'refunds', 'behaviour_events', 'payment_status_history'] as const) {
      const columns = Object.keys(TABLES[table].columns);
      const d = source.warehouse.dialect;
      const expected = await source.warehouse.query(
        `SELECT ${columns.join(', ')}, ${d.utcDate(TABLES[table].timeColumn)} AS "date" FROM ${table}`,
      );
      const back = (await readBack(out, table)).map((r) => ({
        ...r,
        date: String(r.date instanceof Date ? r.date.toISOString().slice(0, 10) : r.date),
      }));
      expect(back.length, table).toBeGreaterThan(0);
      expect(sortRows(back), table).toEqual(sortRows(expected));
      for (const raw of RAW_PII) expect(JSON.stringify(back), `${table} export holds ${raw}`).not.toContain(raw);
    }
  });
});
