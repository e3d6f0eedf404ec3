/**
 * The events the ledger emits for one payment's deliveries, built the way issue 10 specifies them
 * (src/contracts/events/payment-events.ts): the first delivery → `payment.recorded`; each later one
 * → one `payment.status_changed` (version 2, 3…, the state and amounts after it folded with
 * `foldLifecycle` over the deliveries so far), and a refund the fold accepts also → `payment.refunded`. For warehouse
 * tests that need the ledger's log without running the ledger.
 */
import {
  type LifecycleEvent,
  type PaymentStatus,
  foldLifecycle,
  refundKey,
  statusKey,
  targetOf,
} from '../../src/contracts/payment-lifecycle.js';
import type { CloudEvent } from '../../src/contracts/index.js';
import { cloudEvent, recordedEvent } from './events.js';

export type Delivery =
  | { kind: 'status'; status: PaymentStatus; amount_minor: number; at: Date }
  | { kind: 'refund'; refund_id: string; amount_minor: number; at: Date };

const asLifecycle = (d: Delivery, currency: string): LifecycleEvent =>
  d.kind === 'status'
    ? {
        kind: 'status',
        status: d.status,
        amount_minor: d.amount_minor,
        event_time: d.at,
        key: statusKey(d.status, d.amount_minor, currency),
      }
    : { kind: 'refund', amount_minor: d.amount_minor, event_time: d.at, key: refundKey(d.refund_id) };

/**
 * The ledger's events for `deliveries` in arrival order (the first must be a status). Each event's
 * CloudEvent time is its recording time: `recordedAt(i)`.
 */
export function ledgerEvents(
  reference: string,
  deliveries: readonly Delivery[],
  options: { currency?: string; paymentId?: string; recordedAt?: (i: number) => Date; merchant_id?: string } = {},
): CloudEvent[] {
  const currency = options.currency ?? 'INR';
  const first = deliveries[0];
  if (first?.kind !== 'status') throw new Error('the first delivery of a payment is a status');
  const recordedAt = options.recordedAt ?? ((i: number) => new Date(first.at.getTime() + 3_600_000 + i * 1000));
  const recorded = recordedEvent(
    reference,
    {
      ...(options.paymentId ? { id: options.paymentId } : {}),
      status: first.status,
      amount_minor: first.amount_minor,
      currency,
      payment_date: first.at,
      merchant_id: options.merchant_id ?? 'M-1',
      gateway: 'razorpay',
    },
    recordedAt(0),
  );
  const paymentId = (recorded.data as { payment: { id: string } }).payment.id;
  const out: CloudEvent[] = [recorded];
  const events = deliveries.map((d) => asLifecycle(d, currency));
  for (let i = 1; i < deliveries.length; i++) {
    const d = deliveries[i] as Delivery;
    const before = foldLifecycle(events.slice(0, i)).state;
    const after = foldLifecycle(events.slice(0, i + 1));
    const state = after.state;
    out.push(
      cloudEvent(
        'payment.status_changed',
        {
          payment_id: paymentId,
          reference_number: reference,
          version: i + 1,
          change: d.kind === 'refund' ? 'refund' : 'status',
          reported_status: targetOf(events[i] as LifecycleEvent, before),
          from_status: before.status as PaymentStatus,
          to_status: state.status as PaymentStatus,
          applied: before.status !== state.status || after.applied[i] === true,
          amount: { amount_minor: d.amount_minor, currency },
          amounts: {
            authorized_minor: state.authorized_minor,
            captured_minor: state.captured_minor,
            refunded_minor: state.refunded_minor,
            disputed_minor: state.disputed_minor,
            fee_minor: null,
            tax_minor: null,
          },
          status_time: (state.status_time as Date).toISOString(),
          event_time: d.at.toISOString(),
          gateway_event_id: null,
          refund_id: d.kind === 'refund' ? d.refund_id : null,
          source: 'webhook',
          gateway: 'razorpay',
        },
        { time: recordedAt(i), subject: paymentId },
      ),
    );
    // A refund the ledger refuses (above what is left of the capture) emits nothing of its own.
    if (d.kind === 'refund' && state.refunded_minor > before.refunded_minor) {
      out.push(
        cloudEvent(
          'payment.refunded',
          {
            refund_id: d.refund_id,
            reference_number: reference,
            payment_id: paymentId,
            amount: { amount_minor: d.amount_minor, currency },
            reason: 'requested_by_customer',
            gateway: 'razorpay',
            merchant_id: options.merchant_id ?? 'M-1',
          },
          { time: d.at },
        ),
      );
    }
  }
  return out;
}

/** The ledger's final state of these deliveries: what the warehouse row must converge to. */
export function finalState(deliveries: readonly Delivery[], currency = 'INR') {
  return foldLifecycle(deliveries.map((d) => asLifecycle(d, currency))).state;
}
