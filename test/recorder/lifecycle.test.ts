import { afterEach, beforeEach, expect, it } from 'vitest';
import { validateEvent } from '../../src/contracts/index.js';
import { createLogger } from '../../src/core/logger.js';
import { createMetrics } from '../../src/core/metrics.js';
import { createMemoryDedupCache } from '../../src/recorder/dedup-cache.js';
import type { CanonicalDispute, CanonicalRefund } from '../../src/recorder/ledger-delivery.js';
import { type Recorder, createRecorder } from '../../src/recorder/recorder.js';
import { payment } from '../harness/fixtures.js';
import { type TestStore, describeEachStore } from '../harness/stores.js';

const logger = createLogger('silent');
const at = (s: number) => new Date(Date.UTC(2026, 10, 20, 10, 0, s));

function refund(reference: string, id: string, amount: number, second: number, overrides: Partial<CanonicalRefund> = {}): CanonicalRefund {
  return {
    reference_number: reference,
    refund_id: id,
    amount_minor: amount,
    currency: 'INR',
    event_time: at(second),
    reason: 'requested_by_customer',
    gateway: 'razorpay',
    gateway_event_id: null,
    source: 'webhook',
    ...overrides,
  };
}

function dispute(reference: string, status: CanonicalDispute['dispute_status'], second: number): CanonicalDispute {
  return {
    reference_number: reference,
    dispute_id: 'dp_1',
    amount_minor: 12_345,
    currency: 'INR',
    event_time: at(second),
    dispute_status: status,
    reason: 'fraudulent',
    evidence_due_by: null,
    gateway: 'stripe',
    gateway_event_id: null,
    source: 'webhook',
  };
}

describeEachStore('payment lifecycle in the ledger', (kind) => {
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

  const ledger = async (reference: string) =>
    (
      await db.store.query<Record<string, unknown>>(
        `SELECT status, status_time, authorized_minor::int AS authorized, captured_minor::int AS captured,
                refunded_minor::int AS refunded, version FROM payment_service.payments WHERE reference_number = $1`,
        [reference],
      )
    ).rows[0];
  const history = async (reference: string) =>
    (
      await db.store.query<Record<string, unknown>>(
        `SELECT version, change, reported_status, from_status, to_status, applied
         FROM payment_service.payment_status_history WHERE reference_number = $1 ORDER BY version`,
        [reference],
      )
    ).rows;
  const outbox = async (reference: string) =>
    (
      await db.store.query<{ event_type: string; payload: { data: Record<string, unknown> } }>(
        `SELECT event_type, payload FROM payment_service.outbox
         WHERE payload->'data'->>'reference_number' = $1 OR payload->'data'->'payment'->>'reference_number' = $1 ORDER BY id`,
        [reference],
      )
    ).rows;

  it('authorized then captured: a transition with history, amounts and one payment.status_changed, in one transaction', async () => {
    const first = await recorder.record(payment('pay_A', { status: 'authorized', amount_minor: 10_000, status_time: at(1) }));
    const second = await recorder.record(payment('pay_A', { status: 'captured', amount_minor: 8_000, status_time: at(5), fee_minor: 236 }));
    expect(second).toEqual({
      status: 'transitioned',
      payment_id: first.payment_id,
      from_status: 'authorized',
      to_status: 'captured',
      applied: true,
      version: 2,
    });
    expect(await ledger('pay_A')).toEqual({
      status: 'captured',
      status_time: at(5),
      authorized: 10_000,
      captured: 8_000,
      refunded: 0,
      version: 2,
    });
    expect(await history('pay_A')).toEqual([
      { version: 1, change: 'recorded', reported_status: 'authorized', from_status: null, to_status: 'authorized', applied: true },
      { version: 2, change: 'status', reported_status: 'captured', from_status: 'authorized', to_status: 'captured', applied: true },
    ]);
    const events = await outbox('pay_A');
    expect(events.map((e) => e.event_type)).toEqual(['payment.recorded', 'payment.status_changed']);
    const changed = events[1]?.payload as Parameters<typeof validateEvent>[0];
    const valid = validateEvent(changed);
    expect(valid.ok ? null : valid.error.message).toBeNull();
    expect(events[1]?.payload.data).toMatchObject({
      version: 2,
      from_status: 'authorized',
      to_status: 'captured',
      amount: { amount_minor: 8_000, currency: 'INR' },
      amounts: { authorized_minor: 10_000, captured_minor: 8_000, refunded_minor: 0, fee_minor: 236 },
    });
    // The exact redelivery of the capture stays a duplicate and writes nothing.
    expect(await recorder.record(payment('pay_A', { status: 'captured', amount_minor: 8_000, status_time: at(6) }))).toEqual({
      status: 'duplicate',
      payment_id: first.payment_id,
    });
    expect(await outbox('pay_A')).toHaveLength(2);
  });

  it('captured before authorized, and failed after captured: the event times decide, not the arrival order', async () => {
    await recorder.record(payment('pay_B', { status: 'captured', amount_minor: 500, status_time: at(5) }));
    const late = await recorder.record(payment('pay_B', { status: 'authorized', amount_minor: 500, status_time: at(1) }));
    expect(late).toMatchObject({ status: 'transitioned', from_status: 'captured', to_status: 'captured' });
    const failed = await recorder.record(payment('pay_B', { status: 'failed', amount_minor: 500, status_time: at(9) }));
    // captured → failed is not an allowed move: kept in history, the state stays.
    expect(failed).toMatchObject({ status: 'transitioned', from_status: 'captured', to_status: 'captured', applied: false });
    expect(await ledger('pay_B')).toMatchObject({ status: 'captured', authorized: 500, captured: 500, version: 3 });
    expect((await history('pay_B')).map((h) => h.applied)).toEqual([true, true, false]);
  });

  it('the seed body sent FAILED then SUCCESS under one reference ends in succeeded', async () => {
    await recorder.record(payment('SEED-1', { status: 'failed', status_time: at(0) }));
    expect(await recorder.record(payment('SEED-1', { status: 'succeeded', status_time: at(0) }))).toMatchObject({
      status: 'transitioned',
      from_status: 'failed',
      to_status: 'succeeded',
    });
    expect(await ledger('SEED-1')).toMatchObject({ status: 'succeeded', captured: 12_345 });
  });

  it('refunds against the captured amount: partial, full, over-refund and another currency refused and kept for review', async () => {
    await recorder.record(payment('pay_R', { status: 'captured', amount_minor: 10_000, status_time: at(1) }));
    const r1 = await recorder.recordDelivery({ kind: 'refund', refund: refund('pay_R', 'rfnd_1', 4_000, 10) });
    expect(r1).toMatchObject({ status: 'transitioned', from_status: 'captured', to_status: 'partially_refunded' });
    const again = await recorder.recordDelivery({ kind: 'refund', refund: refund('pay_R', 'rfnd_1', 4_000, 11) });
    expect(again.status).toBe('duplicate');
    const over = await recorder.recordDelivery({ kind: 'refund', refund: refund('pay_R', 'rfnd_2', 6_001, 12) });
    expect(over).toMatchObject({ status: 'refused', failure: { code: 'REFUND_EXCEEDS_CAPTURED' } });
    const usd = await recorder.recordDelivery({ kind: 'refund', refund: refund('pay_R', 'rfnd_3', 100, 13, { currency: 'USD' }) });
    expect(usd).toMatchObject({ status: 'refused', failure: { code: 'REFUND_CURRENCY_MISMATCH' } });
    const r2 = await recorder.recordDelivery({ kind: 'refund', refund: refund('pay_R', 'rfnd_4', 6_000, 14) });
    expect(r2).toMatchObject({ status: 'transitioned', to_status: 'refunded' });
    expect(await ledger('pay_R')).toMatchObject({ status: 'refunded', captured: 10_000, refunded: 10_000, version: 3 });
    const types = (await outbox('pay_R')).map((e) => e.event_type);
    expect(types).toEqual(['payment.recorded', 'payment.status_changed', 'payment.refunded', 'payment.status_changed', 'payment.refunded']);
    for (const e of await outbox('pay_R')) {
      const v = validateEvent(e.payload as Parameters<typeof validateEvent>[0]);
      expect(v.ok ? null : `${e.event_type}: ${v.error.message}`).toBeNull();
    }
    const letters = await db.store.query<{ error_code: string }>(
      "SELECT error_code FROM payment_service.dead_letters WHERE stage = 'ledger' AND event_id LIKE 'pay_R|%' ORDER BY id",
    );
    expect(letters.rows.map((l) => l.error_code)).toEqual(['REFUND_EXCEEDS_CAPTURED', 'REFUND_CURRENCY_MISMATCH']);
  });

  it('a refund or dispute for a reference never recorded is refused as retryable, nothing written', async () => {
    const outcome = await recorder.recordDelivery({ kind: 'refund', refund: refund('pay_UNKNOWN', 'rfnd_x', 100, 1) });
    expect(outcome).toMatchObject({ status: 'refused', payment_id: null, failure: { code: 'PAYMENT_NOT_RECORDED', retryable: true } });
    expect(await outbox('pay_UNKNOWN')).toEqual([]);
  });

  it('a dispute goes disputed → dispute_won, with dispute_opened then dispute_updated events', async () => {
    await recorder.record(payment('pi_D', { status: 'succeeded', status_time: at(1) }));
    await recorder.recordDelivery({ kind: 'dispute', dispute: dispute('pi_D', 'needs_response', 5) });
    const won = await recorder.recordDelivery({ kind: 'dispute', dispute: dispute('pi_D', 'won', 9) });
    expect(won).toMatchObject({ status: 'transitioned', from_status: 'disputed', to_status: 'dispute_won' });
    expect((await outbox('pi_D')).map((e) => e.event_type)).toEqual([
      'payment.recorded',
      'payment.status_changed',
      'payment.dispute_opened',
      'payment.status_changed',
      'payment.dispute_updated',
    ]);
  });

  it('concurrent deliveries of one payment in one group commit converge to the fold', async () => {
    const deliveries = [
      payment('pay_C', { status: 'captured', amount_minor: 900, status_time: at(7) }),
      payment('pay_C', { status: 'authorized', amount_minor: 1_000, status_time: at(2) }),
      payment('pay_C', { status: 'pending', amount_minor: 1_000, status_time: at(1) }),
      payment('pay_C', { status: 'captured', amount_minor: 900, status_time: at(8) }),
    ];
    const outcomes = await Promise.all(deliveries.map((d) => recorder.record(d)));
    expect(outcomes.map((o) => o.status).sort()).toEqual(['created', 'duplicate', 'transitioned', 'transitioned']);
    expect(await ledger('pay_C')).toMatchObject({ status: 'captured', authorized: 1_000, captured: 900, version: 3 });
  });
});
