import type { Refund } from './after-sale.js';
import { DAY, HOUR } from './demo-events.js';
import { createDemoGenerator } from './generator.js';
import type { DemoPayment, DemoPlan, PaymentPath, PlannedEvent, StagingRecord, WebhookDelivery } from './plan-types.js';

/**
 * Turns a seed into the demo's deliveries: what to send, to which ingestion path, in which order.
 * Pure and deterministic: the same options give the same plan (the clock is `now`, passed in).
 * Each kind of traffic has its module (payment-draw, recordings/ per gateway, follow-ups,
 * after-sale, funnel, settlements), composed by generator.ts; sending is `run-demo.ts`.
 */

export type {
  DemoEvent,
  DemoPayment,
  DemoPlan,
  PaymentPath,
  PlannedEvent,
  StagingRecord,
  WebhookChannel,
  WebhookDelivery,
} from './plan-types.js';
export { type DemoGenerator, createDemoGenerator } from './generator.js';

export interface GenerateOptions {
  payments: number;
  days: number;
  seed: number | string;
  /** End of the window; payments lie in [now − days, now]. */
  now: Date;
}

/** Builds the whole backfill plan. Deterministic in (payments, days, seed, now). */
export function generateDemo(options: GenerateOptions): DemoPlan {
  const { now, days } = options;
  const gen = createDemoGenerator({ seed: options.seed, now, days, customerCount: Math.max(20, Math.round(options.payments * 0.3)) });
  const times = Array.from({ length: options.payments }, () => gen.sampleTime(now, days)).sort((a, b) => a.getTime() - b.getTime());
  const payments = times.map((t) => gen.payment(t));
  const before: PlannedEvent[] = [];
  const after: PlannedEvent[] = [];
  const webhooks: WebhookDelivery[] = [];
  const duplicates: WebhookDelivery[] = [];
  const staging: StagingRecord[] = [];
  const followUps: WebhookDelivery[] = [];
  const refunds: ({ p: DemoPayment } & Refund)[] = [];
  const byPath: Record<PaymentPath, number> = { default: 0, razorpay: 0, stripe: 0, staging: 0 };
  for (const p of payments) {
    byPath[p.path] += 1;
    const funnel = gen.funnel(p, now, { dropOffs: true });
    before.push(...funnel.before);
    const recording = gen.recording(p);
    for (const w of recording.webhooks) (w.intendedDuplicate ? duplicates : webhooks).push(w);
    if (recording.staging) staging.push(recording.staging);
    const followUp = gen.statusWebhook(p);
    if (followUp) followUps.push(followUp.delivery);
    const change = gen.statusChange(p);
    if (change) after.push(change);
    after.push(...funnel.after);
    const sale = gen.afterSale(p, now);
    after.push(...sale.events);
    if (sale.refund) refunds.push({ p, ...sale.refund });
  }
  // Acquisition: nobody pays before signing up.
  const firstPurchase = new Map<string, number>();
  for (const p of payments) if (!firstPurchase.has(p.customer.user_id)) firstPurchase.set(p.customer.user_id, p.time.getTime());
  for (const c of gen.customers) {
    const first = firstPurchase.get(c.user_id);
    if (first !== undefined && c.registeredAt.getTime() > first - HOUR) c.registeredAt = new Date(first - HOUR - (first % (3 * DAY)));
    before.push(gen.registration(c));
  }
  after.push(...gen.settlements(payments, refunds, now));
  const byTime = (a: PlannedEvent, b: PlannedEvent) => a.event.time.localeCompare(b.event.time);
  before.sort(byTime);
  after.sort(byTime);
  return {
    seed: gen.seed,
    now: now.toISOString(),
    merchants: gen.merchants.map((m) => ({
      merchant_id: m.merchant_id,
      name: m.name,
      category: m.category,
      settlement_cycle: m.settlement_cycle,
      region: m.region,
      country: m.country,
    })),
    before,
    webhooks: [...webhooks, ...duplicates],
    staging,
    followUps,
    after,
    counts: { payments: payments.length, byPath, intendedDuplicates: duplicates.length },
  };
}
