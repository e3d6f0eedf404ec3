import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { createMetrics } from '../../src/core/metrics.js';
import { createMemoryDedupCache } from '../../src/recorder/dedup-cache.js';
import { createRecorder } from '../../src/recorder/recorder.js';
import { insertStagingRows } from '../../src/sources/staging/staging-csv-loader.js';
import { createStagingProcessor } from '../../src/sources/staging/staging-processor.js';
import { type TestStore, storeKinds } from '../harness/stores.js';

let db: TestStore;
beforeEach(async () => {
  db = await (storeKinds()[0] as { create(): Promise<TestStore> }).create();
});
afterEach(() => db.close());

it('logs a staging batch with one batch_id and snake_case fields (no batchId beside it)', async () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => {
    text += c.toString();
  });
  const logger = createLogger('info', out);
  const metrics = createMetrics();
  const recorder = createRecorder({
    store: db.store,
    cache: createMemoryDedupCache({ maxSize: 100, ttlMs: 60_000 }),
    metrics,
    logger,
    maxBatch: 500,
    maxInflight: 1,
  });
  const staging = createStagingProcessor({
    store: db.store,
    recorder,
    metrics,
    logger,
    batchSize: 100,
    intervalSeconds: 1,
    maxRetries: 3,
    defaultCurrency: 'INR',
  });
  await insertStagingRows(db.store, [
    { reference_number: 'LOG-1', loan_account_number: 'LN1', cif: 'CIF1', amount: '100.25', payment_date: '2026-11-01T10:00:00.000Z' },
  ]);
  const summary = await staging.processBatch();
  await recorder.close();
  const line = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.msg === 'staging batch done');
  expect(line).toMatchObject({
    batch_id: summary?.batchId,
    total: 1,
    processed: 1,
    start_id: expect.any(Number),
    end_id: expect.any(Number),
  });
  expect(Object.keys(line ?? {}).filter((k) => /[A-Z]/.test(k))).toEqual([]);
});
