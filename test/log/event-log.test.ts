/**
 * The event log contract, run against every log: the embedded log (on PGlite and on PostgreSQL)
 * and Kafka (librdkafka's mock cluster, a real consumer group). Events reach the log through the
 * real outbox relay.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventLog, EventLogConsumer, LogEvent } from '../../src/log/event-log-port.js';
import { createOutboxRelay, type OutboxRelay } from '../../src/log/outbox-relay.js';
import {
  appendInterleaved,
  collect,
  describeEachLog,
  embeddedLogFor,
  logKinds,
  seqsByKey,
  stopAll,
  TEST_RETRY,
  type TestLog,
  testLogger,
  waitFor,
} from '../harness/event-logs.js';
import { uniqueName } from '../harness/kafka.js';

const relayFor = (t: TestLog, log: EventLog = t.log, batchSize = 40): OutboxRelay =>
  createOutboxRelay({ store: t.db.store, log, batchSize, logger: testLogger, pollIntervalMs: 20, leaseTtlMs: 5000, retry: TEST_RETRY });

describeEachLog('the event log', (kind) => {
  let t: TestLog;
  const relays: OutboxRelay[] = [];
  const consumers: EventLogConsumer[] = [];
  beforeEach(async () => {
    t = await kind.create();
  });
  afterEach(async () => {
    await stopAll(consumers.splice(0));
    await Promise.allSettled(relays.splice(0).map((r) => r.stop()));
    await t.close();
  });

  const startRelay = (log?: EventLog, batchSize?: number) => {
    const relay = relayFor(t, log, batchSize);
    relays.push(relay);
    relay.start();
    return relay;
  };
  const consumer = (group: string, maxBatchSize = 25, log: EventLog = t.log) => {
    const c = log.consumer({ group, maxBatchSize });
    consumers.push(c);
    return c;
  };

  it('delivers every event of every payment exactly once after dedup, each payment in order', async () => {
    const appended = await appendInterleaved(t.db.store, { keys: 12, perKey: 6, perTransaction: 7 });
    const relay = startRelay();
    const got = collect();
    await consumer(uniqueName('analytics')).start(got.handler);

    await got.until(() => got.ids().size === appended.length, `${appended.length} distinct events`);
    expect(got.ids()).toEqual(new Set(appended.map((e) => e.id)));
    for (const [key, seqs] of seqsByKey(got.records)) expect(seqs, key).toEqual([0, 1, 2, 3, 4, 5]);
    for (const batch of got.batches) expect(batch.length).toBeLessThanOrEqual(25);
    for (const r of got.records) {
      const event = JSON.parse(r.value) as { id: string; subject: string; type: string; specversion: string };
      expect(event).toMatchObject({ id: r.id, subject: r.key, type: r.type, specversion: '1.0' });
    }

    await waitFor(() => relay.status().backlog === 0, 'the relay to report an empty backlog');
    const status = relay.status();
    expect(status).toMatchObject({ state: 'running', connected: true, backlog: 0, lastError: null });
    expect(status.published).toBeGreaterThanOrEqual(appended.length);
    const { rows } = await t.db.store.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM payment_service.outbox WHERE published_at IS NULL',
    );
    expect(rows[0]?.n).toBe(0);
  });

  it('resumes a restarted consumer after its last committed batch', async () => {
    const group = uniqueName('analytics');
    startRelay();
    const first = await appendInterleaved(t.db.store, { keys: 5, perKey: 4, perTransaction: 6 });
    const before = collect();
    const a = consumer(group, 5);
    await a.start(before.handler);
    await before.until(() => before.ids().size === first.length, 'the first wave');
    await a.stop();
    expect(a.status()).toMatchObject({ state: 'stopped', lastError: null });

    // A new process: new log client, same group.
    const second = await appendInterleaved(t.db.store, { keys: 5, perKey: 4, perTransaction: 6 });
    const after = collect();
    await consumer(group, 5, t.reopen()).start(after.handler);
    await after.until(() => after.ids().size >= second.length, 'the second wave');

    const firstIds = new Set(first.map((e) => e.id));
    expect(after.records.filter((r) => firstIds.has(r.id))).toEqual([]);
    expect(after.ids()).toEqual(new Set(second.map((e) => e.id)));
  });

  it('retries a batch whose handler failed, delivering nothing after it meanwhile', async () => {
    startRelay();
    const appended = await appendInterleaved(t.db.store, { keys: 4, perKey: 5, perTransaction: 20 });
    const got = collect();
    let failuresLeft = 2;
    const attempts: string[][] = [];
    const c = consumer(uniqueName('analytics'), 10);
    await c.start(async (records, context) => {
      attempts.push(records.map((r) => r.id));
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new Error('warehouse unavailable');
      }
      await got.handler(records, context);
    });

    await got.until(() => got.ids().size === appended.length, 'every event after the failures');
    // The first batch was offered three times before anything else was delivered.
    expect(attempts[1]).toEqual(attempts[0]);
    expect(attempts[2]).toEqual(attempts[0]);
    expect(got.batches[0]?.map((r) => r.id)).toEqual(attempts[0]);
    for (const [key, seqs] of seqsByKey(got.records)) expect(seqs, key).toEqual([0, 1, 2, 3, 4]);
    expect(c.status().lastError).toBeNull();
  });

  it('loses nothing when the relay dies after publishing a batch and before marking it', async () => {
    const appended = await appendInterleaved(t.db.store, { keys: 10, perKey: 5, perTransaction: 10 });
    // The first relay's process "dies" right after its second batch reached the log: the log has
    // it, the outbox does not know. From then on every round fails after publishing.
    let published = 0;
    const dying: EventLog = {
      ...t.log,
      async publish(events: readonly LogEvent[]) {
        await t.log.publish(events);
        published++;
        if (published >= 2) throw new Error('killed before marking the batch published');
      },
    };
    const first = startRelay(dying, 10);
    await waitFor(() => published >= 2, 'the first relay to publish twice');
    await first.stop();
    const { rows } = await t.db.store.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM payment_service.outbox WHERE published_at IS NULL',
    );
    expect(rows[0]?.n).toBeGreaterThan(0);

    const restarted = startRelay(t.reopen(), 10);
    await waitFor(() => restarted.status().backlog === 0, 'the restarted relay to drain the outbox');

    const got = collect();
    await consumer(uniqueName('analytics')).start(got.handler);
    await got.until(() => got.ids().size === appended.length, 'every event');
    expect(got.ids()).toEqual(new Set(appended.map((e) => e.id)));
    for (const [key, seqs] of seqsByKey(got.records)) expect(seqs, key).toEqual([0, 1, 2, 3, 4]);
    if (kind.kind === 'kafka') {
      // At-least-once: the unmarked batch went out again, and the duplicates carry the same ids.
      await got.until(() => got.records.length > appended.length, 'the republished duplicates');
      expect(got.ids().size).toBe(appended.length);
    }
  });
});

for (const kind of logKinds().filter((k) => k.kind === 'embedded')) {
  const describeIf = kind.available ? describe : describe.skip;
  describeIf(`the embedded log with two members of one group [${kind.name}]`, () => {
    it('lets one member read while the other stands by, then hands over at the committed position', async () => {
      const { db, close } = await kind.create();
      const a = embeddedLogFor(db).consumer({ group: 'analytics', maxBatchSize: 10 });
      const b = embeddedLogFor(db).consumer({ group: 'analytics', maxBatchSize: 10 });
      try {
        const first = await appendInterleaved(db.store, { keys: 3, perKey: 5, perTransaction: 5 });
        const gotA = collect();
        const gotB = collect();
        await a.start(gotA.handler);
        await gotA.until(() => gotA.ids().size === first.length, 'member A to read the first wave');
        await b.start(gotB.handler);
        await waitFor(() => b.status().state === 'waiting', 'member B to stand by');
        await a.stop();

        const second = await appendInterleaved(db.store, { keys: 3, perKey: 5, perTransaction: 5 });
        await gotB.until(() => gotB.ids().size === second.length, 'member B to read the second wave');
        expect(gotB.ids()).toEqual(new Set(second.map((e) => e.id)));
      } finally {
        await stopAll([a, b]);
        await close();
      }
    });
  });
}
