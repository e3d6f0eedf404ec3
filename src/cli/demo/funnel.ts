import { demoVariant } from './experiments.js';
import { type DemoContext, HOUR, MINUTE, SOURCES, money, priceMinor, shiftEvent } from './demo-events.js';
import type { DemoPayment, PlannedEvent } from './plan-types.js';
import { type DemoCustomer, TRAFFIC } from './world.js';

/** The shop's events around a payment: sign-ups, browsing sessions, checkouts, experiments, the order and its outcome. */

/**
 * Browsing sessions that end in `p`'s order, and the sessions that dropped off on the way
 * (product.viewed → product.added_to_cart → checkout.started → order.placed), with the two
 * experiments' exposures. Returns the events before the payment and the order's outcome after.
 */
export function funnelOf(
  ctx: DemoContext,
  p: DemoPayment,
  now: Date,
  options: { dropOffs: boolean },
): { before: PlannedEvent[]; after: PlannedEvent[] } {
  const before: PlannedEvent[] = [];
  const after: PlannedEvent[] = [];
  if (!p.orderId) return { before, after };
  const rng = ctx.rng;
  const c = p.customer;
  const segment = (ctx.purchases.get(c.user_id) ?? 0) > 4 ? 'loyal' : (ctx.purchases.get(c.user_id) ?? 0) > 1 ? 'returning' : 'new';
  // Simulate sessions until one converts (forced after 12); earlier ones dropped off at some step
  // and are moved back in time. The live trickle sends only the converting session.
  for (let attempt = 0; attempt < 12; attempt++) {
    const force = attempt === 11 || !options.dropOffs;
    const session = sessionOf(ctx, p, p.time, force || rng.chance(0.45), segment, force);
    if (session.converted) {
      before.push(...session.events);
      p.sessionId = session.sessionId;
      break;
    }
    const back = rng.int(30, 14 * 24 * 60) * MINUTE;
    for (const e of session.events) shiftEvent(e.event, -back);
    before.push(...session.events);
  }
  const order = {
    order_id: p.orderId,
    customer_id: c.user_id,
    session_id: p.sessionId,
    merchant_id: p.merchant.merchant_id,
    channel: c.device.type === 'desktop' ? 'web' : rng.chance(0.6) ? 'app' : 'web',
    total_amount: money(p.amountMinor, p.currency),
    tax_amount: money(Math.round(p.amountMinor - p.amountMinor / 1.18), p.currency),
    items: [
      {
        product_id: rng.pick(p.merchant.products).product_id,
        category: p.merchant.category,
        quantity: 1,
        unit_price: money(p.amountMinor, p.currency),
      },
    ],
    reference_number: p.reference,
    country: c.country,
    region: c.region,
  };
  before.push({
    event: ctx.event('order.placed', SOURCES.orders, new Date(p.time.getTime() - 5000), order, p.orderId),
    afterRecording: false,
  });
  if (p.finalStatus === 'failed') {
    const at = new Date(p.time.getTime() + 20 * MINUTE);
    if (at <= now) {
      after.push({
        event: ctx.event('order.cancelled', SOURCES.orders, at, { ...order, reason: 'payment_failed', cancelled_by: 'system' }, p.orderId),
        afterRecording: false,
      });
    }
  } else if (p.finalStatus !== 'authorized') {
    const at = new Date(p.time.getTime() + rng.int(6, 96) * HOUR);
    if (at <= now) after.push({ event: ctx.event('order.completed', SOURCES.orders, at, order, p.orderId), afterRecording: false });
  }
  return { before, after };
}

function sessionOf(
  ctx: DemoContext,
  p: DemoPayment,
  end: Date,
  signedIn: boolean,
  segment: string,
  mustConvert: boolean,
): { events: PlannedEvent[]; converted: boolean; sessionId: string } {
  const rng = ctx.rng;
  const c = p.customer;
  const sessionId = `sess_${rng.token(16)}`;
  const device = rng.chance(0.85) ? c.device : { type: 'desktop' as const, os: 'Windows', browser: 'Edge' };
  const traffic = rng.chance(0.7) ? c.traffic : { ...rng.weighted(TRAFFIC) };
  const visitor = {
    session_id: sessionId,
    user_id: signedIn ? c.user_id : null,
    anonymous_id: `anon_${rng.token(10)}`,
    device,
    traffic,
    customer_segment: signedIn ? segment : 'anonymous',
    country: c.country,
    region: c.region,
  };
  const merchant = p.merchant;
  const views = rng.int(1, 4);
  let t = new Date(end.getTime() - rng.int(32, 45) * MINUTE);
  const step = () => {
    t = new Date(t.getTime() + rng.int(15, 150) * 1000);
    return t;
  };
  const events: PlannedEvent[] = [];
  const push = (type: string, data: Record<string, unknown>, source: string = SOURCES.shop) =>
    events.push({ event: ctx.event(type, source, step(), { ...visitor, ...data }), afterRecording: false });
  if (signedIn && rng.chance(0.4))
    push('user.logged_in', { user_id: c.user_id, method: c.authMethod, is_new_device: rng.chance(0.1) }, SOURCES.accounts);
  // Experiment 2 (session unit): a recommendations carousel on product pages lifts add-to-cart a little.
  const reco = demoVariant('exp_reco_carousel', sessionId);
  const recoVariant = reco.variant;
  if (rng.chance(0.6)) {
    push(
      'experiment.exposure_recorded',
      { experiment_id: 'exp_reco_carousel', variant: recoVariant, unit_type: 'session', unit_id: sessionId, bucket: reco.bucket },
      SOURCES.experiments,
    );
  }
  const products = Array.from({ length: views }, () => rng.pick(merchant.products));
  for (const [i, product] of products.entries()) {
    push('product.viewed', {
      product_id: product.product_id,
      category: product.category,
      price: money(priceMinor(product.priceInr, p.currency), p.currency),
      merchant_id: merchant.merchant_id,
      list_name: i === 0 ? rng.pick(['search', 'category', 'home', 'recommendations']) : 'recommendations',
      position: rng.int(1, 24),
    });
  }
  const cartId = `cart_${rng.token(12)}`;
  const addsToCart = mustConvert || rng.chance(recoVariant === 'carousel' ? 0.48 : 0.43);
  if (!addsToCart) return { events, converted: false, sessionId };
  const added = products.slice(0, rng.int(1, Math.min(2, products.length)));
  for (const product of added) {
    push('product.added_to_cart', {
      product_id: product.product_id,
      category: product.category,
      price: money(priceMinor(product.priceInr, p.currency), p.currency),
      merchant_id: merchant.merchant_id,
      quantity: 1,
      cart_id: cartId,
    });
  }
  if (!mustConvert && !rng.chance(0.62)) return { events, converted: false, sessionId };
  const checkoutId = `co_${rng.token(12)}`;
  const cartAmount = money(p.amountMinor, p.currency);
  push('checkout.started', {
    checkout_id: checkoutId,
    cart_id: cartId,
    cart_amount: cartAmount,
    item_count: added.length,
    merchant_id: merchant.merchant_id,
  });
  // Experiment 1 (session unit): a one-tap UPI pay button at checkout converts a little better.
  const checkout = demoVariant('exp_one_tap_checkout', sessionId);
  const checkoutVariant = checkout.variant;
  push(
    'experiment.exposure_recorded',
    {
      experiment_id: 'exp_one_tap_checkout',
      variant: checkoutVariant,
      unit_type: 'session',
      unit_id: sessionId,
      bucket: checkout.bucket,
    },
    SOURCES.experiments,
  );
  if (mustConvert || rng.chance(checkoutVariant === 'one_tap' ? 0.79 : 0.71)) return { events, converted: true, sessionId };
  const started = events.at(-2)?.event.time;
  push('checkout.abandoned', {
    checkout_id: checkoutId,
    cart_id: cartId,
    cart_amount: cartAmount,
    item_count: added.length,
    last_step: rng.pick(['contact', 'shipping', 'payment', 'review'] as const),
    started_at: started,
    merchant_id: merchant.merchant_id,
  });
  return { events, converted: false, sessionId };
}

/** user.registered for a customer, at their acquisition date. */
export function registrationOf(ctx: DemoContext, c: DemoCustomer): PlannedEvent {
  return {
    event: ctx.event(
      'user.registered',
      SOURCES.accounts,
      c.registeredAt,
      {
        user_id: c.user_id,
        anonymous_id: `anon_${c.user_id.slice(2)}`,
        email: `${c.user_id.toLowerCase()}@example.com`,
        method: c.authMethod,
        marketing_opt_in: ctx.rng.chance(0.6),
        device: c.device,
        traffic: c.traffic,
        country: c.country,
        region: c.region,
      },
      c.user_id,
    ),
    afterRecording: false,
  };
}
