import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { createMetrics } from '../../src/core/metrics.js';
import { createMemoryDedupCache } from '../../src/recorder/dedup-cache.js';
import { type Recorder, createRecorder } from '../../src/recorder/recorder.js';
import { payment } from '../harness/fixtures.js';
import { type TestStore, describeEachStore } from '../harness/stores.js';

const logger = createLogger('silent');

async function counts(db: TestStore) {
  const q = async (sql: string) => (await db.store.query<{ n: number }>(sql)).rows[0]?.n;
  return {
    payments: await q('SELECT count(*)::bigint AS n FROM payment_service.payments'),
    references: await q('SELECT count(*)::bigint AS n FROM payment_service.payment_references'),
    outbox: await q('SELECT count(*)::bigint AS n FROM payment_service.outbox'),
  };
}

describeEachStore('recorder', (kind) => {
  let db: TestStore;
  let recorder: Recorder;
  beforeEach(async () => {
    db = await kind.create();
    recorder = createRecorder({
      store: db.store,
      cache: createMemoryDedupCache({ maxSize: 1000, ttlMs: 60_000 }),
      metrics: createMetrics(),
      logger,
      maxBatch: 500,
    });
  });
  afterEach(async () => {
    await recorder.close();
    await db.close();
  });

  it('records 2,000 concurrent payments of which 30 % repeat a reference exactly once each', async () => {
    const unique = 1400;
    const refs = Array.from({ length: unique }, (_, i) => `REF-${i}`);
    const offers = [...refs, ...Array.from({ length: 600 }, (_, i) => refs[(i * 7) % unique] as string)];
    offers.sort(() => Math.random() - 0.5);
    const outcomes = await Promise.all(offers.map((r) => recorder.record(payment(r))));

    expect(outcomes.filter((o) => o.status === 'created')).toHaveLength(unique);
    expect(await counts(db)).toEqual({ payments: unique, references: unique, outbox: unique });
    // Every answer for one reference names the same payment: the original's id.
    const idByRef = new Map<string, Set<string>>();
    for (const [i, r] of offers.entries()) idByRef.set(r, (idByRef.get(r) ?? new Set()).add(outcomes[i]?.payment_id ?? ''));
    expect([...idByRef.values()].every((ids) => ids.size === 1)).toBe(true);
  });

  it('keeps a failure’s gateway code and category in the ledger and in its payment.recorded event', async () => {
    await recorder.record(
      payment('REF-FAILED', {
        status: 'failed',
        failure_reason: 'Debit failed',
        failure_code: 'U30',
        failure_category: 'issuer_unavailable',
      }),
    );
    const row = (
      await db.store.query<{ failure_code: string; failure_category: string }>(
        `SELECT failure_code, failure_category FROM payment_service.payments WHERE reference_number = 'REF-FAILED'`,
      )
    ).rows[0];
    expect(row).toEqual({ failure_code: 'U30', failure_category: 'issuer_unavailable' });
    const event = (
      await db.store.query<{ payload: { data: { payment: Record<string, unknown> } } }>('SELECT payload FROM payment_service.outbox')
    ).rows[0];
    expect(event?.payload.data.payment).toMatchObject({
      failure_code: 'U30',
      failure_category: 'issuer_unavailable',
      failure_reason: 'Debit failed',
    });
  });

  it('writes each payment with its reference and a payment.recorded CloudEvent in the outbox', async () => {
    const outcome = await recorder.record(payment('REF-EVENT', { amount_minor: 100_050, currency: 'KWD', metadata: { note: 'x' } }));
    expect(outcome.status).toBe('created');
    const { rows } = await db.store.query<{ payload: Record<string, unknown>; aggregate_id: string; event_type: string }>(
      'SELECT payload, aggregate_id, event_type FROM payment_service.outbox',
    );
    expect(rows).toHaveLength(1);
    const event = rows[0]?.payload as { specversion: string; type: string; subject: string; data: { payment: Record<string, unknown> } };
    expect(event.specversion).toBe('1.0');
    expect(event.type).toBe('payment.recorded');
    expect(event.subject).toBe(outcome.payment_id);
    expect(rows[0]?.aggregate_id).toBe(outcome.payment_id);
    expect(event.data.payment).toMatchObject({
      id: outcome.payment_id,
      amount: '100.050',
      amount_minor: 100_050,
      currency: 'KWD',
      source: 'webhook',
    });
    const stored = await db.store.query<{ amount_minor: number; payment_date: Date }>(
      'SELECT amount_minor, payment_date FROM payment_service.payments WHERE id = $1',
      [outcome.payment_id],
    );
    expect(stored.rows[0]).toEqual({ amount_minor: 100_050, payment_date: new Date('2026-11-20T10:00:00Z') });
  });

  it('answers a duplicate with the original payment id after the cache is gone', async () => {
    const first = await recorder.record(payment('REF-DUP'));
    const fresh = createRecorder({ store: db.store, cache: null, metrics: createMetrics(), logger, maxBatch: 10 });
    const again = await fresh.record(payment('REF-DUP'));
    expect(again).toEqual({ status: 'duplicate', payment_id: first.payment_id });
    await fresh.close();
  });

  it('refuses a same-reference delivery with another amount (AMOUNT_CONFLICT) and keeps it as a ledger dead letter', async () => {
    const first = await recorder.record(payment('REF-CONFLICT'));
    const again = await recorder.record(payment('REF-CONFLICT', { amount_minor: 1 }));
    expect(again).toMatchObject({ status: 'refused', payment_id: first.payment_id, failure: { code: 'AMOUNT_CONFLICT' } });
    const letters = await db.store.query<{ stage: string; error_code: string; payload: string }>(
      "SELECT stage, error_code, payload FROM payment_service.dead_letters WHERE event_id LIKE 'REF-CONFLICT|%'",
    );
    expect(letters.rows).toHaveLength(1);
    expect(letters.rows[0]).toMatchObject({ stage: 'ledger', error_code: 'AMOUNT_CONFLICT' });
    expect(JSON.parse(letters.rows[0]?.payload ?? '{}')).toMatchObject({ reference_number: 'REF-CONFLICT', amount_minor: 1 });
    const row = await db.store.query<{ amount_minor: string; version: number }>(
      "SELECT amount_minor::text, version FROM payment_service.payments WHERE reference_number = 'REF-CONFLICT'",
    );
    expect(row.rows).toEqual([{ amount_minor: '12345', version: 1 }]);
  });

  it('answers every caller in a group when one row in it is refused by the database', async () => {
    const good = Array.from({ length: 40 }, (_, i) => payment(`REF-G-${i}`));
    // The validator would refuse this; bypassing it proves the group does not fail as a whole.
    const bad = payment('REF-BAD', { loan_account_number: 'X'.repeat(40) });
    const results = await Promise.allSettled([...good, bad].map((p) => recorder.record(p)));
    expect(results.slice(0, 40).every((r) => r.status === 'fulfilled' && r.value.status === 'created')).toBe(true);
    expect(results[40]?.status).toBe('rejected');
    expect(await counts(db)).toEqual({ payments: 40, references: 40, outbox: 40 });
  });

  it('records a payment whose month has no partition into the default partition', async () => {
    const outcome = await recorder.record(payment('REF-FAR', { payment_date: new Date('2031-02-03T00:00:00Z') }));
    expect(outcome.status).toBe('created');
    const r = await db.store.query<{ n: number }>('SELECT count(*)::bigint AS n FROM payment_service.payments_default');
    expect(r.rows[0]?.n).toBe(1);
  });

  it('lets two recorders (two instances) race on the same references and keeps one payment per reference', async () => {
    const other = createRecorder({ store: db.store, cache: null, metrics: createMetrics(), logger, maxBatch: 50 });
    const refs = Array.from({ length: 300 }, () => randomUUID());
    const [a, b] = await Promise.all([
      Promise.all(refs.map((r) => recorder.record(payment(r)))),
      Promise.all(refs.map((r) => other.record(payment(r)))),
    ]);
    const created = [...a, ...b].filter((o) => o.status === 'created').length;
    expect(created).toBe(300);
    expect(a.map((o) => o.payment_id)).toEqual(b.map((o) => o.payment_id));
    expect(await counts(db)).toEqual({ payments: 300, references: 300, outbox: 300 });
    await other.close();
  });
});
