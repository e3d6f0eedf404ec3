import { type Refund, afterSaleOf } from './after-sale.js';
import { DAY, createDemoContext } from './demo-events.js';
import { statusChangeOf, statusWebhookOf } from './follow-ups.js';
import { funnelOf, registrationOf } from './funnel.js';
import { MAX_INTENSITY, intensityAt } from './pace.js';
import { createPaymentDraw } from './payment-draw.js';
import type { DemoPayment, PlannedEvent, WebhookDelivery } from './plan-types.js';
import { type Rng, createRng } from './random.js';
import { type Recording, recordingOf } from './recordings/recording.js';
import { settlementsOf } from './settlements.js';
import { type DemoCustomer, type DemoMerchant, createCustomers, createMerchants } from './world.js';

export interface DemoGeneratorOptions {
  seed: number | string;
  /** The window the cast's acquisition dates fall in: [now − days, now]. */
  now: Date;
  days: number;
  customerCount: number;
  /** Prefix of event and webhook ids (default `demo-<seed>`); the live trickle uses ids of its own. */
  idPrefix?: string;
  /** The stream payments are drawn from (default: the seed's `payments` fork). */
  rng?: Rng;
}

/**
 * The generator shared by the backfill and the live trickle: the cast (merchants, customers, from
 * the seed), one random stream and the id counters, and per payment the traffic each module makes
 * of it. Calls draw from the one stream in the order they are made, so the same calls in the same
 * order give the same data.
 */
export interface DemoGenerator {
  readonly seed: string;
  readonly merchants: DemoMerchant[];
  readonly customers: DemoCustomer[];
  /** Decides one payment at `time` (merchant, customer, gateway, method, amount, outcome, path). */
  payment(time: Date): DemoPayment;
  /** The webhook body (or staging row) that records `p`, plus any intended duplicate delivery. */
  recording(p: DemoPayment): Recording;
  /** The gateway's later webhook that moves `p` to its final status (razorpay and generic paths). */
  statusWebhook(p: DemoPayment): { delivery: WebhookDelivery; at: Date } | null;
  /** The payment.* event that moves `p` to its final status (paths without a second webhook). */
  statusChange(p: DemoPayment): PlannedEvent | null;
  /** Refund and dispute events of a payment that ended in money taken (times ≤ now only). */
  afterSale(p: DemoPayment, now: Date): { events: PlannedEvent[]; refund: Refund | null };
  /** The browsing sessions and order around `p` (events before it, the order's outcome after). */
  funnel(p: DemoPayment, now: Date, options: { dropOffs: boolean }): { before: PlannedEvent[]; after: PlannedEvent[] };
  /** user.registered for a customer, at their acquisition date. */
  registration(c: DemoCustomer): PlannedEvent;
  /** Settlement batches per merchant, UTC day and currency, following each merchant's cycle. */
  settlements(payments: readonly DemoPayment[], refunds: readonly ({ p: DemoPayment } & Refund)[], now: Date): PlannedEvent[];
  /** A payment time in [now − days, now] following the demo's traffic curve (pace.ts). */
  sampleTime(now: Date, days: number): Date;
}

export function createDemoGenerator(options: DemoGeneratorOptions): DemoGenerator {
  const { seed, now, days } = options;
  const root = createRng(seed);
  const merchants = createMerchants(root.fork('merchants'));
  const customers = createCustomers(root.fork('customers'), options.customerCount, now, days, merchants);
  const ctx = createDemoContext(options.rng ?? root.fork('payments'), options.idPrefix ?? `demo-${seed}`);
  return {
    seed: String(seed),
    merchants,
    customers,
    payment: createPaymentDraw({ merchants, customers }, ctx),
    recording: (p) => recordingOf(ctx, p),
    statusWebhook: (p) => statusWebhookOf(ctx, p),
    statusChange: (p) => statusChangeOf(ctx, p),
    afterSale: (p, at) => afterSaleOf(ctx, p, at),
    funnel: (p, at, funnelOptions) => funnelOf(ctx, p, at, funnelOptions),
    registration: (c) => registrationOf(ctx, c),
    settlements: (payments, refunds, at) => settlementsOf(ctx, payments, refunds, at),
    sampleTime: (at, span) => sampleTime(ctx.rng, at, span),
  };
}

function sampleTime(rng: Rng, now: Date, days: number): Date {
  const end = now.getTime();
  const start = end - days * DAY;
  for (let tries = 0; tries < 1000; tries++) {
    const t = start + rng.next() * days * DAY;
    if (rng.next() * MAX_INTENSITY < intensityAt(t, end)) return new Date(Math.floor(t / 1000) * 1000);
  }
  return new Date(Math.floor((start + rng.next() * days * DAY) / 1000) * 1000);
}
