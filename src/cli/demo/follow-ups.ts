import { categoriseFailure } from '../../contracts/index.js';
import { GENERIC_FAILURE_CODES } from '../../sources/webhooks/channels/generic-failure-codes.js';
import { type DemoContext, SOURCES, money } from './demo-events.js';
import type { DemoPayment, PlannedEvent, WebhookDelivery } from './plan-types.js';
import { recordingOf } from './recordings/recording.js';

/**
 * Lifecycle follow-ups: what moves a payment from the status it was recorded with to its final
 * one — the gateway's later webhook, or a payment.* event from another service.
 */

/**
 * The second webhook that moves `p` from its recorded status to its final one, as its gateway
 * sends it (Razorpay payment.captured after payment.authorized; the generic body's later status
 * with its event_time): the ledger records it as a transition. Null when the status does not
 * change, or the path has no second webhook (see statusChange).
 */
export function statusWebhookOf(ctx: DemoContext, p: DemoPayment): { delivery: WebhookDelivery; at: Date } | null {
  if (p.recordedStatus === p.finalStatus || (p.path !== 'razorpay' && p.path !== 'default')) return null;
  const at = new Date(p.time.getTime() + ctx.rng.int(4, 90) * 1000);
  const [delivery] = recordingOf(ctx, { ...p, recordedStatus: p.finalStatus }).webhooks;
  if (!delivery) return null;
  const body = delivery.body as Record<string, unknown>;
  if (p.path === 'razorpay') body.created_at = Math.floor(at.getTime() / 1000);
  else body.event_time = at.toISOString();
  return { delivery, at };
}

/**
 * The payment.* event that moves `p` from its recorded status to its final one, if any, for the
 * paths without a second webhook: another service reports it through the events API.
 */
export function statusChangeOf(ctx: DemoContext, p: DemoPayment): PlannedEvent | null {
  if (p.recordedStatus === p.finalStatus || p.path === 'razorpay' || p.path === 'default') return null;
  const at = new Date(p.time.getTime() + ctx.rng.int(4, 90) * 1000);
  const facts = {
    reference_number: p.reference,
    amount: money(p.amountMinor, p.currency),
    gateway: p.gateway,
    payment_method: p.method,
    merchant_id: p.merchant.merchant_id,
    order_id: p.orderId,
    customer_id: p.customer.user_id,
    gateway_txn_id: p.chargeId,
    region: p.customer.region,
    country: p.customer.country,
  };
  const fee = money(p.feeMinor, p.currency);
  const tax = money(p.taxMinor, p.currency);
  const event =
    p.finalStatus === 'failed'
      ? ctx.event('payment.failed', SOURCES.payments, at, {
          ...facts,
          failure_code: p.failure?.code,
          failure_reason: p.failure?.reason,
          // The payments service that sends this event categorises with the generic table, as the intake would.
          failure_category: categoriseFailure(GENERIC_FAILURE_CODES, p.failure?.code),
        })
      : p.finalStatus === 'captured'
        ? ctx.event('payment.captured', SOURCES.payments, at, { ...facts, authorized_amount: facts.amount, fee, tax })
        : ctx.event('payment.succeeded', SOURCES.payments, at, { ...facts, fee, tax });
  return { event, afterRecording: true };
}
