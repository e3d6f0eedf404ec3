import type { DemoContext } from '../demo-events.js';
import type { DemoPayment, WebhookDelivery } from '../plan-types.js';
import { notesOf, unixSeconds } from './payment-notes.js';

/**
 * The Stripe webhooks (Standard Webhooks) that record `p`: a `charge.*` or a `payment_intent.*`
 * event, and for about one in eight payments the other one too — Stripe sends both for one
 * payment, so the second is recorded as the duplicate it is (`intendedDuplicate`).
 */
export function stripeWebhooksOf(ctx: DemoContext, p: DemoPayment): WebhookDelivery[] {
  const unix = unixSeconds(p);
  const notes = notesOf(p);
  const failed = p.recordedStatus === 'failed';
  const charge = {
    id: p.chargeId,
    object: 'charge',
    amount: p.amountMinor,
    currency: p.currency.toLowerCase(),
    captured: !failed,
    paid: !failed,
    payment_intent: p.reference,
    payment_method_details: { type: p.method === 'upi' ? 'upi' : 'card' },
    billing_details: { address: { country: p.customer.country } },
    metadata: notes,
    failure_code: p.failure?.stripe.code ?? null,
    failure_message: p.failure?.reason ?? null,
    outcome: p.failure
      ? { type: p.failure.stripe.decline_code ? 'issuer_declined' : 'invalid', reason: p.failure.stripe.decline_code ?? null }
      : { type: 'authorized', reason: null },
    created: unix,
  };
  const intent = {
    id: p.reference,
    object: 'payment_intent',
    amount: p.amountMinor,
    amount_received: failed ? 0 : p.amountMinor,
    currency: p.currency.toLowerCase(),
    payment_method_types: [p.method === 'upi' ? 'upi' : 'card'],
    latest_charge: p.chargeId,
    metadata: notes,
    last_payment_error: p.failure ? { ...p.failure.stripe, message: p.failure.reason } : null,
    created: unix,
  };
  const chargeFirst = ctx.rng.chance(0.5);
  const evt = (type: string, object: unknown) => ({
    id: `evt_${ctx.rng.token(24)}`,
    object: 'event',
    type,
    livemode: false,
    created: unix,
    data: { object },
  });
  const chargeEvent = evt(failed ? 'charge.failed' : 'charge.succeeded', charge);
  const intentEvent = evt(failed ? 'payment_intent.payment_failed' : 'payment_intent.succeeded', intent);
  const [first, second] = chargeFirst ? [chargeEvent, intentEvent] : [intentEvent, chargeEvent];
  const delivery = (body: unknown, intendedDuplicate: boolean): WebhookDelivery => ({
    channel: 'stripe',
    webhookId: ctx.webhookId(),
    scheme: 'standard-webhooks',
    reference: p.reference,
    body: body as Record<string, unknown>,
    intendedDuplicate,
  });
  const webhooks = [delivery(first, false)];
  // About one in eight payments is subscribed to both events here.
  if (ctx.rng.chance(0.12)) webhooks.push(delivery(second, true));
  return webhooks;
}
