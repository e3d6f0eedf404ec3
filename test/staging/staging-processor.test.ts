import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { createMetrics } from '../../src/core/metrics.js';
import { createMemoryDedupCache } from '../../src/recorder/dedup-cache.js';
import { createRecorder } from '../../src/recorder/recorder.js';
import { insertStagingRows, loadStagingCsv } from '../../src/sources/staging/staging-csv-loader.js';
import { createStagingProcessor } from '../../src/sources/staging/staging-processor.js';
import type { OperationalStore } from '../../src/store/store-port.js';
import { type TestStore, describeEachStore } from '../harness/stores.js';

const logger = createLogger('silent');

function processor(store: OperationalStore, batchSize = 100, metrics = createMetrics()) {
  const recorder = createRecorder({
    store,
    cache: createMemoryDedupCache({ maxSize: 10_000, ttlMs: 60_000 }),
    metrics,
    logger,
    maxBatch: 500,
  });
  return createStagingProcessor({ store, recorder, metrics, logger, batchSize, intervalSeconds: 1, maxRetries: 3, defaultCurrency: 'INR' });
}

function row(ref: string, extra: Record<string, unknown> = {}) {
  return {
    reference_number: ref,
    loan_account_number: 'LN1',
    cif: 'CIF1',
    amount: '100.25',
    payment_date: '2026-11-01T10:00:00.000Z',
    ...extra,
  };
}

const scalar = async (db: TestStore, sql: string) => (await db.store.query<{ n: number }>(sql)).rows[0]?.n;

describeEachStore('staging processor', (kind) => {
  let db: TestStore;
  beforeEach(async () => {
    db = await kind.create();
  });
  afterEach(() => db.close());

  it('records good rows, marks bad rows with their error, and never lets a bad row block the batch', async () => {
    await insertStagingRows(db.store, [
      row('S-1'),
      row('S-2', { currency: 'XXX' }),
      row('S-3', { currency: 'JPY', amount: '10.50' }),
      row('S-4', { payment_date: '1960-01-01T00:00:00.000Z' }),
      row('S-5', { currency: 'JPY', amount: '1050' }),
      row('S-1'),
      row('S-6', { metadata: { source_file: 'a.csv' } }),
    ]);
    const summary = await processor(db.store).processBatch();
    expect(summary).toMatchObject({ total: 7, processed: 3, duplicates: 1, errors: 3 });
    const errors = await db.store.query<{ reference_number: string; error_code: string }>(
      'SELECT reference_number, error_code FROM payment_staging WHERE error_code IS NOT NULL ORDER BY reference_number',
    );
    expect(errors.rows).toEqual([
      { reference_number: 'S-2', error_code: 'UNKNOWN_CURRENCY' },
      { reference_number: 'S-3', error_code: 'AMOUNT_PRECISION' },
      { reference_number: 'S-4', error_code: 'VALIDATION_FAILED' },
    ]);
    expect(await scalar(db, 'SELECT count(*)::bigint AS n FROM payment_staging WHERE processed = FALSE')).toBe(0);
    expect(await scalar(db, 'SELECT count(*)::bigint AS n FROM payment_service.payments')).toBe(3);
    expect(await scalar(db, 'SELECT count(*)::bigint AS n FROM payment_service.outbox')).toBe(3);
    const yen = await db.store.query<{ amount_minor: number }>(
      `SELECT amount_minor FROM payment_service.payments WHERE reference_number = 'S-5'`,
    );
    expect(yen.rows[0]?.amount_minor).toBe(1050);
    const log = await db.store.query<Record<string, unknown>>(
      'SELECT total_records, processed_records, duplicate_records, error_records, status, error_details FROM payment_service.staging_process_log',
    );
    expect(log.rows[0]).toMatchObject({
      total_records: 7,
      processed_records: 3,
      duplicate_records: 1,
      error_records: 3,
      status: 'completed',
    });
    expect(log.rows[0]?.error_details).toHaveLength(3);
  });

  it('treats a reference already recorded by a webhook as a duplicate', async () => {
    const p = processor(db.store);
    await insertStagingRows(db.store, [row('DUP-A')]);
    await p.drain();
    await insertStagingRows(db.store, [row('DUP-A'), row('DUP-B')]);
    const totals = await p.drain();
    expect(totals).toMatchObject({ processed: 1, duplicates: 1, errors: 0 });
  });

  it('lets two workers share one backlog without recording anything twice', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => row(`W-${i % 2700}`));
    await insertStagingRows(db.store, rows);
    const [a, b] = await Promise.all([processor(db.store, 250).drain(), processor(db.store, 250).drain()]);
    expect(a.processed + b.processed).toBe(2700);
    expect(a.duplicates + b.duplicates).toBe(300);
    expect(await scalar(db, 'SELECT count(*)::bigint AS n FROM payment_service.payments')).toBe(2700);
    expect(await scalar(db, 'SELECT count(*)::bigint AS n FROM payment_service.outbox')).toBe(2700);
    expect(await scalar(db, 'SELECT sum(total_records)::bigint AS n FROM payment_service.staging_process_log')).toBe(3000);
  });

  it('retries a batch that failed on a lost connection and then records it', async () => {
    let failures = 1;
    const flaky: OperationalStore = {
      ...db.store,
      query: db.store.query,
      transaction: async (fn) => {
        if (failures-- > 0) throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
        return db.store.transaction(fn);
      },
    };
    const metrics = createMetrics();
    await insertStagingRows(db.store, [row('R-1'), row('R-2')]);
    const s = await processor(flaky, 100, metrics).processBatch();
    expect(s).toMatchObject({ processed: 2 });
    expect((await metrics.stagingBatchFailures.get()).values[0]?.value).toBe(1);
  });

  it('loads a CSV into staging, reporting rows that cannot be staged by line number', async () => {
    const file = join(tmpdir(), `staging-${Date.now()}.csv`);
    writeFileSync(
      file,
      [
        'reference_number,loan_account_number,cif,amount,payment_date,payment_channel,metadata',
        'C-1,LN1,CIF1,10.50,2026-11-01 10:00:00,UPI,"{""a"":1}"',
        'C-2,LN1,CIF1,10.505,2026-11-01 10:00:00,UPI,',
        'C-3,,CIF1,10.50,2026-11-01 10:00:00,UPI,',
        'C-4,LN1,CIF1,abc,2026-11-01 10:00:00,UPI,',
        'C-5,LN1,CIF1,7,not-a-date,UPI,',
        'C-6,LN1,CIF1,99.99,2026-11-02T08:00:00+05:30,NEFT,',
      ].join('\n'),
    );
    const result = await loadStagingCsv({ db: db.store, file });
    expect(result.loaded).toBe(2);
    expect(result.rejected.map((r) => r.line)).toEqual([3, 4, 5, 6]);
    expect(result.rejected[0]?.reason).toContain('2 decimals');
    const staged = await db.store.query<{ reference_number: string; amount: string; payment_date: Date }>(
      'SELECT reference_number, amount::text AS amount, payment_date FROM payment_staging ORDER BY id',
    );
    expect(staged.rows).toEqual([
      { reference_number: 'C-1', amount: '10.50', payment_date: new Date('2026-11-01T10:00:00Z') },
      { reference_number: 'C-6', amount: '99.99', payment_date: new Date('2026-11-02T02:30:00Z') },
    ]);
  });

  it('marks a zero-amount row AMOUNT_ZERO and a row dated in 2031 PAYMENT_DATE_IN_FUTURE, and records the rest of their batch', async () => {
    await insertStagingRows(db.store, [
      row('Z-1'),
      row('Z-2', { amount: '0.00' }),
      row('Z-3', { payment_date: '2031-12-15T10:00:00.000Z' }),
      row('Z-4'),
    ]);
    const summary = await processor(db.store).processBatch();
    expect(summary).toMatchObject({ total: 4, processed: 2, errors: 2 });
    const rows = await db.store.query<{ reference_number: string; processed: boolean; error_code: string | null }>(
      'SELECT reference_number, processed, error_code FROM payment_staging ORDER BY reference_number',
    );
    expect(rows.rows).toEqual([
      { reference_number: 'Z-1', processed: true, error_code: null },
      { reference_number: 'Z-2', processed: true, error_code: 'AMOUNT_ZERO' },
      { reference_number: 'Z-3', processed: true, error_code: 'PAYMENT_DATE_IN_FUTURE' },
      { reference_number: 'Z-4', processed: true, error_code: null },
    ]);
    expect(await scalar(db, "SELECT count(*)::int AS n FROM payment_service.payments WHERE payment_date >= '2031-01-01'")).toBe(0);
    // A batch that stored no far-future payment leaves no far-future partition to create.
    expect(await scalar(db, 'SELECT count(*)::int AS n FROM payment_service.payments')).toBe(2);
  });

  it('reports CSV lines holding bytes that are not UTF-8 as rejected, never merging two references into one', async () => {
    const file = join(tmpdir(), `staging-utf8-${Date.now()}-${kind.name}.csv`);
    const line = (reference: Buffer | string) =>
      Buffer.concat([Buffer.from(reference), Buffer.from(',LN1,CIF1,10.50,2026-11-01 10:00:00\n')]);
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from('reference_number,loan_account_number,cif,amount,payment_date\n'),
        line('U-ok-ü'),
        line(Buffer.concat([Buffer.from('U-bad-'), Buffer.from([0xff])])),
        line(Buffer.concat([Buffer.from('U-bad-'), Buffer.from([0xfe])])),
        line('U-ok-2'),
      ]),
    );
    const result = await loadStagingCsv({ db: db.store, file });
    expect(result.loaded).toBe(2);
    expect(result.rejected.map((r) => r.line)).toEqual([3, 4]);
    expect(result.rejected[0]?.reason).toMatch(/not valid UTF-8/);
    const staged = await db.store.query<{ reference_number: string }>('SELECT reference_number FROM payment_staging ORDER BY id');
    expect(staged.rows.map((r) => r.reference_number)).toEqual(['U-ok-ü', 'U-ok-2']);
  });
});
