import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { createOutboxRetentionJob } from '../../src/jobs/outbox-retention-job.js';
import { describeEachStore, type TestStore } from '../harness/stores.js';

/** The outbox retention job removes only rows that are old, published and behind every consumer. */
describeEachStore('outbox retention', (kind) => {
  let db: TestStore;
  beforeEach(async () => {
    db = await kind.create();
  });
  afterEach(() => db.close());

  /** Appends an outbox row `ageDays` old, published or not; returns its id. */
  const row = async (ageDays: number, published: boolean): Promise<number> => {
    const { rows } = await db.store.query<{ id: number }>(
      `INSERT INTO payment_service.outbox (event_id, event_type, aggregate_id, payload, created_at, published_at)
       VALUES ($1, 'payment.recorded', 'agg', '{}', NOW() - make_interval(days => $2), ${published ? 'NOW()' : 'NULL'}) RETURNING id`,
      [randomUUID(), ageDays],
    );
    return rows[0]?.id as number;
  };
  const position = (consumer: string, at: number) =>
    db.store.query(
      `INSERT INTO payment_service.consumer_offsets (consumer, position) VALUES ($1, $2)
       ON CONFLICT (consumer) DO UPDATE SET position = EXCLUDED.position`,
      [consumer, at],
    );
  const kept = async () =>
    (await db.store.query<{ id: number }>('SELECT id FROM payment_service.outbox ORDER BY id')).rows.map((r) => r.id);
  const job = (chunk = 2) => createOutboxRetentionJob({ store: db.store, retentionDays: 30, logger: createLogger('silent'), chunk });

  it('deletes old published rows every consumer has passed, in chunks, and nothing else', async () => {
    const ids = [
      await row(40, true),
      await row(40, true),
      await row(40, true),
      await row(40, false), // old but never published (the relay is behind or not running)
      await row(40, true), // old and published, but the analytics group has not read it yet
      await row(5, true), // published and read, but recent
    ];
    await position('outbox-relay', ids[5] as number);
    await position('analytics', ids[3] as number);
    expect(await job().run()).toEqual({ deleted: 3 });
    expect(await kept()).toEqual(ids.slice(3));
    // Once the analytics group moves on, the published row it passed goes too; the unpublished one stays.
    await position('analytics', ids[5] as number);
    expect(await job().run()).toEqual({ deleted: 1 });
    expect(await kept()).toEqual([ids[3], ids[5]]);
  });

  it('deletes nothing while no consumer has recorded a position', async () => {
    await row(90, true);
    expect(await job().run()).toEqual({ deleted: 0 });
    expect(await kept()).toHaveLength(1);
  });
});
