import { DAY, type DemoContext, MINUTE, SOURCES, money } from './demo-events.js';
import type { DemoPayment, PlannedEvent } from './plan-types.js';
import { DISPUTE_REASON_WEIGHTS, REFUND_REASON_WEIGHTS } from './world.js';

/** A refund as the settlement batches net it. */
export interface Refund {
  time: Date;
  amountMinor: number;
}

/** Refund and dispute events of a payment that ended in money taken (times ≤ now only). */
export function afterSaleOf(ctx: DemoContext, p: DemoPayment, now: Date): { events: PlannedEvent[]; refund: Refund | null } {
  const events: PlannedEvent[] = [];
  let refund: Refund | null = null;
  if (p.finalStatus === 'failed' || p.finalStatus === 'authorized') return { events, refund };
  const rng = ctx.rng;
  if (rng.chance(p.merchant.refundRate || 0.002)) {
    const at = new Date(p.time.getTime() + rng.int(2 * 60, 9 * 24 * 60) * MINUTE);
    if (at <= now) {
      const partial = rng.chance(0.25);
      const amountMinor = partial ? Math.max(100, Math.round((p.amountMinor * rng.int(20, 80)) / 10_000) * 100) : p.amountMinor;
      refund = { time: at, amountMinor: Math.min(amountMinor, p.amountMinor) };
      const reason = rng.weighted(REFUND_REASON_WEIGHTS);
      events.push({
        event: ctx.event('payment.refunded', SOURCES.payments, at, {
          refund_id: `rfnd_${rng.token(14)}`,
          reference_number: p.reference,
          amount: money(refund.amountMinor, p.currency),
          reason,
          reason_detail: reason === 'other' ? 'Customer asked over chat' : null,
          gateway: p.gateway,
          gateway_refund_id: `${p.gateway}_rf_${rng.token(10)}`,
          merchant_id: p.merchant.merchant_id,
          order_id: p.orderId,
          customer_id: p.customer.user_id,
        }),
        afterRecording: false,
      });
    }
  }
  const disputeRate = p.method === 'card' ? 0.012 : 0.0025;
  if (rng.chance(disputeRate)) {
    const opened = new Date(p.time.getTime() + rng.int(2, 20) * DAY + rng.int(0, 600) * MINUTE);
    if (opened <= now) {
      const dispute = {
        dispute_id: `dp_${rng.token(14)}`,
        reference_number: p.reference,
        amount: money(p.amountMinor, p.currency),
        reason: rng.weighted(DISPUTE_REASON_WEIGHTS),
        evidence_due_by: new Date(opened.getTime() + 7 * DAY).toISOString(),
        gateway: p.gateway,
        gateway_dispute_id: `${p.gateway}_dp_${rng.token(10)}`,
        merchant_id: p.merchant.merchant_id,
        order_id: p.orderId,
        customer_id: p.customer.user_id,
      };
      events.push({
        event: ctx.event('payment.dispute_opened', SOURCES.payments, opened, { ...dispute, status: 'needs_response' }),
        afterRecording: false,
      });
      const review = new Date(opened.getTime() + rng.int(1, 6) * DAY);
      if (review <= now) {
        events.push({
          event: ctx.event('payment.dispute_updated', SOURCES.payments, review, {
            ...dispute,
            status: 'under_review',
            previous_status: 'needs_response',
          }),
          afterRecording: false,
        });
        const decided = new Date(review.getTime() + rng.int(5, 20) * DAY);
        if (decided <= now) {
          const outcome = rng.weighted([
            ['won', 45],
            ['lost', 35],
            ['accepted', 20],
          ] as const);
          events.push({
            event: ctx.event('payment.dispute_updated', SOURCES.payments, decided, {
              ...dispute,
              status: outcome,
              previous_status: 'under_review',
            }),
            afterRecording: false,
          });
        }
      }
    }
  }
  return { events, refund };
}
