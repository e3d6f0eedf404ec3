import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CloudEvent, type ValidEvent, findContract } from '../../src/contracts/index.js';
import { type Fact, type PaymentRow, factsOf, mergePayment, paymentContribution } from '../../src/pipeline/facts/index.js';
import { cloudEvent } from '../harness/events.js';
import { type Delivery, finalState, ledgerEvents } from '../harness/ledger-events.js';

/**
 * The warehouse's payment merge as pure functions: the ledger's events of a lifecycle
 * (payment.recorded + payment.status_changed), applied in any order, give one row whose state and
 * amounts are the ledger's final state; the highest ledger version wins over older versions and
 * over events-API statuses.
 */

const NOW = new Date('2026-11-21T00:00:00Z');
const t = (minute: number) => new Date(Date.UTC(2026, 10, 20, 10, minute));

function valid(event: CloudEvent): ValidEvent {
  const contract = findContract(event.type);
  const parsed = contract?.data.safeParse(event.data);
  if (!parsed?.success) throw new Error(`${event.type} does not meet its contract: ${JSON.stringify(parsed?.error.issues)}`);
  return event as unknown as ValidEvent;
}

const paymentFacts = (events: readonly CloudEvent[]) =>
  events.flatMap((e) => factsOf(valid(e), NOW)).filter((f): f is Extract<Fact, { table: 'payments' }> => f.table === 'payments');

const mergeAll = (facts: readonly Extract<Fact, { table: 'payments' }>[]) =>
  facts.reduce<PaymentRow | null>((row, f) => mergePayment(row, f.patch), null) as PaymentRow;

const stateOf = (row: PaymentRow) => ({
  status: row.status,
  status_time: row.status_time,
  authorized_minor: row.authorized_minor,
  captured_minor: row.captured_minor,
  refunded_minor: row.refunded_minor,
  disputed_minor: row.disputed_minor,
});

describe('payment facts: the ledger version wins, in any order', () => {
  it('a partial capture: authorized 10,000 then captured 8,000 → captured 8,000, and GMV counts 8,000', () => {
    const events = ledgerEvents('PF-1', [
      { kind: 'status', status: 'authorized', amount_minor: 10_000, at: t(1) },
      { kind: 'status', status: 'captured', amount_minor: 8_000, at: t(2) },
    ]);
    for (const order of [paymentFacts(events), paymentFacts(events).reverse()]) {
      const row = mergeAll(order);
      expect(row).toMatchObject({
        status: 'captured',
        amount_minor: 10_000,
        authorized_minor: 10_000,
        captured_minor: 8_000,
        ledger_version: 2,
        in_ledger: true,
        payment_time: t(1),
      });
      expect(paymentContribution(row, 1).measures).toMatchObject({ captured_minor: 8_000, authorized_payments: 1, amount_minor: 10_000 });
    }
  });

  it('an older version never overwrites a newer one; a refused late failure keeps the captured state', () => {
    const [recorded, v2, v3] = ledgerEvents('PF-2', [
      { kind: 'status', status: 'authorized', amount_minor: 5_000, at: t(1) },
      { kind: 'status', status: 'captured', amount_minor: 5_000, at: t(2) },
      { kind: 'status', status: 'failed', amount_minor: 5_000, at: t(3) }, // captured → failed is not a move
    ]) as [CloudEvent, CloudEvent, CloudEvent];
    expect((v3.data as { applied: boolean; to_status: string }).to_status).toBe('captured');
    const row = mergeAll(paymentFacts([v3, recorded, v2]));
    expect(row).toMatchObject({ status: 'captured', captured_minor: 5_000, ledger_version: 3, failure_code: null });
    // An events-API failure, newer in event time, does not move a payment the ledger governs.
    const late = cloudEvent(
      'payment.failed',
      { reference_number: 'PF-2', amount: { amount_minor: 5_000, currency: 'INR' }, failure_code: 'X' },
      { time: t(9) },
    );
    expect(mergeAll(paymentFacts([recorded, v2, late, v3]))).toMatchObject({ status: 'captured', ledger_version: 3 });
    expect(mergeAll(paymentFacts([late, v3, v2, recorded]))).toMatchObject({ status: 'captured', ledger_version: 3 });
  });

  it('an events-API capture sets the captured and authorised amounts and merges by event time as before', () => {
    const inr = (amount_minor: number) => ({ amount_minor, currency: 'INR' });
    const captured = cloudEvent(
      'payment.captured',
      { reference_number: 'PF-4', amount: inr(8_000), authorized_amount: inr(10_000), fee: null, tax: null },
      { time: t(2) },
    );
    const succeeded = cloudEvent('payment.succeeded', { reference_number: 'PF-4', amount: inr(8_000), fee: inr(160) }, { time: t(4) });
    const failedEarlier = cloudEvent('payment.failed', { reference_number: 'PF-4', amount: inr(8_000) }, { time: t(1) });
    for (const order of [
      [captured, succeeded, failedEarlier],
      [failedEarlier, succeeded, captured],
      [succeeded, captured, failedEarlier],
    ]) {
      const row = mergeAll(paymentFacts(order));
      expect(row).toMatchObject({
        status: 'succeeded',
        authorized_minor: 10_000,
        captured_minor: 8_000,
        fee_minor: 160,
        ledger_version: null,
      });
      expect(paymentContribution(row, 1).measures).toMatchObject({ captured_minor: 8_000, authorized_payments: 1 });
    }
  });

  it('history rows carry what the event reported and what the ledger did with it', () => {
    const events = ledgerEvents('PF-3', [
      { kind: 'status', status: 'captured', amount_minor: 9_000, at: t(5) },
      { kind: 'status', status: 'authorized', amount_minor: 9_000, at: t(1) }, // late, older: kept, no move
    ]);
    const [first, second] = paymentFacts(events);
    expect(first?.history).toMatchObject({ status: 'captured', from_status: null, to_status: 'captured', applied: true, version: 1 });
    expect(second?.history).toMatchObject({
      event_type: 'payment.status_changed',
      status: 'authorized',
      event_time: t(1),
      from_status: 'captured',
      to_status: 'captured',
      version: 2,
    });
  });

  it('converges to the ledger’s final state for random lifecycles delivered in any order (fast-check)', () => {
    const delivery = fc.oneof(
      fc.record({
        kind: fc.constant('status' as const),
        status: fc.constantFrom('pending', 'authorized', 'captured', 'succeeded', 'failed', 'cancelled' as const),
        amount_minor: fc.integer({ min: 1, max: 20_000 }),
        minute: fc.integer({ min: 0, max: 59 }),
      }),
      fc.record({
        kind: fc.constant('refund' as const),
        amount_minor: fc.integer({ min: 1, max: 20_000 }),
        minute: fc.integer({ min: 0, max: 59 }),
      }),
    );
    fc.assert(
      fc.property(
        fc.array(delivery, { minLength: 1, maxLength: 8 }).filter((ds) => ds[0]?.kind === 'status'),
        fc.array(fc.nat(), { minLength: 30, maxLength: 30 }),
        (plan, keys) => {
          const deliveries: Delivery[] = plan.map((d, i) =>
            d.kind === 'status'
              ? { kind: 'status', status: d.status, amount_minor: d.amount_minor, at: t(d.minute) }
              : { kind: 'refund', refund_id: `rf-${i}`, amount_minor: d.amount_minor, at: t(d.minute) },
          );
          const facts = paymentFacts(ledgerEvents('PF-R', deliveries));
          const inLogOrder = mergeAll(facts);
          const shuffled = mergeAll(
            facts
              .map((f, i) => ({ f, k: keys[i % keys.length] as number }))
              .sort((a, b) => a.k - b.k)
              .map((x) => x.f),
          );
          const want = finalState(deliveries);
          expect(stateOf(shuffled)).toEqual(stateOf(inLogOrder));
          expect(shuffled).toEqual(inLogOrder);
          expect(stateOf(shuffled)).toEqual({
            status: want.status,
            status_time: want.status_time,
            authorized_minor: want.authorized_minor,
            captured_minor: want.captured_minor,
            refunded_minor: want.refunded_minor,
            disputed_minor: want.disputed_minor,
          });
          expect(shuffled.ledger_version).toBe(deliveries.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
