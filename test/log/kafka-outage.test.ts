/**
 * The relay against a Kafka broker that stops answering: at start, and again under load. The test
 * runs its own librdkafka mock cluster and freezes it (SIGSTOP) — its brokers keep their ports and
 * their data, as a restarted real broker does; killing the mock would lose its in-memory topic and
 * come back on other ports (see test/harness/kafka.ts).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createOutboxRelay } from '../../src/log/outbox-relay.js';
import { recordPaymentsInTx } from '../../src/recorder/record-batch.js';
import { appendEvents, collect, createLogTestStore, kafkaLogFor, stopAll, testLogger, waitFor } from '../harness/event-logs.js';
import { payment } from '../harness/fixtures.js';
import { kafkaMockAvailable, kafkaMockDir, removeKafkaMockDir, startKafkaMock, uniqueName } from '../harness/kafka.js';
import { storeKinds } from '../harness/stores.js';

const canRun = kafkaMockAvailable() || process.env.CI === 'true';
const describeWithMock = canRun ? describe : describe.skip;
const storeKind = storeKinds().find((k) => k.name === 'postgres' && k.available) ?? storeKinds()[0]!;

describeWithMock(`the outbox relay when the Kafka broker stops answering${canRun ? '' : ' — SKIPPED: kcat unavailable'}`, () => {
  it('buffers in the outbox while the broker is unreachable, at start and under load, then drains to a waiting consumer with nothing lost', async () => {
    const dir = await kafkaMockDir();
    const mock = await startKafkaMock(dir);
    const db = await createLogTestStore(storeKind);
    const log = kafkaLogFor(mock.brokers, uniqueName('payment.events'), 25);
    const relay = createOutboxRelay({
      store: db.store,
      log,
      batchSize: 50,
      logger: testLogger,
      pollIntervalMs: 20,
      retry: { baseDelayMs: 100, maxDelayMs: 1000 },
    });
    const consumer = log.consumer({ group: uniqueName('analytics'), maxBatchSize: 100 });
    let writing = true;
    let written = 0;
    // Load: the real recorder records payments (payment.recorded), and each payment then gets a
    // second event in a later transaction, so every key has an order to keep.
    const writer = (async () => {
      while (writing) {
        const references = Array.from({ length: 5 }, () => `REF-${randomUUID()}`);
        const outcomes = await db.store.transaction((tx) =>
          recordPaymentsInTx(
            tx,
            references.map((r) => payment(r)),
          ),
        );
        await db.store.transaction((tx) =>
          appendEvents(
            tx,
            outcomes.map((o) => ({ key: o.status === 'refused' ? '' : o.payment_id, seq: 1, type: 'payment.captured' })),
          ),
        );
        written += outcomes.length * 2;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();

    try {
      mock.pause();
      relay.start();
      const got = collect();
      await consumer.start(got.handler); // joins in the background once the broker answers
      await waitFor(() => relay.status().connected === false, 'the relay to find the broker unreachable at start');
      await waitFor(() => (relay.status().backlog ?? 0) > 0 && written > 0, 'the outbox to buffer events');
      expect(relay.status()).toMatchObject({ connected: false, published: 0, lastError: { source: 'log' } });

      mock.resume();
      await waitFor(
        () => relay.status().connected === true && relay.status().published > 0,
        'the relay to publish once the broker answers',
      );

      mock.pause();
      const publishedBefore = relay.status().published;
      await waitFor(() => relay.status().connected === false, 'the relay to notice the broker stopped under load');
      const writtenWhileDown = written;
      await waitFor(() => written > writtenWhileDown + 20, 'more events to arrive while the broker is down');
      expect(relay.status().backlog).toBeGreaterThan(0);

      mock.resume();
      writing = false;
      await writer;
      await waitFor(() => relay.status().backlog === 0 && relay.status().connected === true, 'the backlog to drain', 60_000);
      expect(relay.status().published).toBeGreaterThan(publishedBefore);

      const { rows } = await db.store.query<{ event_id: string; n: number }>(
        'SELECT event_id, (SELECT count(*)::int FROM payment_service.outbox WHERE published_at IS NULL) AS n FROM payment_service.outbox',
      );
      expect(rows.length).toBe(written);
      expect(rows[0]?.n).toBe(0);
      const expected = new Set(rows.map((r) => r.event_id));

      // A deadline, not a timing assertion: after the freeze the waiting consumer may first have to
      // rejoin its group (session timeout 30 s), so give it well beyond that on a loaded machine.
      await got.until(() => got.ids().size >= expected.size, `${expected.size} distinct events on the topic`, 120_000);
      expect(got.ids()).toEqual(expected);
      // After dropping duplicates (requests that timed out and landed later), each payment's
      // events are in the order they were written.
      const seen = new Set<string>();
      const typesByKey = new Map<string, string[]>();
      for (const r of got.records) {
        if (seen.has(r.id)) continue;
        seen.add(r.id);
        typesByKey.set(r.key, [...(typesByKey.get(r.key) ?? []), r.type]);
      }
      for (const [key, types] of typesByKey) expect(types, key).toEqual(['payment.recorded', 'payment.captured']);
    } finally {
      writing = false;
      mock.resume();
      await writer.catch(() => {});
      await relay.stop();
      await stopAll([consumer]);
      await log.close();
      await mock.stop();
      await removeKafkaMockDir(dir);
      await db.close();
    }
  }, 300_000);
});
