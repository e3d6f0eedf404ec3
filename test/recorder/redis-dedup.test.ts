import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { createMetrics } from '../../src/core/metrics.js';
import { createLayeredDedupCache, createMemoryDedupCache, createRedisDedupCache } from '../../src/recorder/dedup-cache.js';
import { createRecorder } from '../../src/recorder/recorder.js';
import { createReplayGuard } from '../../src/sources/webhooks/replay-guard.js';
import { describeWithRedis } from '../harness/redis.js';
import { type TestStore, storeKinds } from '../harness/stores.js';
import { payment } from '../harness/fixtures.js';

const logger = createLogger('silent');

describeWithRedis('dedup on a real Redis', (url) => {
  let redis: Redis;
  let db: TestStore;
  beforeAll(async () => {
    redis = new Redis(url);
    db = await (storeKinds()[0] as ReturnType<typeof storeKinds>[number]).create();
  });
  afterAll(async () => {
    redis.disconnect();
    await db.close();
  });

  function instance(storeId: string, metrics = createMetrics()) {
    const cache = createLayeredDedupCache([
      createMemoryDedupCache({ maxSize: 100, ttlMs: 60_000, metrics }),
      createRedisDedupCache({ redis, storeId, ttlSeconds: 60, metrics }),
    ]);
    return { metrics, recorder: createRecorder({ store: db.store, cache, metrics, logger, maxBatch: 100 }) };
  }

  it('lets a second instance answer a duplicate from Redis without asking the database', async () => {
    const storeId = randomUUID();
    const a = instance(storeId);
    const b = instance(storeId);
    const first = await a.recorder.record(payment('RD-1'));
    const again = await b.recorder.record(payment('RD-1'));
    expect(again).toEqual({ status: 'duplicate', payment_id: first.payment_id });
    const hits = (await b.metrics.cacheLookups.get()).values.find((v) => v.labels.layer === 'redis' && v.labels.result === 'hit');
    expect(hits?.value).toBe(1);
    // One key per delivery: the reference and its dedup key (status, amount, currency).
    expect(await redis.ttl(`payscope:${storeId}:ref:RD-1\u0000status:succeeded:12345:INR`)).toBeGreaterThan(0);
  });

  it('never turns a new payment into a duplicate: keys of another database are not consulted', async () => {
    await redis.set(`payscope:${randomUUID()}:ref:RD-2`, randomUUID());
    const outcome = await instance(randomUUID()).recorder.record(payment('RD-2'));
    expect(outcome.status).toBe('created');
  });

  it('keeps recording correctly when Redis is unreachable', async () => {
    const dead = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    const metrics = createMetrics();
    const cache = createRedisDedupCache({ redis: dead, storeId: randomUUID(), ttlSeconds: 60, metrics });
    const recorder = createRecorder({ store: db.store, cache, metrics, logger, maxBatch: 10 });
    const first = await recorder.record(payment('RD-3'));
    const again = await recorder.record(payment('RD-3'));
    expect([first.status, again.status]).toEqual(['created', 'duplicate']);
    const errors = (await metrics.cacheLookups.get()).values.find((v) => v.labels.result === 'error');
    expect(errors?.value).toBeGreaterThan(0);
    dead.disconnect();
  });

  it('shares answered webhook ids between instances through Redis', async () => {
    const namespace = randomUUID();
    await createReplayGuard({ ttlSeconds: 60, redis, namespace }).remember('default', 'msg_1', { status: 'created', payment_id: 'p1' });
    expect(await createReplayGuard({ ttlSeconds: 60, redis, namespace }).answered('default', 'msg_1')).toEqual({
      status: 'created',
      payment_id: 'p1',
    });
  });
});
