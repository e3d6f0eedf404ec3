import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COLLECTED_STATUSES,
  type LifecycleEvent,
  PAYMENT_STATUSES,
  type PaymentStatus,
  STATUS_RANK,
  TRANSITIONS,
  foldLifecycle,
  parsePaymentStatus,
} from './payment-lifecycle.js';

const at = (s: number) => new Date(Date.UTC(2026, 10, 21, 4, 0, s));
const status = (s: PaymentStatus, amount: number, second: number): LifecycleEvent => ({
  kind: 'status',
  status: s,
  amount_minor: amount,
  event_time: at(second),
  key: `status:${s}:${amount}`,
});
const refund = (id: string, amount: number, second: number): LifecycleEvent => ({
  kind: 'refund',
  amount_minor: amount,
  event_time: at(second),
  key: `refund:${id}`,
});

describe('the payment state machine', () => {
  it('ends in captured for the gateways’ two-step and retried flows, whatever the arrival order', () => {
    // Razorpay payment.authorized then payment.captured, in both arrival orders.
    for (const events of [
      [status('authorized', 10_000, 1), status('captured', 10_000, 5)],
      [status('captured', 10_000, 5), status('authorized', 10_000, 1)],
    ]) {
      expect(foldLifecycle(events).state).toMatchObject({ status: 'captured', authorized_minor: 10_000, captured_minor: 10_000 });
    }
    // payment.failed then payment.captured (a late authorisation) → captured.
    expect(foldLifecycle([status('failed', 500, 1), status('captured', 500, 9)]).state.status).toBe('captured');
    // The seed body sent FAILED then SUCCESS with one time: the step further along wins the tie.
    expect(foldLifecycle([status('failed', 500, 3), status('succeeded', 500, 3)]).state.status).toBe('succeeded');
    expect(foldLifecycle([status('succeeded', 500, 3), status('failed', 500, 3)]).state.status).toBe('succeeded');
  });

  it('keeps a step backwards in history without moving the state', () => {
    // A failure stamped after the capture: captured → failed is not an allowed move.
    const { state, applied } = foldLifecycle([status('captured', 500, 1), status('failed', 500, 9)]);
    expect(state.status).toBe('captured');
    expect(applied).toEqual([true, false]);
    // An authorisation older than the capture arriving last moves nothing either (it folds first).
    const late = foldLifecycle([status('captured', 500, 5), status('authorized', 500, 1)]);
    expect(late.state.status_time).toEqual(at(5));
  });

  it('captures part of an authorisation: captured is what GMV counts', () => {
    const { state } = foldLifecycle([status('authorized', 10_000, 1), status('captured', 8_000, 2)]);
    expect(state).toMatchObject({ status: 'captured', authorized_minor: 10_000, captured_minor: 8_000 });
  });

  it('refunds up to the captured amount: partial, then full; a refund beyond it does not apply', () => {
    const partial = foldLifecycle([status('captured', 8_000, 1), refund('r1', 3_000, 2)]);
    expect(partial.state).toMatchObject({ status: 'partially_refunded', refunded_minor: 3_000 });
    const full = foldLifecycle([status('captured', 8_000, 1), refund('r1', 3_000, 2), refund('r2', 5_000, 3)]);
    expect(full.state).toMatchObject({ status: 'refunded', refunded_minor: 8_000 });
    const over = foldLifecycle([status('captured', 8_000, 1), refund('r1', 9_000, 2)]);
    expect(over.state).toMatchObject({ status: 'captured', refunded_minor: 0 });
    expect(over.applied).toEqual([true, false]);
  });

  it('goes through a dispute to its outcome', () => {
    const events: LifecycleEvent[] = [
      status('succeeded', 700, 1),
      { kind: 'dispute', status: 'disputed', amount_minor: 700, event_time: at(5), key: 'dispute:dp1:needs_response' },
      { kind: 'dispute', status: 'dispute_won', amount_minor: 700, event_time: at(9), key: 'dispute:dp1:won' },
    ];
    expect(foldLifecycle(events).state).toMatchObject({ status: 'dispute_won', disputed_minor: 700 });
    expect(foldLifecycle([...events].reverse()).state.status).toBe('dispute_won');
  });

  it('is a function of the set of events: any arrival order gives the same state (fast-check)', () => {
    const event = fc.oneof(
      fc.record({
        kind: fc.constant('status' as const),
        status: fc.constantFrom(...PAYMENT_STATUSES.filter((s) => !s.startsWith('dispute') && s !== 'partially_refunded')),
        amount_minor: fc.integer({ min: 1, max: 20_000 }),
        event_time: fc.integer({ min: 0, max: 30 }).map(at),
        key: fc.uuid(),
      }),
      fc.record({
        kind: fc.constant('refund' as const),
        amount_minor: fc.integer({ min: 1, max: 20_000 }),
        event_time: fc.integer({ min: 0, max: 30 }).map(at),
        key: fc.uuid(),
      }),
    );
    fc.assert(
      fc.property(
        fc
          .array(event, { minLength: 1, maxLength: 8 })
          .chain((events) =>
            fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length })),
          ),
        ([events, shuffled]) => {
          expect(foldLifecycle(shuffled).state).toEqual(foldLifecycle(events).state);
          const { state } = foldLifecycle(events);
          // Money never goes negative or above what was captured.
          expect(state.refunded_minor).toBeLessThanOrEqual(state.captured_minor ?? 0);
        },
      ),
    );
  });

  it('ranks every status, and only collected states may be refunded or disputed', () => {
    for (const s of PAYMENT_STATUSES) expect(STATUS_RANK[s]).toBeTypeOf('number');
    for (const [from, tos] of Object.entries(TRANSITIONS)) {
      if (tos.some((t) => t === 'refunded' || t === 'partially_refunded' || t === 'disputed')) {
        expect(COLLECTED_STATUSES as readonly string[]).toContain(from);
      }
    }
  });

  it('reads the seed’s and gateways’ status words case-insensitively', () => {
    expect(parsePaymentStatus('SUCCESS')).toBe('succeeded');
    expect(parsePaymentStatus('FAILED')).toBe('failed');
    expect(parsePaymentStatus('Pending')).toBe('pending');
    expect(parsePaymentStatus('requires-capture')).toBe('authorized');
    expect(parsePaymentStatus('Partially Refunded')).toBe('partially_refunded');
    expect(parsePaymentStatus('canceled')).toBe('cancelled');
    expect(parsePaymentStatus('teleported')).toBeNull();
  });
});
