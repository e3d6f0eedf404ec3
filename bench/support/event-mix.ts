/**
 * A realistic, reproducible stream of pipeline events for the issue-3 benchmarks: about 40 %
 * `payment.recorded` (new references), 25 % status updates of references recorded earlier
 * (`payment.succeeded` 80 % / `payment.failed` 20 %), 5 % refunds of earlier payments, and 30 %
 * behavioural events (product.viewed, product.added_to_cart, checkout.started, search.query).
 *
 * Payments are given as canonical payments (what the recorder takes) so the freshness benchmark
 * can record them for real; the consumer benchmark turns them into `payment.recorded` CloudEvents
 * exactly as the recorder does (test/harness/events.ts → src/recorder/payment-event.ts). The other
 * events are CloudEvents built from each contract's example (test/harness/events.ts `cloudEvent`).
 *
 * The mix keeps what it generated (`expected()`) so a benchmark can check the warehouse against
 * it: one payment per reference, the latest status of each, one refund per refund id, one row per
 * behavioural event.
 */
import type { CloudEvent } from '../../src/contracts/index.js';
import type { CanonicalPayment } from '../../src/recorder/payment.js';
import { cloudEvent } from '../../test/harness/events.js';
import { payment } from '../../test/harness/fixtures.js';

export type MixItem =
  | { kind: 'payment'; payment: CanonicalPayment; at: Date }
  | { kind: 'status' | 'refund' | 'behaviour'; event: CloudEvent; at: Date };

export interface MixExpectation {
  events: number;
  payments: number;
  statusEvents: number;
  refunds: number;
  behaviour: number;
  /** Payments by their final status (the latest event of each reference wins: times only grow). */
  byStatus: Record<string, number>;
  /** Sum of amount_minor over all payments (every payment's amount never changes). */
  amountMinor: number;
}

interface KnownPayment {
  reference: string;
  amountMinor: number;
  currency: string;
  merchant: string;
  gateway: string;
  method: string;
  region: string;
  customer: string;
  status: string;
}

const MERCHANTS = Array.from({ length: 60 }, (_, i) => `M-${String(i + 1).padStart(3, '0')}`);
const GATEWAYS = ['razorpay', 'stripe', 'payu', 'cashfree'];
const METHODS = ['upi', 'card', 'netbanking', 'wallet'];
const CHANNELS = ['UPI', 'CARD', 'NEFT', 'IMPS'];
const REGIONS = ['north', 'south', 'east', 'west'];
const CATEGORIES = ['shoes', 'phones', 'books', 'grocery', 'fashion', 'home'];
const FAILURES: Array<[string, string]> = [
  ['card_declined', 'Your card was declined.'],
  ['insufficient_funds', 'Insufficient funds.'],
  ['upi_timeout', 'The UPI collect request expired.'],
];
/** Status updates and refunds pick among this many most recent payments (a status follows its payment soon). */
const RECENT_WINDOW = 20_000;

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same stream. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface EventMix {
  /** The next event, stamped `at` (its CloudEvent time; times must not decrease). */
  next(at: Date): MixItem;
  expected(): MixExpectation;
}

export function createEventMix(options: { seed?: number; referencePrefix?: string } = {}): EventMix {
  const random = prng(options.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const prefix = options.referencePrefix ?? 'BENCH';
  const recent: KnownPayment[] = [];
  const byReference = new Map<string, KnownPayment>();
  const counts = { events: 0, payments: 0, statusEvents: 0, refunds: 0, behaviour: 0, amountMinor: 0 };
  let refundSeq = 0;
  let sessionSeq = 0;

  const remember = (p: KnownPayment) => {
    byReference.set(p.reference, p);
    if (recent.length < RECENT_WINDOW) recent.push(p);
    else recent[counts.payments % RECENT_WINDOW] = p;
  };

  function newPayment(at: Date): MixItem {
    counts.payments++;
    const reference = `${prefix}-${String(counts.payments).padStart(9, '0')}`;
    const currency = random() < 0.9 ? 'INR' : 'USD';
    const known: KnownPayment = {
      reference,
      amountMinor: 1_000 + Math.floor(random() * 5_000_000),
      currency,
      merchant: pick(MERCHANTS),
      gateway: pick(GATEWAYS),
      method: pick(METHODS),
      region: pick(REGIONS),
      customer: `C-${Math.floor(random() * 200_000)}`,
      // Most payments are recorded when they are initiated; their outcome arrives later.
      status: random() < 0.7 ? 'pending' : 'succeeded',
    };
    remember(known);
    counts.amountMinor += known.amountMinor;
    const p = payment(reference, {
      loan_account_number: `LN${String(Math.floor(random() * 1_000_000)).padStart(8, '0')}`,
      cif: `CIF${String(Math.floor(random() * 500_000)).padStart(7, '0')}`,
      amount_minor: known.amountMinor,
      currency,
      payment_date: new Date(at.getTime() - 2_000),
      payment_channel: pick(CHANNELS),
      source: 'webhook',
      status: known.status as CanonicalPayment['status'],
      gateway: known.gateway,
      payment_method: known.method,
      merchant_id: known.merchant,
      order_id: `ORD-${counts.payments}`,
      customer_id: known.customer,
      region: known.region,
      country: 'IN',
      fee_minor: Math.floor(known.amountMinor / 50),
      tax_minor: Math.floor(known.amountMinor / 280),
      gateway_txn_id: `txn_${counts.payments.toString(36)}`,
      metadata: { branch: 'MUM-01' },
    });
    return { kind: 'payment', payment: p, at };
  }

  function statusUpdate(at: Date, p: KnownPayment): MixItem {
    counts.statusEvents++;
    const amount = { amount_minor: p.amountMinor, currency: p.currency };
    const common = {
      reference_number: p.reference,
      amount,
      gateway: p.gateway,
      payment_method: p.method,
      merchant_id: p.merchant,
      customer_id: p.customer,
      region: p.region,
      country: 'IN',
    };
    let event: CloudEvent;
    if (random() < 0.8) {
      p.status = 'succeeded';
      event = cloudEvent(
        'payment.succeeded',
        { ...common, fee: { amount_minor: Math.floor(p.amountMinor / 50), currency: p.currency } },
        { time: at, subject: p.reference },
      );
    } else {
      p.status = 'failed';
      const [code, reason] = pick(FAILURES);
      event = cloudEvent('payment.failed', { ...common, failure_code: code, failure_reason: reason }, { time: at, subject: p.reference });
    }
    return { kind: 'status', event, at };
  }

  function refund(at: Date, p: KnownPayment): MixItem {
    counts.refunds++;
    refundSeq++;
    const event = cloudEvent(
      'payment.refunded',
      {
        refund_id: `rfnd_${refundSeq}`,
        reference_number: p.reference,
        amount: { amount_minor: Math.max(1, Math.floor(p.amountMinor * (random() < 0.7 ? 1 : 0.3))), currency: p.currency },
        reason: random() < 0.8 ? 'requested_by_customer' : 'product_unacceptable',
        gateway: p.gateway,
        merchant_id: p.merchant,
        customer_id: p.customer,
      },
      { time: at, subject: p.reference },
    );
    return { kind: 'refund', event, at };
  }

  function behaviour(at: Date): MixItem {
    counts.behaviour++;
    if (random() < 0.2) sessionSeq++;
    const visit = {
      session_id: `sess_${sessionSeq}`,
      anonymous_id: `anon_${Math.floor(sessionSeq / 3)}`,
      device: { type: random() < 0.7 ? ('mobile' as const) : ('desktop' as const), os: random() < 0.8 ? 'Android' : 'iOS' },
      traffic: { source: pick(['google', 'direct', 'instagram', 'email']), medium: pick(['cpc', 'organic', 'social']) },
      country: 'IN',
    };
    const merchant_id = pick(MERCHANTS);
    const price = { amount_minor: 10_000 + Math.floor(random() * 500_000), currency: 'INR' };
    const product = `P-${Math.floor(random() * 20_000)}`;
    const r = random();
    const event =
      r < 0.4
        ? cloudEvent(
            'product.viewed',
            { ...visit, merchant_id, product_id: product, category: pick(CATEGORIES), price },
            { time: at, subject: product },
          )
        : r < 0.6
          ? cloudEvent(
              'product.added_to_cart',
              { ...visit, merchant_id, product_id: product, quantity: 1 + Math.floor(random() * 3), price, cart_id: `cart_${sessionSeq}` },
              { time: at, subject: product },
            )
          : r < 0.8
            ? cloudEvent(
                'checkout.started',
                { ...visit, merchant_id, checkout_id: `co_${sessionSeq}`, cart_amount: price, item_count: 1 + Math.floor(random() * 4) },
                { time: at, subject: `co_${sessionSeq}` },
              )
            : cloudEvent(
                'search.query',
                { ...visit, search_id: `srch_${counts.behaviour}`, query: pick(CATEGORIES), results_count: Math.floor(random() * 200) },
                { time: at, subject: `srch_${counts.behaviour}` },
              );
    return { kind: 'behaviour', event, at };
  }

  return {
    next(at) {
      counts.events++;
      const r = random();
      if (recent.length === 0 || r < 0.4) return newPayment(at);
      if (r < 0.65) return statusUpdate(at, pick(recent));
      if (r < 0.7) return refund(at, pick(recent));
      return behaviour(at);
    },
    expected() {
      const byStatus: Record<string, number> = {};
      for (const p of byReference.values()) byStatus[p.status] = (byStatus[p.status] ?? 0) + 1;
      return { ...counts, byStatus };
    },
  };
}
