/**
 * Event capture from a Kafka topic (`EVENTS_KAFKA_TOPIC`), against librdkafka's mock cluster with a
 * real consumer group: valid events land in the outbox, everything else in the dead-letter table
 * with where it sat in the topic; a restarted or redelivered capture duplicates nothing.
 */
import type { Producer } from 'kafkajs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/core/metrics.js';
import type { EventLog } from '../../src/log/event-log-port.js';
import { createEventIntake } from '../../src/sources/events/event-intake.js';
import { createKafkaCapture, type KafkaCapture } from '../../src/sources/events/kafka-capture.js';
import { listDeadLetters } from '../../src/store/dead-letter-table.js';
import { type TestApp, startTestApp } from '../harness/app.js';
import { captureEvent, outboxRows } from '../harness/event-capture.js';
import { createLogTestStore, kafkaLogFor, testLogger, waitFor } from '../harness/event-logs.js';
import { createTestKafka, describeWithKafka, uniqueName } from '../harness/kafka.js';
import { storeKinds, type TestStore } from '../harness/stores.js';

const storeKind = storeKinds().find((k) => k.name === 'postgres' && k.available) ?? storeKinds()[0]!;

describeWithKafka('event capture from a Kafka topic', (brokers) => {
  let producer: Producer;
  beforeAll(async () => {
    producer = createTestKafka(brokers, 'capture-test-producer').producer({ allowAutoTopicCreation: true });
    await producer.connect();
  });
  afterAll(() => producer?.disconnect());

  /** Produces one message; returns where it landed. */
  const produce = async (topic: string, value: string, key: string) => {
    const [meta] = await producer.send({ topic, acks: -1, messages: [{ key, value }] });
    return { partition: meta!.partition, offset: Number(meta!.baseOffset) };
  };

  describe('the capture over a consumer group', () => {
    let db: TestStore;
    let topic: string;
    const logs: EventLog[] = [];
    const captures: KafkaCapture[] = [];
    beforeEach(async () => {
      db = await createLogTestStore(storeKind);
      topic = uniqueName('orders.events');
    });
    afterEach(async () => {
      await Promise.allSettled(captures.splice(0).map((c) => c.stop()));
      await Promise.allSettled(logs.splice(0).map((l) => l.close()));
      await db.close();
    });

    const startCapture = async (group: string) => {
      const log = kafkaLogFor(brokers, topic);
      logs.push(log);
      const capture = createKafkaCapture({
        consumer: log.consumer({ group, maxBatchSize: 100 }),
        intake: createEventIntake({ store: db.store, metrics: createMetrics(), logger: testLogger }),
        store: db.store,
        topic,
        logger: testLogger,
      });
      captures.push(capture);
      await capture.start();
      return capture;
    };
    const stopCapture = async (capture: KafkaCapture) => {
      await capture.stop();
      captures.splice(captures.indexOf(capture), 1);
    };
    const deadLetters = () => listDeadLetters(db.store, { limit: 1000, includeReplayed: true });

    it('captures valid events into the outbox and dead-letters the rest with partition and offset; a restart duplicates nothing', async () => {
      const valid = [captureEvent('order.placed'), captureEvent('product.viewed'), captureEvent('settlement.completed')];
      const unknownType = captureEvent('cart.exploded');
      const recorded = captureEvent('payment.recorded');
      const placed: Array<{ kind: string; id: string | null; at: { partition: number; offset: number }; value: string }> = [];
      for (const [i, e] of valid.entries())
        placed.push({ kind: 'valid', id: e.id, at: await produce(topic, JSON.stringify(e), `k${i}`), value: '' });
      for (const [value, key] of [
        ['{"id": "half', 'k0'],
        ['', 'k1'],
      ] as const) {
        placed.push({ kind: 'MALFORMED_JSON', id: null, at: await produce(topic, value, key), value });
      }
      placed.push({
        kind: 'UNSUPPORTED_EVENT_TYPE',
        id: unknownType.id,
        at: await produce(topic, JSON.stringify(unknownType), 'k2'),
        value: JSON.stringify(unknownType),
      });
      placed.push({
        kind: 'EVENT_TYPE_NOT_CAPTURABLE',
        id: recorded.id,
        at: await produce(topic, JSON.stringify(recorded), 'k3'),
        value: JSON.stringify(recorded),
      });
      // The same valid event published twice (a producer retry): stored once.
      await produce(topic, JSON.stringify(valid[0]), 'k0');

      const group = uniqueName('payscope-capture');
      const first = await startCapture(group);
      await waitFor(
        async () => (await deadLetters()).length === 4 && (await outboxRows(db.store)).length === 3,
        'capture of the first messages',
      );
      await waitFor(() => first.status().handled === 8, 'every message handled');
      expect(first.status()).toEqual({ handled: 8, accepted: 3, duplicates: 1, deadLettered: 4 });

      const rows = await outboxRows(db.store);
      expect(new Set(rows.map((r) => r.event_id))).toEqual(new Set(valid.map((e) => e.id)));
      expect(rows.find((r) => r.event_id === valid[0]!.id)).toMatchObject({
        event_type: 'order.placed',
        aggregate_id: 'ORD-1001',
        payload: valid[0],
      });

      const letters = await deadLetters();
      const expected = placed.filter((p) => p.kind !== 'valid');
      expect(
        letters
          .map((l) => ({ code: l.errorCode, id: l.eventId, partition: l.partition, offset: l.offset, payload: l.payload }))
          .sort(byOffset),
      ).toEqual(
        expected.map((p) => ({ code: p.kind, id: p.id, partition: p.at.partition, offset: p.at.offset, payload: p.value })).sort(byOffset),
      );
      for (const l of letters) expect(l).toMatchObject({ stage: 'capture', origin: `kafka:${topic}`, attempts: 1, replayedAt: null });
      expect(letters.find((l) => l.eventId === unknownType.id)).toMatchObject({ eventType: 'cart.exploded' });

      // Restart in the same group: it resumes after its committed offsets.
      await stopCapture(first);
      const more = captureEvent('user.registered');
      await produce(topic, JSON.stringify(more), 'k9');
      await produce(topic, 'garbage', 'k9');
      const second = await startCapture(group);
      await waitFor(() => second.status().handled === 2, 'the restarted capture to handle only the new messages');
      expect(second.status()).toEqual({ handled: 2, accepted: 1, duplicates: 0, deadLettered: 1 });
      expect((await outboxRows(db.store)).map((r) => r.event_id).sort()).toEqual([...valid.map((e) => e.id), more.id].sort());
      const after = await deadLetters();
      expect(after).toHaveLength(5);
      expect(after.every((l) => l.attempts === 1)).toBe(true);
    });

    it('stores nothing twice when a whole topic is delivered again (another group, as after lost offsets)', async () => {
      const events = [captureEvent('search.query'), captureEvent('checkout.abandoned')];
      for (const [i, e] of events.entries()) await produce(topic, JSON.stringify(e), `k${i}`);
      const bad = { ...captureEvent('order.cancelled'), data: {} };
      await produce(topic, JSON.stringify(bad), 'k5');
      await produce(topic, 'not json', 'k6');

      const first = await startCapture(uniqueName('payscope-capture'));
      await waitFor(() => first.status().handled === 4, 'the first delivery');
      const second = await startCapture(uniqueName('payscope-capture'));
      await waitFor(() => second.status().handled === 4, 'the second delivery');
      expect(second.status()).toEqual({ handled: 4, accepted: 0, duplicates: 2, deadLettered: 2 });

      expect((await outboxRows(db.store)).map((r) => r.event_id).sort()).toEqual(events.map((e) => e.id).sort());
      const letters = await deadLetters();
      expect(letters.map((l) => [l.eventId, l.errorCode, l.attempts])).toEqual(
        expect.arrayContaining([
          [bad.id, 'VALIDATION_FAILED', 2],
          [null, 'MALFORMED_JSON', 2],
        ]),
      );
      expect(letters).toHaveLength(2);
    });
  });

  it('runs in the app with the ingest role when EVENTS_KAFKA_TOPIC is set, in consumer group payscope-capture', async () => {
    const topic = uniqueName('orders.events');
    let t: TestApp | undefined;
    try {
      t = await startTestApp(storeKind.name, {
        KAFKA_BROKERS: brokers.join(','),
        KAFKA_TOPIC: uniqueName('payment.events'),
        EVENTS_KAFKA_TOPIC: topic,
      });
      const event = captureEvent('order.completed');
      await produce(topic, JSON.stringify(event), 'ORD-1001');
      await produce(topic, '{', 'x');
      await waitFor(async () => (await outboxRows(t!.app.store, [event.id])).length === 1, 'the event in the outbox', 60_000);
      await waitFor(async () => (await listDeadLetters(t!.app.store, { limit: 10 })).length === 1, 'the dead letter', 60_000);
      const [letter] = await listDeadLetters(t.app.store, { limit: 10 });
      expect(letter).toMatchObject({ stage: 'capture', origin: `kafka:${topic}`, errorCode: 'MALFORMED_JSON', payload: '{' });
      await waitFor(() => t?.app.kafkaCapture?.status().handled === 2, 'the capture to count both messages');
      expect(t.app.kafkaCapture?.status()).toEqual({ handled: 2, accepted: 1, duplicates: 0, deadLettered: 1 });
      // Offsets are committed after each handled batch, for the group every Payscope process shares.
      const admin = createTestKafka(brokers).admin();
      await admin.connect();
      try {
        await waitFor(async () => {
          const offsets = await admin.fetchOffsets({ groupId: 'payscope-capture', topics: [topic] });
          return offsets[0]!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0) === 2;
        }, 'the group to commit past both messages');
      } finally {
        await admin.disconnect();
      }
    } finally {
      await t?.stop();
    }
  });
});

function byOffset(a: { partition: number | null; offset: number | null }, b: { partition: number | null; offset: number | null }): number {
  return (a.partition ?? 0) - (b.partition ?? 0) || (a.offset ?? 0) - (b.offset ?? 0);
}
