import { afterEach, expect, it } from 'vitest';
import type { CommitStep } from '../../src/warehouse/clickhouse/clickhouse-writes.js';
import { GRAINS, type RowOf, TABLES, rollupTable } from '../../src/warehouse/tables.js';
import type { Warehouse } from '../../src/warehouse/warehouse-port.js';
import { type TestWarehouse, describeEachWarehouse, openTestWarehouse } from '../harness/warehouses.js';

/**
 * ClickHouse has no multi-table transaction: a commit journals its write set in one row, then
 * inserts each table with a dedup token, then marks the batch done (clickhouse-writes.ts). A
 * commit stopped between those steps — as a crash would stop it — must leave, after the
 * warehouse is opened again, exactly the state of a commit that ran through: every fact once,
 * rollups equal to the facts, every applied event id once.
 */

const T0 = Date.UTC(2026, 10, 20, 10, 0);

function paymentRow(reference: string, minute: number, amount: number): RowOf<'payments'> {
  const row = Object.fromEntries(Object.keys(TABLES.payments.columns).map((c) => [c, null])) as RowOf<'payments'>;
  return {
    ...row,
    reference_number: reference,
    amount_minor: amount,
    currency: 'INR',
    status: 'succeeded',
    payment_time: new Date(T0 + minute * 60_000),
    in_ledger: true,
  };
}

/** One batch: `count` payments, their applied event ids and their rollup deltas. */
async function writeBatch(warehouse: Warehouse, batch: number, count: number): Promise<void> {
  const rows = Array.from({ length: count }, (_, i) => paymentRow(`B${batch}-${i}`, batch * 7 + i, 1_000 * batch + i));
  await warehouse.transaction(async (tx) => {
    await tx.replace('payments', rows);
    await tx.append(
      'applied_events',
      rows.map((r) => ({
        event_id: `ev-${r.reference_number}`,
        event_type: 'payment.recorded',
        event_time: r.payment_time,
        recorded_at: r.payment_time,
        applied_at: new Date(),
      })),
    );
    await tx.addToRollups(
      rows.map((r) => ({
        rollup: 'payments' as const,
        time: r.payment_time as Date,
        dimensions: {
          merchant_id: 'M-1',
          gateway: 'g',
          payment_method: 'upi',
          region: 'north',
          currency: 'INR',
          status: 'succeeded',
          failure_code: '',
          failure_category: '',
        },
        measures: {
          payments: 1,
          amount_minor: r.amount_minor as number,
          fee_minor: 0,
          tax_minor: 0,
          authorized_payments: 1,
          captured_minor: r.amount_minor as number,
          refunded_minor: 0,
        },
      })),
    );
  });
}

async function expectExactlyOnce(warehouse: Warehouse, batches: number[], perBatch: number): Promise<void> {
  const expectedCount = batches.length * perBatch;
  const expectedSum = batches.reduce((s, b) => s + Array.from({ length: perBatch }, (_, i) => 1_000 * b + i).reduce((x, y) => x + y, 0), 0);
  const [facts] = await warehouse.query<{ n: number; amount: number }>(
    'SELECT count(*)::BIGINT AS n, sum(amount_minor)::BIGINT AS amount FROM payments',
  );
  expect(facts).toEqual({ n: expectedCount, amount: expectedSum });
  for (const grain of GRAINS) {
    const [cells] = await warehouse.query<{ n: number; amount: number }>(
      `SELECT sum(payments)::BIGINT AS n, sum(amount_minor)::BIGINT AS amount FROM ${rollupTable('payments', grain)}`,
    );
    expect(cells, grain).toEqual(facts);
  }
  const [applied] = await warehouse.query<{ n: number; ids: number }>(
    'SELECT count(*)::BIGINT AS n, count(DISTINCT event_id)::BIGINT AS ids FROM applied_events',
  );
  expect(applied).toEqual({ n: expectedCount, ids: expectedCount });
}

describeEachWarehouse('warehouse commit stopped part-way', (engine) => {
  let w: TestWarehouse | undefined;
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });

  // DuckDB commits in one transaction: a throw inside rolls everything back (no journal to test).
  if (engine !== 'clickhouse') {
    it('rolls back a failed transaction whole', async () => {
      w = await openTestWarehouse(engine);
      await writeBatch(w.warehouse, 1, 5);
      await expect(
        w.warehouse.transaction(async (tx) => {
          await tx.replace('payments', [paymentRow('X-1', 1, 5)]);
          throw new Error('crash');
        }),
      ).rejects.toThrow('crash');
      await expectExactlyOnce(w.warehouse, [1], 5);
    });
    return;
  }

  const stops: { name: string; at: (step: CommitStep, detail: { table?: string }) => boolean }[] = [
    { name: 'right after the journal row', at: (step) => step === 'journaled' },
    { name: 'after the facts, before the applied ids and rollups', at: (step, d) => step === 'chunk-written' && d.table === 'payments' },
    { name: 'after some rollup grains', at: (step, d) => step === 'chunk-written' && d.table === rollupTable('payments', 'quarter_hour') },
    { name: 'before the done row', at: (step, d) => step === 'chunk-written' && d.table === rollupTable('payments', 'day') },
  ];

  for (const stop of stops) {
    it(`finishes a batch stopped ${stop.name} when the warehouse is opened again, once`, async () => {
      let armed = false;
      w = await openTestWarehouse(engine, {
        onCommitStep: (step, detail) => {
          if (armed && stop.at(step, detail)) throw new Error('crash');
        },
      });
      await writeBatch(w.warehouse, 1, 5);
      armed = true;
      await expect(writeBatch(w.warehouse, 2, 5)).rejects.toThrow('crash');
      // The process "dies": close without finishing, open the same database again.
      await w.warehouse.close();
      const reopened = await w.reopen();
      await expectExactlyOnce(reopened, [1, 2], 5);
      // And a third batch after the replay lands normally.
      await writeBatch(reopened, 3, 5);
      await expectExactlyOnce(reopened, [1, 2, 3], 5);
    });
  }

  it('finishes a failed commit before the next transaction in the same process', async () => {
    let failNext = false;
    w = await openTestWarehouse(engine, {
      onCommitStep: (step, detail) => {
        if (failNext && step === 'chunk-written' && detail.table === 'applied_events') {
          failNext = false;
          throw new Error('connection lost');
        }
      },
    });
    failNext = true;
    await expect(writeBatch(w.warehouse, 1, 4)).rejects.toThrow('connection lost');
    await writeBatch(w.warehouse, 2, 4);
    await expectExactlyOnce(w.warehouse, [1, 2], 4);
  });

  it('prunes the journal rows of finished batches, keeping the newest, and still replays a stopped one', async () => {
    let failNext = false;
    w = await openTestWarehouse(engine, {
      journalRetainBatches: 2,
      onCommitStep: (step, detail) => {
        if (failNext && step === 'chunk-written' && detail.table === 'payments') {
          failNext = false;
          throw new Error('connection lost');
        }
      },
    });
    for (const batch of [1, 2, 3, 4, 5, 6, 7]) await writeBatch(w.warehouse, batch, 3);
    // Pruned at batch 4 (up to 2) and 6 (up to 4): batches 5–7 keep their journal rows.
    const kept = await w.warehouse.query<{ batch: number }>('SELECT batch::BIGINT AS batch FROM write_journal ORDER BY batch');
    expect(kept.map((r) => r.batch)).toEqual([5, 6, 7]);
    failNext = true;
    await expect(writeBatch(w.warehouse, 8, 3)).rejects.toThrow('connection lost');
    await w.reopen();
    await expectExactlyOnce(w.warehouse, [1, 2, 3, 4, 5, 6, 7, 8], 3);
    await writeBatch(w.warehouse, 9, 3);
    await expectExactlyOnce(w.warehouse, [1, 2, 3, 4, 5, 6, 7, 8, 9], 3);
  });
});
