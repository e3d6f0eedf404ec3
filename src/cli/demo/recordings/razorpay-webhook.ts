import type { DemoContext } from '../demo-events.js';
import type { DemoPayment, WebhookDelivery } from '../plan-types.js';
import { notesOf, unixSeconds } from './payment-notes.js';

/** Razorpay's `payment.*` webhook (signed with X-Razorpay-Signature) that records `p` at its recorded status. */
export function razorpayWebhookOf(ctx: DemoContext, p: DemoPayment): WebhookDelivery {
  const unix = unixSeconds(p);
  const notes = notesOf(p);
  const event =
    p.recordedStatus === 'failed' ? 'payment.failed' : p.recordedStatus === 'authorized' ? 'payment.authorized' : 'payment.captured';
  const body = {
    entity: 'event',
    account_id: `acc_${p.merchant.merchant_id.replace('-', '')}`,
    event,
    contains: ['payment'],
    payload: {
      payment: {
        entity: {
          id: p.reference,
          entity: 'payment',
          amount: p.amountMinor,
          currency: p.currency,
          status: p.recordedStatus,
          order_id: p.orderId ? `order_${p.orderId.slice(4)}` : null,
          method: p.method,
          captured: p.recordedStatus === 'captured',
          fee: p.recordedStatus === 'captured' ? p.feeMinor + p.taxMinor : null,
          tax: p.recordedStatus === 'captured' ? p.taxMinor : null,
          error_code: p.failure?.razorpay.code ?? null,
          error_description: p.failure?.reason ?? null,
          error_source: p.failure?.razorpay.source ?? null,
          error_step: p.failure ? 'payment_authorization' : null,
          error_reason: p.failure?.razorpay.reason ?? null,
          email: `${p.customer.user_id.toLowerCase()}@example.com`,
          contact: '+919999999999',
          notes,
          created_at: unix,
        },
      },
    },
    created_at: unix,
  };
  return { channel: 'razorpay', webhookId: ctx.webhookId(), scheme: 'razorpay', reference: p.reference, body, intendedDuplicate: false };
}
