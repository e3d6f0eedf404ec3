import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { createMetrics } from '../../src/core/metrics.js';
import { createMemoryDedupCache } from '../../src/recorder/dedup-cache.js';
import { createRecorder } from '../../src/recorder/recorder.js';
import { insertStagingRows, loadStagingCsv } from '../../src/sources/staging/staging-csv-loader.js';
import { createStagingProcessor } from '../../src/sources/staging/staging-processor.js';
import { migrate } from '../../src/store/migrator.js';
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

/** The migration that widens payment_staging's amount columns (src/store/migrations/0006-exact-staging-amounts.ts). */
const EXACT_STAGING_MIGRATION = 6;

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

  it('takes a row for a known reference with a new status as a transition, and one with another amount as AMOUNT_CONFLICT on its row', async () => {
    const p = processor(db.store);
    await insertStagingRows(db.store, [row('LIFE-S', { status: 'PENDING' })]);
    await p.drain();
    await insertStagingRows(db.store, [
      row('LIFE-S', { status: 'SUCCESS', payment_date: '2026-11-01T10:05:00.000Z' }),
      row('LIFE-S', { status: 'FAILED', amount: '99.00' }),
    ]);
    expect(await p.drain()).toMatchObject({ processed: 1, duplicates: 0, errors: 1 });
    const ledger = await db.store.query<{ status: string; captured_minor: number; version: number }>(
      "SELECT status, captured_minor, version FROM payment_service.payments WHERE reference_number = 'LIFE-S'",
    );
    expect(ledger.rows).toEqual([{ status: 'succeeded', captured_minor: 10_025, version: 2 }]);
    const errors = await db.store.query<{ error_code: string | null }>(
      "SELECT error_code FROM payment_staging WHERE reference_number = 'LIFE-S' ORDER BY id",
    );
    expect(errors.rows.map((r) => r.error_code)).toEqual([null, null, 'AMOUNT_CONFLICT']);
    expect(await scalar(db, "SELECT count(*)::int AS n FROM payment_service.outbox WHERE event_type = 'payment.status_changed'")).toBe(1);
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
    expect(result.loaded).toBe(3);
    expect(result.rejected.map((r) => r.line)).toEqual([4, 5, 6]);
    expect(result.rejected[1]?.reason).toContain("amount 'abc'");
    const staged = await db.store.query<{ reference_number: string; amount: string; payment_date: Date }>(
      'SELECT reference_number, amount::text AS amount, payment_date FROM payment_staging ORDER BY id',
    );
    // 10.505 is staged exactly as written; whether its currency allows three decimals is the processor's call.
    expect(staged.rows).toEqual([
      { reference_number: 'C-1', amount: '10.50', payment_date: new Date('2026-11-01T10:00:00Z') },
      { reference_number: 'C-2', amount: '10.505', payment_date: new Date('2026-11-01T10:00:00Z') },
      { reference_number: 'C-6', amount: '99.99', payment_date: new Date('2026-11-02T02:30:00Z') },
    ]);
  });

  describe('exact amounts', () => {
    const insertBySql = (ref: string, amount: string, currency: string, extra = '', extraValue = '') =>
      db.store.query(
        `INSERT INTO payment_staging (reference_number, loan_account_number, cif, amount, currency, payment_date${extra})
         VALUES ('${ref}', 'LN1', 'CIF1', ${amount}, '${currency}', '2026-11-01 10:00:00'${extraValue})`,
      );
    const recorded = async () =>
      (
        await db.store.query<{ reference_number: string; amount_minor: number; currency: string; fee_minor: number | null }>(
          'SELECT reference_number, amount_minor, currency, fee_minor FROM payment_service.payments ORDER BY reference_number',
        )
      ).rows;
    const stagingErrors = async () =>
      (
        await db.store.query<{ reference_number: string; error_code: string; error_message: string }>(
          'SELECT reference_number, error_code, error_message FROM payment_staging WHERE error_code IS NOT NULL ORDER BY reference_number',
        )
      ).rows;

    it('records amounts written by SQL exactly in each currency: KWD and BHD 3 decimals, JPY 0, INR 2', async () => {
      await insertBySql('X-KWD', '12.345', 'KWD');
      await insertBySql('X-BHD', '0.125', 'BHD');
      await insertBySql('X-JPY', '1050', 'JPY');
      await insertBySql('X-INR', '100.12', 'INR');
      await insertBySql('X-CLF', '1.5', 'CLF', ', fee_amount', ', 0.0001');

      expect(await processor(db.store).processBatch()).toMatchObject({ total: 5, processed: 5, errors: 0 });
      expect(await recorded()).toEqual([
        { reference_number: 'X-BHD', amount_minor: 125, currency: 'BHD', fee_minor: null },
        { reference_number: 'X-CLF', amount_minor: 15000, currency: 'CLF', fee_minor: 1 },
        { reference_number: 'X-INR', amount_minor: 10012, currency: 'INR', fee_minor: null },
        { reference_number: 'X-JPY', amount_minor: 1050, currency: 'JPY', fee_minor: null },
        { reference_number: 'X-KWD', amount_minor: 12345, currency: 'KWD', fee_minor: null },
      ]);
    });

    it('rejects an amount written by SQL with more decimals than its currency allows, and records the rest of the batch', async () => {
      await insertBySql('P-INR', '100.125', 'INR');
      await insertBySql('P-KWD', '1.2345', 'KWD');
      await insertBySql('P-JPY', '10.5', 'JPY');
      await insertBySql('P-CLF-FEE', '1', 'CLF', ', fee_amount', ', 0.12345');
      await insertBySql('P-OK', '100.10', 'INR');

      expect(await processor(db.store).processBatch()).toMatchObject({ total: 5, processed: 1, errors: 4 });
      expect(await recorded()).toEqual([{ reference_number: 'P-OK', amount_minor: 10010, currency: 'INR', fee_minor: null }]);
      expect(await stagingErrors()).toEqual([
        {
          reference_number: 'P-CLF-FEE',
          error_code: 'AMOUNT_PRECISION',
          error_message: expect.stringContaining('fee_amount: amount 0.12345 has 5 decimals but CLF allows 4'),
        },
        {
          reference_number: 'P-INR',
          error_code: 'AMOUNT_PRECISION',
          error_message: expect.stringContaining('amount 100.125 has 3 decimals but INR allows 2'),
        },
        {
          reference_number: 'P-JPY',
          error_code: 'AMOUNT_PRECISION',
          error_message: expect.stringContaining('amount 10.5 has 1 decimals but JPY allows 0'),
        },
        {
          reference_number: 'P-KWD',
          error_code: 'AMOUNT_PRECISION',
          error_message: expect.stringContaining('amount 1.2345 has 4 decimals but KWD allows 3'),
        },
      ]);
    });

    it('marks an amount the wider column accepts but no payment can have (NaN, Infinity, negative, too large) as VALIDATION_FAILED', async () => {
      await insertBySql('V-NAN', "'NaN'", 'INR');
      await insertBySql('V-INF', "'Infinity'", 'INR');
      await insertBySql('V-NEG', '-5.00', 'INR');
      await insertBySql('V-BIG', '1000000000000000000000000000000', 'INR');

      expect(await processor(db.store).processBatch()).toMatchObject({ total: 4, processed: 0, errors: 4 });
      expect(await stagingErrors()).toEqual([
        { reference_number: 'V-BIG', error_code: 'VALIDATION_FAILED', error_message: expect.stringContaining('too large') },
        { reference_number: 'V-INF', error_code: 'VALIDATION_FAILED', error_message: expect.stringContaining('is not a decimal number') },
        { reference_number: 'V-NAN', error_code: 'VALIDATION_FAILED', error_message: expect.stringContaining('is not a decimal number') },
        { reference_number: 'V-NEG', error_code: 'VALIDATION_FAILED', error_message: expect.stringContaining('must not be negative') },
      ]);
    });

    it('loads exact amounts from a CSV with a currency column and records them, rejecting only the row its currency forbids', async () => {
      const file = join(tmpdir(), `staging-exact-${randomUUID()}.csv`);
      writeFileSync(
        file,
        [
          'reference_number,loan_account_number,cif,amount,currency,payment_date',
          'E-KWD,LN1,CIF1,12.345,KWD,2026-11-01 10:00:00',
          'E-BHD,LN1,CIF1,7.005,BHD,2026-11-01 10:00:00',
          'E-JPY,LN1,CIF1,1050,JPY,2026-11-01 10:00:00',
          'E-INR,LN1,CIF1,100.125,INR,2026-11-01 10:00:00',
          'E-DEF,LN1,CIF1,99.99,,2026-11-01 10:00:00',
        ].join('\n'),
      );
      expect(await loadStagingCsv({ db: db.store, file })).toEqual({ loaded: 5, rejected: [] });

      expect(await processor(db.store).processBatch()).toMatchObject({ total: 5, processed: 4, errors: 1 });
      expect(await recorded()).toEqual([
        { reference_number: 'E-BHD', amount_minor: 7005, currency: 'BHD', fee_minor: null },
        { reference_number: 'E-DEF', amount_minor: 9999, currency: 'INR', fee_minor: null },
        { reference_number: 'E-JPY', amount_minor: 1050, currency: 'JPY', fee_minor: null },
        { reference_number: 'E-KWD', amount_minor: 12345, currency: 'KWD', fee_minor: null },
      ]);
      expect(await stagingErrors()).toEqual([
        { reference_number: 'E-INR', error_code: 'AMOUNT_PRECISION', error_message: expect.stringContaining('INR allows 2') },
      ]);
    });

    it('keeps every staging row when migrating from the seed’s DECIMAL(15,2) column, and stores exact amounts after', async () => {
      // Put the table back as the seed (and migrations 1–5) left it, with rows in it.
      await db.store.query('ALTER TABLE payment_staging ALTER COLUMN amount TYPE DECIMAL(15,2)');
      await db.store.query(
        'ALTER TABLE payment_staging ALTER COLUMN fee_amount TYPE NUMERIC(18,4), ALTER COLUMN tax_amount TYPE NUMERIC(18,4)',
      );
      await db.store.query(`DELETE FROM payscope_migrations WHERE version = ${EXACT_STAGING_MIGRATION}`);
      await insertBySql('M-1', '12.345', 'KWD');
      await insertBySql('M-2', '100.10', 'INR', ', fee_amount, processed', ', 1.5, TRUE');
      const before = await db.store.query('SELECT * FROM payment_staging ORDER BY id');
      expect(before.rows.map((r) => String(r.amount))).toEqual(['12.35', '100.10']); // what the seed's column did

      const result = await migrate(db.store);

      expect(result).toMatchObject({ ok: true, applied: [expect.objectContaining({ version: EXACT_STAGING_MIGRATION })] });
      expect((await db.store.query('SELECT * FROM payment_staging ORDER BY id')).rows).toEqual(before.rows);
      await insertBySql('M-3', '12.345', 'KWD');
      const after = await db.store.query<{ amount: string }>(
        `SELECT amount::text AS amount FROM payment_staging WHERE reference_number = 'M-3'`,
      );
      expect(after.rows).toEqual([{ amount: '12.345' }]);
    });
  });

  it('records when a batch started and when it ended, so the log shows how long it took', async () => {
    // A store whose statements take a little longer: the batch then lasts at least that long.
    const slow: OperationalStore = {
      ...db.store,
      transaction: (fn) =>
        db.store.transaction((tx) =>
          fn({
            query: async (sql, params) => {
              await sleep(5);
              return tx.query(sql, params);
            },
          } as typeof tx),
        ),
    };
    await insertStagingRows(db.store, [row('T-1'), row('T-2')]);

    const summary = await processor(slow).processBatch();

    const log = await db.store.query<{ ms: number }>(
      'SELECT (extract(epoch FROM completed_at - started_at) * 1000)::float8 AS ms FROM payment_service.staging_process_log',
    );
    expect(summary?.ms).toBeGreaterThan(0);
    expect(log.rows).toEqual([{ ms: summary?.ms }]);
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
