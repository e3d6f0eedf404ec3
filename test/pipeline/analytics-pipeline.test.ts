import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { CloudEvent } from '../../src/contracts/index.js';
import { type AnalyticsConsumer, createAnalyticsConsumer } from '../../src/pipeline/analytics-consumer.js';
import { createMerchantDirectory } from '../../src/pipeline/merchant-dimension.js';
import { createPseudonymiseStep } from '../../src/pipeline/pseudonymise-step.js';
import { listDeadLetters, writeDeadLetters } from '../../src/store/dead-letter-table.js';
import { GRAINS, TABLES, TABLE_NAMES, UNKNOWN, rollupTable } from '../../src/warehouse/tables.js';
import type { Warehouse } from '../../src/warehouse/warehouse-port.js';
import { embeddedLogFor, testLogger } from '../harness/event-logs.js';
import { cloudEvent, logRecord, recordedEvent } from '../harness/events.js';
import { type TestStore, storeKinds } from '../harness/stores.js';
import { type TestWarehouse, type WarehouseEngine, describeEachWarehouse, openTestWarehouse } from '../harness/warehouses.js';

const PII_KEY = 'test-pii-key-0123456789';

let db: TestStore;
let engine: WarehouseEngine;
let opened: TestWarehouse | undefined;
let warehouse: Warehouse;
let consumer: AnalyticsConsumer;

async function freshPipeline(): Promise<void> {
  await opened?.close();
  opened = await openTestWarehouse(engine);
  warehouse = opened.warehouse;
  await db.store.query('DELETE FROM payment_service.dead_letters');
  consumer = createAnalyticsConsumer({
    log: embeddedLogFor(db),
    warehouse,
    deadLetters: db.store,
    pseudonymiser: createPseudonymiseStep({ key: PII_KEY }),
    merchants: createMerchantDirectory(warehouse),
    logger: testLogger,
    maxBatchSize: 500,
  });
}

beforeAll(async () => {
  db = await (storeKinds()[0] as { create(): Promise<TestStore> }).create();
});
afterAll(async () => {
  await opened?.close();
  await db?.close();
});
beforeEach(freshPipeline);
/** Sets the engine the suite's `freshPipeline` opens (a describe's beforeAll runs before the file's beforeEach). */
const onEngine = (e: WarehouseEngine) =>
  beforeAll(() => {
    engine = e;
  });

const at = (minute: number) => new Date(Date.UTC(2026, 10, 20, 10, minute));
const apply = (...events: (CloudEvent | string)[]) => consumer.process(events.map((e) => logRecord(e)));
const payments = () => warehouse.query<Record<string, unknown>>('SELECT * FROM payments ORDER BY reference_number');
const rollupTotals = (grain: (typeof GRAINS)[number]) =>
  warehouse.query<{ status: string; payments: number; amount_minor: number }>(
    `SELECT status, sum(payments)::BIGINT AS payments, sum(amount_minor)::BIGINT AS amount_minor FROM ${rollupTable('payments', grain)}
     GROUP BY status HAVING sum(payments) <> 0 ORDER BY status`,
  );

describeEachWarehouse('analytics pipeline: events → warehouse', (e) => {
  onEngine(e);
  it('lands a recorded payment in the facts and in every rollup grain, with its personal fields pseudonymised', async () => {
    const e = recordedEvent('REF-1', {
      amount_minor: 150_050,
      cif: 'CIF998877',
      customer_id: 'C-1001',
      merchant_id: 'M-1',
      gateway: 'razorpay',
    });
    const out = await apply(e);
    expect(out).toMatchObject({ applied: 1, duplicates: 0, deadLettered: [] });
    const [row] = await payments();
    expect(row).toMatchObject({ reference_number: 'REF-1', amount_minor: 150_050, currency: 'INR', status: 'succeeded', in_ledger: true });
    expect(row?.cif_hash).toMatch(/^[0-9a-f]{32}$/);
    expect(row?.cif_hash).not.toContain('CIF998877');
    for (const grain of GRAINS) expect(await rollupTotals(grain)).toEqual([{ status: 'succeeded', payments: 1, amount_minor: 150_050 }]);
    const [cell] = await warehouse.query(`SELECT * FROM ${rollupTable('payments', 'hour')}`);
    expect(cell).toMatchObject({ bucket: new Date('2026-11-20T10:00:00Z'), merchant_id: 'M-1', gateway: 'razorpay', region: UNKNOWN });
  });

  it('applies an event id once, whether repeated in one batch or redelivered later', async () => {
    const e = recordedEvent('REF-2');
    expect(await apply(e, e)).toMatchObject({ applied: 1, duplicates: 1 });
    expect(await apply(e)).toMatchObject({ applied: 0, duplicates: 1 });
    expect(await payments()).toHaveLength(1);
    expect(await rollupTotals('day')).toEqual([{ status: 'succeeded', payments: 1, amount_minor: 12_345 }]);
    expect(await warehouse.query('SELECT * FROM payment_status_history')).toHaveLength(1);
  });

  it('merges a status that arrives before its payment, and never lets an older status overwrite a newer one', async () => {
    const succeeded = cloudEvent(
      'payment.succeeded',
      { reference_number: 'REF-3', amount: { amount_minor: 5000, currency: 'INR' }, fee: { amount_minor: 100, currency: 'INR' } },
      { time: at(5) },
    );
    await apply(succeeded);
    expect((await payments())[0]).toMatchObject({ status: 'succeeded', in_ledger: false });
    // The ledger's copy arrives last (recorded at minute 7) but its status is as of the payment's
    // time (minute 1): its fields win, its status does not.
    await apply(recordedEvent('REF-3', { amount_minor: 5000, status: 'pending', merchant_id: 'M-9', payment_date: at(1) }, at(7)));
    const failedEarlier = cloudEvent(
      'payment.failed',
      { reference_number: 'REF-3', amount: { amount_minor: 5000, currency: 'INR' } },
      { time: at(3) },
    );
    await apply(failedEarlier);
    const [row] = await payments();
    expect(row).toMatchObject({ status: 'succeeded', in_ledger: true, merchant_id: 'M-9', fee_minor: 100, status_time: at(5) });
    expect(await rollupTotals('minute')).toEqual([{ status: 'succeeded', payments: 1, amount_minor: 5000 }]);
    expect(await warehouse.query('SELECT status FROM payment_status_history ORDER BY event_time')).toHaveLength(3);
  });

  it('keeps a refund that arrives before its payment, and counts it in the refunds rollup', async () => {
    await apply(
      cloudEvent('payment.refunded', { refund_id: 'rf-1', reference_number: 'REF-4', amount: { amount_minor: 700, currency: 'INR' } }),
    );
    await apply(recordedEvent('REF-4', { amount_minor: 1000 }));
    expect(await warehouse.query('SELECT refund_id, reference_number, amount_minor FROM refunds')).toEqual([
      { refund_id: 'rf-1', reference_number: 'REF-4', amount_minor: 700 },
    ]);
    expect(
      await warehouse.query(`SELECT sum(refunds)::INT AS n, sum(amount_minor)::INT AS a FROM ${rollupTable('refunds', 'day')}`),
    ).toEqual([{ n: 1, a: 700 }]);
  });

  it('sends poison events to the dead-letter table with their error and applies the rest of the batch', async () => {
    const good = recordedEvent('REF-5');
    const invalid = { ...cloudEvent('payment.refunded'), data: { refund_id: 'x' } };
    const otherCurrency = cloudEvent('payment.succeeded', {
      reference_number: 'REF-5',
      amount: { amount_minor: 1, currency: 'USD' },
      fee: null,
    });
    const records = ['{not json', good, invalid as CloudEvent, otherCurrency].map((e) => logRecord(e));
    const out = await consumer.process(records);
    expect(out.applied).toBe(1);
    expect(out.deadLettered.map((d) => d.code).sort()).toEqual(['CURRENCY_MISMATCH', 'MALFORMED_JSON', 'VALIDATION_FAILED']);
    const letters = await listDeadLetters(db.store, { stage: 'analytics', limit: 10 });
    expect(letters.map((l) => l.errorCode).sort()).toEqual(['CURRENCY_MISMATCH', 'MALFORMED_JSON', 'VALIDATION_FAILED']);
    expect(letters.find((l) => l.errorCode === 'CURRENCY_MISMATCH')?.errorMessage).toMatch(/REF-5 is in INR but this event says USD/);
    // Redelivering the batch (a crash before the offset commit) neither re-applies nor duplicates letters.
    await consumer.process(records);
    expect(await listDeadLetters(db.store, { stage: 'analytics', limit: 10 })).toHaveLength(3);
    expect(await payments()).toHaveLength(1);
  });

  it('replays a dead letter that now applies and marks it replayed; one that still fails stays open', async () => {
    const fixed = recordedEvent('REF-6');
    await writeDeadLetters(db.store, [
      {
        stage: 'analytics',
        origin: 'consumer:payscope-analytics',
        eventId: fixed.id,
        eventType: fixed.type,
        partition: 0,
        offset: 1,
        payload: JSON.stringify(fixed),
        errorCode: 'PIPELINE_STEP_FAILED',
        errorMessage: 'a bug since fixed',
      },
      {
        stage: 'analytics',
        origin: 'consumer:payscope-analytics',
        eventId: null,
        eventType: null,
        partition: 0,
        offset: 2,
        payload: 'still not json',
        errorCode: 'MALFORMED_JSON',
        errorMessage: 'the record is not JSON',
      },
    ]);
    const result = await consumer.replayDeadLetters({});
    expect(result).toMatchObject({ replayed: 1, still_failing: 1 });
    expect(await payments()).toHaveLength(1);
    const open = await listDeadLetters(db.store, { stage: 'analytics', limit: 10 });
    expect(open.map((l) => l.errorCode)).toEqual(['MALFORMED_JSON']);
  });

  it('enriches payments from the merchant dimension, including payments stored before the merchant was loaded', async () => {
    const merchants = createMerchantDirectory(warehouse);
    await apply(recordedEvent('REF-7', { merchant_id: 'M-42' }));
    const loaded = await merchants.load([{ merchant_id: 'M-42', name: 'Acme Retail', settlement_cycle: 'T+2' }]);
    expect(loaded).toMatchObject({ merchants: 1, payments_updated: 1 });
    expect((await payments())[0]).toMatchObject({ merchant_name: 'Acme Retail', settlement_cycle: 'T+2' });
  });

  it('moves a settlement batch through PENDING → RECONCILED → SETTLED, keeping its dates', async () => {
    const batch = { batch_id: 'setl-1', payment_references: ['REF-S1'] };
    const created = { ...batch, expected_settlement_date: '2026-11-23' };
    await apply(recordedEvent('REF-S1'));
    await apply(cloudEvent('settlement.batch_created', { ...created, status: 'PENDING' }, { time: at(1) }));
    await apply(cloudEvent('settlement.batch_created', { ...created, status: 'RECONCILED' }, { time: at(2) }));
    const out = await apply(cloudEvent('settlement.completed', { ...batch, settlement_date: '2026-11-24' }, { time: at(3) }));
    expect(out.deadLettered).toEqual([]);
    const [row] = await warehouse.query<Record<string, unknown>>(
      `SELECT status, ${warehouse.dialect.utcDate('expected_settlement_date')} AS expected, ${warehouse.dialect.utcDate('settlement_date')} AS settled FROM settlements`,
    );
    expect(row).toEqual({ status: 'SETTLED', expected: '2026-11-23', settled: '2026-11-24' });
    expect((await payments())[0]).toMatchObject({ settlement_batch_id: 'setl-1', settlement_status: 'SETTLED' });
  });

  it('turns an event the warehouse refuses into a dead letter and applies the rest of its batch', async () => {
    // A warehouse that refuses one payment's rows, as a bug or a bad value would.
    const refusing: Warehouse = {
      ...warehouse,
      transaction: (fn) =>
        warehouse.transaction((tx) =>
          fn({
            ...tx,
            replace: async (table, rows) => {
              if (rows.some((r) => (r as { reference_number?: string }).reference_number === 'POISON'))
                throw new Error('value out of range');
              return tx.replace(table, rows);
            },
          }),
        ),
    };
    const isolating = createAnalyticsConsumer({
      log: embeddedLogFor(db),
      warehouse: refusing,
      deadLetters: db.store,
      pseudonymiser: createPseudonymiseStep({ key: PII_KEY }),
      merchants: createMerchantDirectory(warehouse),
      logger: testLogger,
      maxBatchSize: 500,
    });
    const out = await isolating.process([recordedEvent('OK-1'), recordedEvent('POISON'), recordedEvent('OK-2')].map((e) => logRecord(e)));
    expect(out.applied).toBe(2);
    expect(out.deadLettered.map((d) => d.code)).toEqual(['PIPELINE_STEP_FAILED']);
    expect((await payments()).map((p) => p.reference_number)).toEqual(['OK-1', 'OK-2']);
    const [letter] = await listDeadLetters(db.store, { stage: 'analytics', limit: 10 });
    expect(letter?.errorMessage).toMatch(/value out of range/);
  });

  it('writes no raw value of a personal field anywhere in the warehouse', async () => {
    const raw = [
      'CIF-SECRET-1',
      'LN-SECRET-1',
      'CUST-SECRET-1',
      'USER-SECRET-1',
      'SESS-SECRET-1',
      'asha.secret@example.com',
      '+919812345678',
    ];
    await apply(
      recordedEvent('REF-8', { cif: raw[0], loan_account_number: raw[1], customer_id: raw[2], metadata: { note: raw[2] } }),
      cloudEvent('user.registered', { user_id: raw[3], session_id: raw[4], email: raw[5], phone: raw[6], anonymous_id: null }),
      cloudEvent('search.query', { session_id: raw[4], user_id: raw[3], query: `orders of ${raw[5]}` }),
      cloudEvent('experiment.exposure_recorded', { unit_id: raw[3], user_id: raw[3], session_id: raw[4] }),
      cloudEvent('order.placed', { customer_id: raw[2], session_id: raw[4] }),
      cloudEvent('payment.refunded', { customer_id: raw[2], reason_detail: `call ${raw[6]}` }),
    );
    for (const table of TABLE_NAMES) {
      const columns = Object.keys(TABLES[table].columns);
      const rows = await warehouse.query(`SELECT ${columns.map((c) => `${c}::VARCHAR AS ${c}`).join(', ')} FROM ${table}`);
      const text = JSON.stringify(rows);
      for (const value of raw) expect(text, `${table} holds ${value}`).not.toContain(value);
    }
  });
});

// ── property: any order, any repeats → the same state as applying in event-time order ─────────────

describeEachWarehouse('analytics pipeline: order-independence (fast-check)', (e) => {
  onEngine(e);
  const statusTypes = ['payment.succeeded', 'payment.failed', 'payment.captured'] as const;
  const arbPlan = fc.array(
    fc.record({
      ref: fc.constantFrom('P-A', 'P-B', 'P-C'),
      kind: fc.constantFrom('recorded', ...statusTypes),
      minute: fc.integer({ min: 0, max: 59 }),
      amount: fc.integer({ min: 1, max: 1_000_000 }),
    }),
    { minLength: 1, maxLength: 25 },
  );

  it('converges to the state of the newest status and keeps rollups equal to the facts', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbPlan,
        fc.infiniteStream(fc.integer({ min: 0, max: 1_000 })),
        fc.integer({ min: 1, max: 5 }),
        async (plan, seeds, batches) => {
          await freshPipeline();
          // One recorded amount per reference (the ledger's), so the expected amount is defined.
          const amounts = new Map<string, number>();
          const events = plan.map((p, i) => {
            const amount = amounts.get(p.ref) ?? p.amount;
            amounts.set(p.ref, amount);
            const time = new Date(at(p.minute).getTime() + i); // distinct times: the newest is unique
            return p.kind === 'recorded'
              ? { p, time, event: recordedEvent(p.ref, { amount_minor: amount, status: 'pending', payment_date: time }, time) }
              : {
                  p,
                  time,
                  event: cloudEvent(p.kind, { reference_number: p.ref, amount: { amount_minor: amount, currency: 'INR' } }, { time }),
                };
          });
          // Shuffle, repeat some, split into batches.
          const shuffled = [...events, ...events.filter(() => (seeds.next().value as number) % 3 === 0)]
            .map((e) => ({ e, k: seeds.next().value as number }))
            .sort((a, b) => a.k - b.k)
            .map(({ e }) => e);
          const size = Math.ceil(shuffled.length / batches);
          for (let i = 0; i < shuffled.length; i += size) await apply(...shuffled.slice(i, i + size).map((x) => x.event));

          const rows = await payments();
          expect(rows.map((r) => r.reference_number)).toEqual([...amounts.keys()].sort());
          for (const row of rows) {
            const mine = events.filter((e) => e.p.ref === row.reference_number);
            const newest = mine.reduce((a, b) => (b.time > a.time ? b : a));
            const expected = newest.p.kind === 'recorded' ? 'pending' : newest.p.kind.slice('payment.'.length);
            expect(row.status).toBe(expected);
            expect(row.in_ledger).toBe(mine.some((e) => e.p.kind === 'recorded'));
            expect(row.amount_minor).toBe(amounts.get(row.reference_number as string));
          }
          const facts = await warehouse.query<{ status: string; payments: number; amount_minor: number }>(
            `SELECT status, count(*)::BIGINT AS payments, sum(amount_minor)::BIGINT AS amount_minor FROM payments GROUP BY status ORDER BY status`,
          );
          for (const grain of GRAINS) expect(await rollupTotals(grain)).toEqual(facts);
          // The lifecycle measures too: authorised payments, and GMV = the captured amount of collected ones.
          const lifecycleFacts = await warehouse.query(
            `SELECT status, count(coalesce(authorized_minor, captured_minor))::BIGINT AS authorized,
                    sum(CASE WHEN status IN ('captured', 'succeeded') THEN captured_minor ELSE 0 END)::BIGINT AS captured
             FROM payments GROUP BY status ORDER BY status`,
          );
          for (const grain of GRAINS) {
            const lifecycleRollup = await warehouse.query(
              `SELECT status, sum(authorized_payments)::BIGINT AS authorized, sum(captured_minor)::BIGINT AS captured
               FROM ${rollupTable('payments', grain)} GROUP BY status HAVING sum(payments) <> 0 ORDER BY status`,
            );
            expect(lifecycleRollup, grain).toEqual(lifecycleFacts);
          }
          // A collected payment's captured amount is its newest capture's: here every event carries the one amount.
          for (const row of rows)
            if (row.status === 'succeeded' || row.status === 'captured') expect(row.captured_minor).toBe(row.amount_minor);
          expect(await warehouse.query('SELECT * FROM applied_events')).toHaveLength(events.length);
        },
      ),
      // A fresh ClickHouse database is ~25 CREATE TABLEs and each commit ~15 inserts (about 1–2 s a
      // run in chDB here): fewer runs there, and room for them.
      { numRuns: e === 'clickhouse' ? 8 : 25 },
    );
  }, 240_000);
});
