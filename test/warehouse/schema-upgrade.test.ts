import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { paymentContribution } from '../../src/pipeline/facts/index.js';
import { openDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-adapter.js';
import { GRAINS, type RollupDelta, type RowOf, rollupTable } from '../../src/warehouse/tables.js';
import { testLogger } from '../harness/event-logs.js';
import { warehousePayment } from '../harness/warehouse-payments.js';

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
  measures: {
    payments: 1,
    amount_minor: amount,
    fee_minor: 0,
    tax_minor: 0,
    authorized_payments: status === 'failed' ? 0 : 1,
    captured_minor: status === 'succeeded' ? amount : 0,
    refunded_minor: 0,
  },
});

describe('warehouse schema upgrade 2 → 4 (failure_category, then the lifecycle measures)', () => {
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
      await db.run(
        `CREATE TABLE ${t}_v2 AS SELECT * EXCLUDE (failure_category, authorized_payments, captured_minor, refunded_minor) FROM ${t}`,
      );
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

/**
 * A warehouse written by version 3 (one amount per payment, four measures per payments rollup cell)
 * opens under version 4: the payments gain authorised/captured/refunded amounts as their status
 * implies, the table keeps the column order the appenders write in, the rollups gain the new
 * measures with exactly the values `paymentContribution` gives the upgraded rows — so a later
 * change of such a payment takes out what was put in, and the rollups still equal the facts.
 */
describe('warehouse schema upgrade 3 → 4 (payment lifecycle amounts)', () => {
  let dir: string;
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const rollupSums = (w: Awaited<ReturnType<typeof openDuckDbWarehouse>>, grain: (typeof GRAINS)[number]) =>
    w.query(
      `SELECT status, sum(payments)::INT AS payments, sum(amount_minor)::INT AS amount_minor, sum(authorized_payments)::INT AS authorized_payments,
              sum(captured_minor)::INT AS captured_minor, sum(refunded_minor)::INT AS refunded_minor
       FROM ${rollupTable('payments', grain)} GROUP BY status HAVING sum(payments) <> 0 ORDER BY status`,
    );
  const factSums = (w: Awaited<ReturnType<typeof openDuckDbWarehouse>>) =>
    w.query(
      `SELECT status, count(*)::INT AS payments, sum(amount_minor)::INT AS amount_minor, count(authorized_minor)::INT AS authorized_payments,
              coalesce(sum(captured_minor) FILTER (WHERE status IN ('captured', 'succeeded')), 0)::INT AS captured_minor,
              sum(refunded_minor)::INT AS refunded_minor
       FROM payments GROUP BY status ORDER BY status`,
    );

  it('backfills the amounts and the new rollup measures from the status, and later changes keep rollups equal to the facts', async () => {
    dir = await mkdtemp(join(tmpdir(), 'payscope-wh-upgrade4-'));
    const path = join(dir, 'warehouse.duckdb');
    const rows = [
      warehousePayment('V3-OK', { status: 'succeeded', amount_minor: 10_000 }),
      warehousePayment('V3-AUTH', { status: 'authorized', amount_minor: 7_000 }),
      warehousePayment('V3-FAIL', { status: 'failed', amount_minor: 3_000 }),
    ];
    let warehouse = await openDuckDbWarehouse({ path, logger: testLogger });
    await warehouse.transaction(async (tx) => {
      await tx.replace('payments', rows);
      await tx.addToRollups(rows.map((r) => paymentContribution(r, 1)));
    });
    await warehouse.close();

    // Put the file back into version 3's shape: no lifecycle columns, four measures per rollup cell.
    const instance = await DuckDBInstance.create(path);
    const db = await instance.connect();
    for (const c of ['authorized_minor', 'captured_minor', 'refunded_minor', 'disputed_minor', 'ledger_version'])
      await db.run(`ALTER TABLE payments DROP COLUMN ${c}`);
    for (const c of ['from_status', 'to_status', 'applied', 'version']) await db.run(`ALTER TABLE payment_status_history DROP COLUMN ${c}`);
    for (const grain of GRAINS) {
      const t = rollupTable('payments', grain);
      for (const m of ['authorized_payments', 'captured_minor', 'refunded_minor']) await db.run(`ALTER TABLE ${t} DROP COLUMN ${m}`);
    }
    await db.run(`UPDATE warehouse_meta SET value = '3' WHERE key = 'schema_version'`);
    db.closeSync();
    instance.closeSync();

    warehouse = await openDuckDbWarehouse({ path, logger: testLogger });
    try {
      expect(
        await warehouse.query(
          'SELECT reference_number, authorized_minor, captured_minor, refunded_minor, disputed_minor, ledger_version FROM payments ORDER BY 1',
        ),
      ).toEqual([
        {
          reference_number: 'V3-AUTH',
          authorized_minor: 7_000,
          captured_minor: null,
          refunded_minor: 0,
          disputed_minor: 0,
          ledger_version: 1,
        },
        {
          reference_number: 'V3-FAIL',
          authorized_minor: null,
          captured_minor: null,
          refunded_minor: 0,
          disputed_minor: 0,
          ledger_version: 1,
        },
        {
          reference_number: 'V3-OK',
          authorized_minor: 10_000,
          captured_minor: 10_000,
          refunded_minor: 0,
          disputed_minor: 0,
          ledger_version: 1,
        },
      ]);
      for (const grain of GRAINS) expect(await rollupSums(warehouse, grain), grain).toEqual(await factSums(warehouse));

      // The authorised payment is captured partially: out with its upgraded row, in with the new one.
      const [auth] = (await warehouse.query<RowOf<'payments'>>(
        `SELECT * FROM payments WHERE reference_number = 'V3-AUTH'`,
      )) as RowOf<'payments'>[];
      const captured = { ...(auth as RowOf<'payments'>), status: 'captured', captured_minor: 5_000, ledger_version: 2 };
      await warehouse.transaction(async (tx) => {
        await tx.replace('payments', [captured]);
        await tx.addToRollups([paymentContribution(auth as RowOf<'payments'>, -1), paymentContribution(captured, 1)]);
      });
      expect(await warehouse.query(`SELECT status, captured_minor FROM payments WHERE reference_number = 'V3-AUTH'`)).toEqual([
        { status: 'captured', captured_minor: 5_000 },
      ]);
      for (const grain of GRAINS) expect(await rollupSums(warehouse, grain), grain).toEqual(await factSums(warehouse));
      expect((await rollupSums(warehouse, 'day')).find((r) => (r as { status: string }).status === 'captured')).toMatchObject({
        captured_minor: 5_000,
      });
    } finally {
      await warehouse.close();
    }
  });
});
