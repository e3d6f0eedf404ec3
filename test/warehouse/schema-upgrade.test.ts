import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { openDuckDbWarehouse } from '../../src/warehouse/duckdb-adapter.js';
import { GRAINS, type RollupDelta, rollupTable } from '../../src/warehouse/tables.js';
import { testLogger } from '../harness/event-logs.js';

/**
 * A warehouse written by the previous schema (version 2: no failure_category anywhere) opens
 * under version 3 without losing a count: the fact tables gain the column, the payments rollups
 * are rebuilt with the new dimension ('(unknown)' for failed cells, '' for the rest — what a later
 * update of such a payment subtracts from), and new deltas land beside them.
 */

const dims = (status: string, code: string, category: string) => ({
  merchant_id: 'M-1',
  gateway: 'razorpay',
  payment_method: 'upi',
  region: 'west',
  currency: 'INR',
  status,
  failure_code: code,
  failure_category: category,
});
const delta = (status: string, code: string, category: string, amount = 100): RollupDelta => ({
  rollup: 'payments',
  time: new Date('2026-11-20T10:07:00Z'),
  dimensions: dims(status, code, category),
  measures: { payments: 1, amount_minor: amount, fee_minor: 0, tax_minor: 0 },
});

describe('warehouse schema upgrade 2 → 3 (failure_category)', () => {
  let dir: string;
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('adds failure_category to the fact tables and rebuilds the payments rollups keeping every count', async () => {
    dir = await mkdtemp(join(tmpdir(), 'payscope-wh-upgrade-'));
    const path = join(dir, 'warehouse.duckdb');
    let warehouse = await openDuckDbWarehouse({ path, logger: testLogger });
    await warehouse.transaction((tx) =>
      tx.addToRollups([delta('failed', 'U30', ''), delta('failed', 'U30', ''), delta('succeeded', '', '', 500)]),
    );
    await warehouse.close();

    // Put the file back into version 2's shape.
    const instance = await DuckDBInstance.create(path);
    const db = await instance.connect();
    for (const grain of GRAINS) {
      const t = rollupTable('payments', grain);
      await db.run(`CREATE TABLE ${t}_v2 AS SELECT * EXCLUDE (failure_category) FROM ${t}`);
      await db.run(`DROP TABLE ${t}`);
      await db.run(
        `CREATE TABLE ${t} (bucket TIMESTAMP NOT NULL, merchant_id VARCHAR NOT NULL, gateway VARCHAR NOT NULL, payment_method VARCHAR NOT NULL,
         region VARCHAR NOT NULL, currency VARCHAR NOT NULL, status VARCHAR NOT NULL, failure_code VARCHAR NOT NULL,
         payments BIGINT NOT NULL, amount_minor BIGINT NOT NULL, fee_minor BIGINT NOT NULL, tax_minor BIGINT NOT NULL,
         PRIMARY KEY (bucket, merchant_id, gateway, payment_method, region, currency, status, failure_code))`,
      );
      await db.run(`INSERT INTO ${t} SELECT * FROM ${t}_v2`);
      await db.run(`DROP TABLE ${t}_v2`);
    }
    await db.run('ALTER TABLE payments DROP COLUMN failure_category');
    await db.run('ALTER TABLE payment_status_history DROP COLUMN failure_category');
    await db.run(`UPDATE warehouse_meta SET value = '2' WHERE key = 'schema_version'`);
    db.closeSync();
    instance.closeSync();

    warehouse = await openDuckDbWarehouse({ path, logger: testLogger });
    try {
      const cols = await warehouse.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.columns WHERE column_name = 'failure_category' AND table_schema = 'main' ORDER BY 1`,
      );
      expect(cols.map((c) => c.table_name)).toEqual(
        expect.arrayContaining(['payment_status_history', 'payments', ...GRAINS.map((g) => rollupTable('payments', g))]),
      );
      for (const grain of GRAINS) {
        const rows = await warehouse.query<{ status: string; failure_category: string; payments: number }>(
          `SELECT status, failure_category, payments::INTEGER AS payments FROM ${rollupTable('payments', grain)} ORDER BY status`,
        );
        expect(rows, grain).toEqual([
          { status: 'failed', failure_category: '(unknown)', payments: 2 },
          { status: 'succeeded', failure_category: '', payments: 1 },
        ]);
      }
      await warehouse.transaction((tx) => tx.addToRollups([delta('failed', 'U30', 'issuer_unavailable', 100)]));
      const day = await warehouse.query<{ failure_category: string; payments: number }>(
        `SELECT failure_category, sum(payments)::INTEGER AS payments FROM ${rollupTable('payments', 'day')} WHERE status = 'failed' GROUP BY 1 ORDER BY 1`,
      );
      expect(day).toEqual([
        { failure_category: '(unknown)', payments: 2 },
        { failure_category: 'issuer_unavailable', payments: 1 },
      ]);
    } finally {
      await warehouse.close();
    }
  });
});
