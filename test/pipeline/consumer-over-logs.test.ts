import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createOutboxRelay } from '../../src/log/outbox-relay.js';
import type { EventLog } from '../../src/log/event-log-port.js';
import { type AnalyticsConsumer, createAnalyticsConsumer } from '../../src/pipeline/analytics-consumer.js';
import { createMerchantDirectory } from '../../src/pipeline/merchant-dimension.js';
import { createPseudonymiseStep } from '../../src/pipeline/pseudonymise-step.js';
import { recordPaymentsInTx } from '../../src/recorder/record-batch.js';
import type { OperationalStore } from '../../src/store/store-port.js';
import { openDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-adapter.js';
import type { Warehouse } from '../../src/warehouse/warehouse-port.js';
import { type TestWarehouse, describeEachWarehouse, openTestWarehouse } from '../harness/warehouses.js';
import { type TestLog, createLogTestStore, describeEachLog, kafkaLogFor, testLogger, waitFor } from '../harness/event-logs.js';
import { cloudEvent } from '../harness/events.js';
import { payment } from '../harness/fixtures.js';
import { kafkaMockAvailable, kafkaMockDir, removeKafkaMockDir, startKafkaMock, uniqueName } from '../harness/kafka.js';
import { storeKinds } from '../harness/stores.js';

/**
 * The analytics consumer over each event log: the real recorder writes payments (and status
 * events) to the outbox, the relay publishes them, the consumer lands them in DuckDB. A consumer
 * stopped and replaced mid-stream resumes where the group committed; the warehouse ends equal
 * to the ledger.
 */

function consumerFor(log: EventLog, warehouse: Warehouse, store: OperationalStore, group: string): AnalyticsConsumer {
  return createAnalyticsConsumer({
    log,
    warehouse,
    deadLetters: store,
    pseudonymiser: createPseudonymiseStep({ key: 'log-suite-key-0123456789' }),
    merchants: createMerchantDirectory(warehouse),
    logger: testLogger,
    group,
    maxBatchSize: 200,
  });
}

/** Records `n` payments with the real recorder, then a payment.failed for every fifth one. */
async function recordPayments(store: OperationalStore, n: number, prefix: string): Promise<void> {
  for (let i = 0; i < n; i += 50) {
    const refs = Array.from({ length: Math.min(50, n - i) }, (_, j) => `${prefix}-${i + j}`);
    await store.transaction((tx) =>
      recordPaymentsInTx(
        tx,
        refs.map((r) => payment(r, { status: 'pending', amount_minor: 1000 })),
      ),
    );
    const failed = refs
      .filter((_, j) => (i + j) % 5 === 0)
      .map((r) => cloudEvent('payment.failed', { reference_number: r, amount: { amount_minor: 1000, currency: 'INR' } }));
    await store.query(
      `INSERT INTO payment_service.outbox (event_id, event_type, aggregate_id, payload)
       SELECT x.id, x.type, x.key, x.payload FROM json_to_recordset($1::json) AS x(id text, type text, key text, payload json)`,
      [JSON.stringify(failed.map((e) => ({ id: e.id, type: e.type, key: e.data.reference_number, payload: e })))],
    );
  }
}

async function warehouseMatchesLedger(warehouse: Warehouse, store: OperationalStore, prefix: string, n: number): Promise<boolean> {
  const [w] = await warehouse.query<{ n: number; failed: number }>(
    `SELECT count(*)::BIGINT AS n, count(*) FILTER (WHERE status = 'failed')::BIGINT AS failed FROM payments WHERE reference_number LIKE $1`,
    [`${prefix}-%`],
  );
  const ledger = await store.query<{ n: number }>(
    'SELECT count(*)::bigint AS n FROM payment_service.payments WHERE reference_number LIKE $1',
    [`${prefix}-%`],
  );
  return w?.n === n && Number(ledger.rows[0]?.n) === n && w?.failed === Math.ceil(n / 5);
}

describeEachLog('analytics consumer over the event log', (kind) =>
  describeEachWarehouse('into the warehouse', (engine) => {
    let t: TestLog | null = null;
    let opened: TestWarehouse | null = null;
    afterEach(async () => {
      await opened?.close();
      opened = null;
      await t?.close();
      t = null;
    });

    it('lands every recorded payment and status once, across a consumer replaced mid-stream', async () => {
      t = await kind.create();
      const db = t.db;
      opened = await openTestWarehouse(engine);
      const warehouse = opened.warehouse;
      const relay = createOutboxRelay({ store: db.store, log: t.log, batchSize: 100, logger: testLogger, pollIntervalMs: 20 });
      relay.start();
      const group = uniqueName('analytics');
      const prefix = randomUUID().slice(0, 8);
      const N = 600;
      try {
        const first = consumerFor(t.log, warehouse, db.store, group);
        await first.start();
        await recordPayments(db.store, N, prefix);
        await waitFor(() => first.status().applied > 100, 'the first consumer to apply some events');
        await first.stop();
        const second = consumerFor(t.reopen(), warehouse, db.store, group);
        await second.start();
        await waitFor(() => warehouseMatchesLedger(warehouse, db.store, prefix, N), 'the warehouse to equal the ledger', 60_000);
        await second.stop();
        const [applied] = await warehouse.query<{ n: number; ids: number }>(
          'SELECT count(*)::BIGINT AS n, count(DISTINCT event_id)::BIGINT AS ids FROM applied_events',
        );
        expect(applied).toEqual({ n: N + N / 5, ids: N + N / 5 });
      } finally {
        await relay.stop();
      }
    }, 90_000);
  }),
);

const canRunKafka = kafkaMockAvailable() || process.env.CI === 'true';
(canRunKafka ? describe : describe.skip)(
  `analytics consumer when the Kafka broker stops answering${canRunKafka ? '' : ' — SKIPPED: kcat unavailable'}`,
  () => {
    it('loses nothing while the broker is frozen under load, then catches up to the ledger', async () => {
      const dir = await kafkaMockDir();
      const mock = await startKafkaMock(dir);
      const kinds = storeKinds();
      const storeKind = kinds.find((k) => k.name === 'postgres' && k.available) ?? kinds[0]!;
      const db = await createLogTestStore(storeKind);
      const log = kafkaLogFor(mock.brokers, uniqueName('payment.events'), 50);
      const warehouse = await openDuckDbWarehouse({ path: ':memory:', logger: testLogger });
      const relay = createOutboxRelay({
        store: db.store,
        log,
        batchSize: 100,
        logger: testLogger,
        pollIntervalMs: 20,
        retry: { baseDelayMs: 100, maxDelayMs: 1000 },
      });
      const consumer = consumerFor(log, warehouse, db.store, uniqueName('analytics'));
      const prefix = randomUUID().slice(0, 8);
      try {
        relay.start();
        await consumer.start();
        await recordPayments(db.store, 200, prefix);
        mock.pause();
        await recordPayments(db.store, 200, `${prefix}x`);
        await new Promise((resolve) => setTimeout(resolve, 3000));
        mock.resume();
        await recordPayments(db.store, 200, `${prefix}y`);
        for (const p of [prefix, `${prefix}x`, `${prefix}y`]) {
          await waitFor(() => warehouseMatchesLedger(warehouse, db.store, p, 200), `payments ${p}-* to reach the warehouse`, 60_000);
        }
      } finally {
        mock.resume();
        await consumer.stop();
        await relay.stop();
        await warehouse.close();
        await log.close();
        await db.close();
        await mock.stop();
        await removeKafkaMockDir(dir);
      }
    }, 120_000);
  },
);
