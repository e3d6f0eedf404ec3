import { categoriseFailure } from '../contracts/index.js';
import { formatMinorUnits } from '../core/money.js';
import { GENERIC_FAILURE_CODES } from '../sources/webhooks/channels/generic-failure-codes.js';
import { MAX_INTENSITY, intensityAt } from './pace.js';
import { type Rng, createRng } from './random.js';
import {
  DISPUTE_REASON_WEIGHTS,
  type DemoCustomer,
  type DemoFailure,
  type DemoMerchant,
  FAILURES,
  type Gateway,
  INR_PER,
  type Method,
  REFUND_REASON_WEIGHTS,
  TRAFFIC,
  createCustomers,
  createMerchants,
  failureRate,
  feeRate,
} from './world.js';

/**
 * Turns a seed into the demo's deliveries: what to send, to which ingestion path, in which order.
 * Pure and deterministic: the same options give the same plan (the clock is `now`, passed in).
 * Sending is `run-demo.ts`.
 */

export type WebhookChannel = 'default' | 'razorpay' | 'stripe';
export type PaymentPath = WebhookChannel | 'staging';

export interface WebhookDelivery {
  channel: WebhookChannel;
  /** `webhook-id` (Standard Webhooks); stable, so a re-sent delivery is answered from the replay guard. */
  webhookId: string;
  /** razorpay signs the Razorpay way (X-Razorpay-Signature); the others with Standard Webhooks. */
  scheme: 'standard-webhooks' | 'razorpay';
  reference: string;
  body: Record<string, unknown>;
  /** A second event for a payment already recorded (Stripe sends charge.* and payment_intent.*): answered `duplicate` by design. */
  intendedDuplicate: boolean;
}

/** One row of a staging CSV (header = payment_staging columns). */
export type StagingRecord = Record<string, string>;

export interface DemoEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  subject?: string;
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
}

export interface PlannedEvent {
  event: DemoEvent;
  /** A status change of a payment recorded by this demo: its time is set when sent, never before the recording. */
  afterRecording: boolean;
}

export interface DemoPlan {
  seed: string;
  now: string;
  merchants: { merchant_id: string; name: string; category: string; settlement_cycle: string; region: string; country: string }[];
  /** Sign-ups, browsing sessions, checkouts, orders and experiment exposures (sent before the payments). */
  before: PlannedEvent[];
  webhooks: WebhookDelivery[];
  staging: StagingRecord[];
  /** Later webhooks of recorded payments (authorized → captured, pending → succeeded): ledger transitions, sent after the recordings. */
  followUps: WebhookDelivery[];
  /** Status changes, refunds, disputes, order outcomes and settlement batches (sent after the payments are recorded). */
  after: PlannedEvent[];
  counts: { payments: number; byPath: Record<PaymentPath, number>; intendedDuplicates: number };
}

export interface GenerateOptions {
  payments: number;
  days: number;
  seed: number | string;
  /** End of the window; payments lie in [now − days, now]. */
  now: Date;
}

/** A payment as the demo decided it, before it is shaped for its path. */
export interface DemoPayment {
  reference: string;
  merchant: DemoMerchant;
  customer: DemoCustomer;
  gateway: Gateway;
  method: Method;
  currency: 'INR' | 'USD' | 'EUR';
  amountMinor: number;
  feeMinor: number;
  taxMinor: number;
  time: Date;
  /** What the webhook/staging row says when the payment is recorded. */
  recordedStatus: 'pending' | 'authorized' | 'captured' | 'succeeded' | 'failed';
  /** The status it ends in (a later payment.* event when it differs). */
  finalStatus: 'authorized' | 'captured' | 'succeeded' | 'failed';
  failure: DemoFailure | null;
  path: PaymentPath;
  orderId: string | null;
  sessionId: string | null;
  chargeId: string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const SOURCES = {
  shop: '/demo/shop-web',
  orders: '/demo/orders-service',
  accounts: '/demo/accounts-service',
  experiments: '/demo/experiments',
  payments: '/demo/payments-service',
  settlements: '/demo/settlement-service',
} as const;

/** Mutable state shared by the backfill and the live trickle: the cast, id counters, the generator. */
export class DemoGenerator {
  readonly merchants: DemoMerchant[];
  readonly customers: DemoCustomer[];
  readonly seed: string;
  private readonly rng: Rng;
  private readonly merchantTable: (readonly [DemoMerchant, number])[];
  private readonly customerTable: (readonly [DemoCustomer, number])[];
  private eventCounter = 0;
  private webhookCounter = 0;
  readonly purchases = new Map<string, number>();
  private readonly borrowers: DemoCustomer[];

  constructor(
    seed: number | string,
    now: Date,
    days: number,
    customerCount: number,
    private readonly idPrefix = `demo-${seed}`,
    rng?: Rng,
  ) {
    this.seed = String(seed);
    const root = createRng(seed);
    this.merchants = createMerchants(root.fork('merchants'));
    this.customers = createCustomers(root.fork('customers'), customerCount, now, days, this.merchants);
    this.rng = rng ?? root.fork('payments');
    this.merchantTable = this.merchants.map((m) => [m, m.weight] as const);
    this.customerTable = this.customers.map((c) => [c, c.frequency] as const);
    this.borrowers = this.customers.filter((c) => c.loan);
  }

  eventId(kind: string): string {
    this.eventCounter += 1;
    return `${this.idPrefix}-${kind}-${this.eventCounter}`;
  }

  private event(type: string, source: string, time: Date, data: Record<string, unknown>, subject?: string): DemoEvent {
    return {
      specversion: '1.0',
      id: this.eventId(type.split('.')[0] ?? 'evt'),
      source,
      type,
      time: time.toISOString(),
      ...(subject ? { subject } : {}),
      datacontenttype: 'application/json',
      data: stripNulls(data),
    };
  }

  /** Decides one payment at `time` (merchant, customer, gateway, method, amount, outcome, path). */
  payment(time: Date): DemoPayment {
    const rng = this.rng;
    let merchant = rng.weighted(this.merchantTable);
    let customer = rng.weighted(this.customerTable);
    // Borrowers repay their lender; foreign customers buy from merchants that sell abroad.
    if (merchant.lending && !customer.loan) {
      const borrowers = this.borrowers;
      if (borrowers.length > 0) customer = rng.pick(borrowers);
      else merchant = rng.pick(this.merchants.filter((m) => !m.lending));
    }
    if (customer.currency !== 'INR' && merchant.internationalShare === 0) {
      merchant = rng.weighted(this.merchantTable.filter(([m]) => m.internationalShare > 0));
    }
    const foreign = customer.currency !== 'INR';
    const gateway: Gateway = merchant.lending
      ? rng.weighted([
          ['payu', 50],
          ['cashfree', 40],
          ['razorpay', 10],
        ] as const)
      : foreign
        ? rng.weighted([
            ['stripe', 75],
            ['razorpay', 25],
          ] as const)
        : rng.weighted([
            ['razorpay', 40],
            ['cashfree', 22],
            ['payu', 22],
            ['stripe', 16],
          ] as const);
    let method: Method = rng.chance(0.8) ? customer.method : rng.pick(['upi', 'card', 'netbanking', 'wallet'] as const);
    if (foreign && method !== 'wallet') method = 'card';
    if (merchant.lending && method === 'wallet') method = 'netbanking';

    const currency = customer.currency;
    const inr =
      merchant.lending && customer.loan ? customer.loan.emiInr : rng.logNormal(merchant.medianInr, merchant.sigma) * customer.spend;
    const major = Math.max(1, inr / INR_PER[currency]);
    // Prices: whole rupees (often ending in 9) in INR; .99 / .00 in USD and EUR; EMIs exact.
    const amountMinor =
      currency === 'INR'
        ? merchant.lending
          ? Math.round(major) * 100
          : (Math.max(10, Math.round(major / 10) * 10) - (rng.chance(0.6) ? 1 : 0)) * 100
        : Math.max(1, Math.round(major)) * 100 - (rng.chance(0.7) ? 1 : 0);

    const failed = rng.chance(failureRate(gateway, method, foreign));
    const failure = failed ? rng.weighted(FAILURES[method]) : null;
    const feeMinor = failed ? 0 : Math.round(amountMinor * feeRate(gateway, method, foreign));
    const taxMinor = Math.round(feeMinor * 0.18);

    const path: PaymentPath =
      merchant.lending && (gateway === 'payu' || gateway === 'cashfree') && rng.chance(0.8)
        ? 'staging'
        : gateway === 'razorpay' && rng.chance(0.75)
          ? 'razorpay'
          : gateway === 'stripe' && rng.chance(0.85)
            ? 'stripe'
            : 'default';

    // What the recording says, and what happens later.
    let recordedStatus: DemoPayment['recordedStatus'];
    let finalStatus: DemoPayment['finalStatus'];
    if (path === 'razorpay') {
      finalStatus = failed ? 'failed' : rng.chance(0.03) ? 'authorized' : 'captured';
      recordedStatus = failed ? 'failed' : finalStatus === 'authorized' || rng.chance(0.2) ? 'authorized' : 'captured';
    } else if (path === 'default' && method === 'upi' && rng.chance(0.35)) {
      finalStatus = failed ? 'failed' : 'succeeded';
      recordedStatus = 'pending';
    } else {
      finalStatus = failed ? 'failed' : 'succeeded';
      recordedStatus = finalStatus;
    }

    const reference =
      path === 'razorpay' || (gateway === 'razorpay' && path === 'default')
        ? `pay_${rng.token(14)}`
        : gateway === 'stripe'
          ? `pi_${rng.token(24)}`
          : path === 'staging'
            ? `EMI${time.toISOString().slice(0, 10).replaceAll('-', '')}${rng.token(8, '0123456789')}`
            : `${gateway === 'payu' ? 'PAYU' : 'CF'}${rng.token(12, '0123456789')}`;
    this.purchases.set(customer.user_id, (this.purchases.get(customer.user_id) ?? 0) + 1);
    return {
      reference,
      merchant,
      customer,
      gateway,
      method,
      currency,
      amountMinor,
      feeMinor,
      taxMinor,
      time,
      recordedStatus,
      finalStatus,
      failure,
      path,
      orderId: merchant.shop && rng.chance(0.35) ? `ORD-${rng.token(10, '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ')}` : null,
      sessionId: null,
      chargeId: gateway === 'stripe' ? `ch_${rng.token(24)}` : `txn_${rng.token(16)}`,
    };
  }

  /** The webhook body (or staging row) that records `p`, plus any intended duplicate delivery. */
  recording(p: DemoPayment): { webhooks: WebhookDelivery[]; staging: StagingRecord | null } {
    const unix = Math.floor(p.time.getTime() / 1000);
    const notes = stripNulls({
      merchant_id: p.merchant.merchant_id,
      customer_id: p.customer.user_id,
      order_id: p.orderId,
      region: p.customer.region,
      country: p.customer.country,
    });
    const nextId = () => {
      this.webhookCounter += 1;
      return `msg_${this.idPrefix}-${this.webhookCounter}`;
    };
    if (p.path === 'staging') {
      const loan = p.customer.loan;
      return {
        webhooks: [],
        staging: stripEmpty({
          reference_number: p.reference,
          loan_account_number: loan?.loan_account_number ?? '',
          cif: loan?.cif ?? '',
          amount: formatMinorUnits(BigInt(p.amountMinor), p.currency),
          payment_date: p.time.toISOString(),
          metadata: JSON.stringify({ file: `${p.gateway}-settlement-${p.time.toISOString().slice(0, 10)}.csv`, emi: true }),
          payment_channel: p.method === 'netbanking' ? 'NACH' : p.method.toUpperCase(),
          currency: p.currency,
          status: p.recordedStatus,
          gateway: p.gateway,
          payment_method: p.method,
          merchant_id: p.merchant.merchant_id,
          customer_id: p.customer.user_id,
          region: p.customer.region,
          country: p.customer.country,
          gateway_txn_id: p.chargeId,
          failure_reason: p.failure ? `${p.failure.code}: ${p.failure.reason}` : '',
          fee_amount: p.feeMinor ? formatMinorUnits(BigInt(p.feeMinor), p.currency) : '',
          tax_amount: p.taxMinor ? formatMinorUnits(BigInt(p.taxMinor), p.currency) : '',
        }),
      };
    }
    if (p.path === 'razorpay') {
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
      return {
        webhooks: [
          { channel: 'razorpay', webhookId: nextId(), scheme: 'razorpay', reference: p.reference, body, intendedDuplicate: false },
        ],
        staging: null,
      };
    }
    if (p.path === 'stripe') {
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
      const chargeFirst = this.rng.chance(0.5);
      const evt = (type: string, object: unknown) => ({
        id: `evt_${this.rng.token(24)}`,
        object: 'event',
        type,
        livemode: false,
        created: unix,
        data: { object },
      });
      const chargeEvent = evt(failed ? 'charge.failed' : 'charge.succeeded', charge);
      const intentEvent = evt(failed ? 'payment_intent.payment_failed' : 'payment_intent.succeeded', intent);
      const [first, second] = chargeFirst ? [chargeEvent, intentEvent] : [intentEvent, chargeEvent];
      const webhooks: WebhookDelivery[] = [
        {
          channel: 'stripe',
          webhookId: nextId(),
          scheme: 'standard-webhooks',
          reference: p.reference,
          body: first,
          intendedDuplicate: false,
        },
      ];
      // Stripe sends both a charge and a payment-intent event for one payment; about one in eight
      // of them is subscribed here, so the second is recorded as the duplicate it is.
      if (this.rng.chance(0.12)) {
        webhooks.push({
          channel: 'stripe',
          webhookId: nextId(),
          scheme: 'standard-webhooks',
          reference: p.reference,
          body: second,
          intendedDuplicate: true,
        });
      }
      return { webhooks, staging: null };
    }
    const loan = p.merchant.lending ? p.customer.loan : undefined;
    const body = stripNulls({
      reference_number: p.reference,
      loan_account_number: loan?.loan_account_number ?? null,
      cif: loan?.cif ?? null,
      amount: formatMinorUnits(BigInt(p.amountMinor), p.currency),
      currency: p.currency,
      payment_date: p.time.toISOString(),
      payment_channel: p.method === 'upi' ? 'UPI' : p.method === 'netbanking' ? 'NETBANKING' : p.method.toUpperCase(),
      status: p.recordedStatus,
      gateway: p.gateway,
      payment_method: p.method,
      merchant_id: p.merchant.merchant_id,
      order_id: p.orderId,
      customer_id: p.customer.user_id,
      region: p.customer.region,
      country: p.customer.country,
      fee_amount: p.recordedStatus === 'succeeded' ? formatMinorUnits(BigInt(p.feeMinor), p.currency) : null,
      tax_amount: p.recordedStatus === 'succeeded' ? formatMinorUnits(BigInt(p.taxMinor), p.currency) : null,
      gateway_txn_id: p.chargeId,
      failure_code: p.recordedStatus === 'failed' ? p.failure?.code : null,
      failure_reason: p.recordedStatus === 'failed' ? p.failure?.reason : null,
      metadata: { source_system: `${p.gateway}-webhook-relay` },
    });
    return {
      webhooks: [
        { channel: 'default', webhookId: nextId(), scheme: 'standard-webhooks', reference: p.reference, body, intendedDuplicate: false },
      ],
      staging: null,
    };
  }

  /**
   * The second webhook that moves `p` from its recorded status to its final one, as its gateway
   * sends it (Razorpay payment.captured after payment.authorized; the generic body's later status
   * with its event_time): the ledger records it as a transition. Null when the status does not
   * change, or the path has no second webhook (see statusChange).
   */
  statusWebhook(p: DemoPayment): { delivery: WebhookDelivery; at: Date } | null {
    if (p.recordedStatus === p.finalStatus || (p.path !== 'razorpay' && p.path !== 'default')) return null;
    const at = new Date(p.time.getTime() + this.rng.int(4, 90) * 1000);
    const [delivery] = this.recording({ ...p, recordedStatus: p.finalStatus }).webhooks;
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
  statusChange(p: DemoPayment): PlannedEvent | null {
    if (p.recordedStatus === p.finalStatus || p.path === 'razorpay' || p.path === 'default') return null;
    const at = new Date(p.time.getTime() + this.rng.int(4, 90) * 1000);
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
        ? this.event('payment.failed', SOURCES.payments, at, {
            ...facts,
            failure_code: p.failure?.code,
            failure_reason: p.failure?.reason,
            // The payments service that sends this event categorises with the generic table, as the intake would.
            failure_category: categoriseFailure(GENERIC_FAILURE_CODES, p.failure?.code),
          })
        : p.finalStatus === 'captured'
          ? this.event('payment.captured', SOURCES.payments, at, { ...facts, authorized_amount: facts.amount, fee, tax })
          : this.event('payment.succeeded', SOURCES.payments, at, { ...facts, fee, tax });
    return { event, afterRecording: true };
  }

  /** Refund and dispute events of a payment that ended in money taken (times ≤ now only). */
  afterSale(p: DemoPayment, now: Date): { events: PlannedEvent[]; refund: { time: Date; amountMinor: number } | null } {
    const events: PlannedEvent[] = [];
    let refund: { time: Date; amountMinor: number } | null = null;
    if (p.finalStatus === 'failed' || p.finalStatus === 'authorized') return { events, refund };
    const rng = this.rng;
    if (rng.chance(p.merchant.refundRate || 0.002)) {
      const at = new Date(p.time.getTime() + rng.int(2 * 60, 9 * 24 * 60) * MINUTE);
      if (at <= now) {
        const partial = rng.chance(0.25);
        const amountMinor = partial ? Math.max(100, Math.round((p.amountMinor * rng.int(20, 80)) / 10_000) * 100) : p.amountMinor;
        refund = { time: at, amountMinor: Math.min(amountMinor, p.amountMinor) };
        const reason = rng.weighted(REFUND_REASON_WEIGHTS);
        events.push({
          event: this.event('payment.refunded', SOURCES.payments, at, {
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
          event: this.event('payment.dispute_opened', SOURCES.payments, opened, { ...dispute, status: 'needs_response' }),
          afterRecording: false,
        });
        const review = new Date(opened.getTime() + rng.int(1, 6) * DAY);
        if (review <= now) {
          events.push({
            event: this.event('payment.dispute_updated', SOURCES.payments, review, {
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
              event: this.event('payment.dispute_updated', SOURCES.payments, decided, {
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

  /**
   * Browsing sessions that end in `p`'s order, and the sessions that dropped off on the way
   * (product.viewed → product.added_to_cart → checkout.started → order.placed), with the two
   * experiments' exposures. Returns the events before the payment and the order's outcome after.
   */
  funnel(p: DemoPayment, now: Date, options: { dropOffs: boolean }): { before: PlannedEvent[]; after: PlannedEvent[] } {
    const before: PlannedEvent[] = [];
    const after: PlannedEvent[] = [];
    if (!p.orderId) return { before, after };
    const rng = this.rng;
    const c = p.customer;
    const segment = (this.purchases.get(c.user_id) ?? 0) > 4 ? 'loyal' : (this.purchases.get(c.user_id) ?? 0) > 1 ? 'returning' : 'new';
    // Simulate sessions until one converts (forced after 12); earlier ones dropped off at some step
    // and are moved back in time. The live trickle sends only the converting session.
    for (let attempt = 0; attempt < 12; attempt++) {
      const force = attempt === 11 || !options.dropOffs;
      const session = this.session(p, p.time, force || rng.chance(0.45), segment, force);
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
      event: this.event('order.placed', SOURCES.orders, new Date(p.time.getTime() - 5000), order, p.orderId),
      afterRecording: false,
    });
    if (p.finalStatus === 'failed') {
      const at = new Date(p.time.getTime() + 20 * MINUTE);
      if (at <= now) {
        after.push({
          event: this.event(
            'order.cancelled',
            SOURCES.orders,
            at,
            { ...order, reason: 'payment_failed', cancelled_by: 'system' },
            p.orderId,
          ),
          afterRecording: false,
        });
      }
    } else if (p.finalStatus !== 'authorized') {
      const at = new Date(p.time.getTime() + rng.int(6, 96) * HOUR);
      if (at <= now) after.push({ event: this.event('order.completed', SOURCES.orders, at, order, p.orderId), afterRecording: false });
    }
    return { before, after };
  }

  private session(
    p: DemoPayment,
    end: Date,
    signedIn: boolean,
    segment: string,
    mustConvert: boolean,
  ): { events: PlannedEvent[]; converted: boolean; sessionId: string } {
    const rng = this.rng;
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
      events.push({ event: this.event(type, source, step(), { ...visitor, ...data }), afterRecording: false });
    if (signedIn && rng.chance(0.4))
      push('user.logged_in', { user_id: c.user_id, method: c.authMethod, is_new_device: rng.chance(0.1) }, SOURCES.accounts);
    // Experiment 2 (session unit): a recommendations carousel on product pages lifts add-to-cart a little.
    const recoVariant = rng.chance(0.5) ? 'carousel' : 'control';
    if (rng.chance(0.6)) {
      push(
        'experiment.exposure_recorded',
        { experiment_id: 'exp_reco_carousel', variant: recoVariant, unit_type: 'session', unit_id: sessionId, bucket: rng.int(0, 9999) },
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
    const checkoutVariant = rng.chance(0.5) ? 'one_tap' : 'control';
    push(
      'experiment.exposure_recorded',
      {
        experiment_id: 'exp_one_tap_checkout',
        variant: checkoutVariant,
        unit_type: 'session',
        unit_id: sessionId,
        bucket: rng.int(0, 9999),
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
  registration(c: DemoCustomer): PlannedEvent {
    return {
      event: this.event(
        'user.registered',
        SOURCES.accounts,
        c.registeredAt,
        {
          user_id: c.user_id,
          anonymous_id: `anon_${c.user_id.slice(2)}`,
          email: `${c.user_id.toLowerCase()}@example.com`,
          method: c.authMethod,
          marketing_opt_in: this.rng.chance(0.6),
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

  /** Settlement batches per merchant, UTC day and currency, following each merchant's cycle. */
  settlements(
    payments: readonly DemoPayment[],
    refunds: readonly { p: DemoPayment; time: Date; amountMinor: number }[],
    now: Date,
  ): PlannedEvent[] {
    const groups = new Map<
      string,
      { merchant: DemoMerchant; day: string; currency: string; payments: DemoPayment[]; refundMinor: number }
    >();
    const keyOf = (m: DemoMerchant, day: string, currency: string) => `${m.merchant_id}|${day}|${currency}`;
    for (const p of payments) {
      if (p.finalStatus !== 'succeeded' && p.finalStatus !== 'captured') continue;
      const day = p.time.toISOString().slice(0, 10);
      const key = keyOf(p.merchant, day, p.currency);
      let g = groups.get(key);
      if (!g) {
        g = { merchant: p.merchant, day, currency: p.currency, payments: [], refundMinor: 0 };
        groups.set(key, g);
      }
      g.payments.push(p);
    }
    for (const r of refunds) {
      const g = groups.get(keyOf(r.p.merchant, r.time.toISOString().slice(0, 10), r.p.currency));
      if (g) g.refundMinor += r.amountMinor;
    }
    const events: PlannedEvent[] = [];
    const sorted = [...groups.values()].sort((a, b) =>
      a.day === b.day
        ? keyOf(a.merchant, a.day, a.currency).localeCompare(keyOf(b.merchant, b.day, b.currency))
        : a.day.localeCompare(b.day),
    );
    for (const g of sorted) {
      const dayStart = Date.parse(`${g.day}T00:00:00Z`);
      const created = new Date(dayStart + DAY + 2 * HOUR + this.rng.int(0, 59) * MINUTE);
      if (created > now) continue;
      const cycle = g.merchant.cycleDays;
      const gross = g.payments.reduce((s, p) => s + p.amountMinor, 0);
      const fee = g.payments.reduce((s, p) => s + p.feeMinor, 0);
      const tax = g.payments.reduce((s, p) => s + p.taxMinor, 0);
      const batchId = `setl_${g.day.replaceAll('-', '')}_${g.merchant.merchant_id.replace('-', '')}_${g.currency}`;
      const fields = {
        batch_id: batchId,
        merchant_id: g.merchant.merchant_id,
        settlement_cycle: g.merchant.settlement_cycle,
        gross_amount: money(gross, g.currency),
        fee_amount: money(fee, g.currency),
        tax_amount: money(tax, g.currency),
        refund_amount: money(g.refundMinor, g.currency),
        net_amount: { amount_minor: gross - fee - tax - g.refundMinor, currency: g.currency },
        payment_count: g.payments.length,
        payment_references: g.payments.map((p) => p.reference),
      };
      const settleDay = new Date(dayStart + cycle * DAY).toISOString().slice(0, 10);
      events.push({
        event: this.event(
          'settlement.batch_created',
          SOURCES.settlements,
          created,
          { ...fields, status: 'PENDING', expected_settlement_date: settleDay },
          batchId,
        ),
        afterRecording: false,
      });
      const reconciled = new Date(dayStart + cycle * DAY + 5 * HOUR + this.rng.int(0, 120) * MINUTE);
      if (reconciled > now) continue;
      events.push({
        event: this.event(
          'settlement.batch_created',
          SOURCES.settlements,
          reconciled,
          { ...fields, status: 'RECONCILED', expected_settlement_date: settleDay },
          batchId,
        ),
        afterRecording: false,
      });
      const settled = new Date(dayStart + cycle * DAY + 9 * HOUR + this.rng.int(0, 180) * MINUTE);
      if (settled > now) continue;
      events.push({
        event: this.event(
          'settlement.completed',
          SOURCES.settlements,
          settled,
          { ...fields, status: 'SETTLED', settlement_date: settleDay, bank_reference: `UTR${this.rng.token(12, '0123456789')}` },
          batchId,
        ),
        afterRecording: false,
      });
    }
    return events;
  }

  /** A payment time in [now − days, now] following the demo's traffic curve (pace.ts: daily and weekly rhythm, growth). */
  sampleTime(now: Date, days: number): Date {
    const rng = this.rng;
    const end = now.getTime();
    const start = end - days * DAY;
    for (let tries = 0; tries < 1000; tries++) {
      const t = start + rng.next() * days * DAY;
      if (rng.next() * MAX_INTENSITY < intensityAt(t, end)) return new Date(Math.floor(t / 1000) * 1000);
    }
    return new Date(Math.floor((start + rng.next() * days * DAY) / 1000) * 1000);
  }
}

/** Builds the whole backfill plan. Deterministic in (payments, days, seed, now). */
export function generateDemo(options: GenerateOptions): DemoPlan {
  const { now, days } = options;
  const gen = new DemoGenerator(options.seed, now, days, Math.max(20, Math.round(options.payments * 0.3)));
  const times = Array.from({ length: options.payments }, () => gen.sampleTime(now, days)).sort((a, b) => a.getTime() - b.getTime());
  const payments = times.map((t) => gen.payment(t));
  const before: PlannedEvent[] = [];
  const after: PlannedEvent[] = [];
  const webhooks: WebhookDelivery[] = [];
  const duplicates: WebhookDelivery[] = [];
  const staging: StagingRecord[] = [];
  const followUps: WebhookDelivery[] = [];
  const refunds: { p: DemoPayment; time: Date; amountMinor: number }[] = [];
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

function shiftEvent(event: DemoEvent, ms: number): void {
  event.time = new Date(Date.parse(event.time) + ms).toISOString();
  if (typeof event.data.started_at === 'string') event.data.started_at = new Date(Date.parse(event.data.started_at) + ms).toISOString();
}

function money(amountMinor: number, currency: string) {
  return { amount_minor: amountMinor, currency };
}

function priceMinor(priceInr: number, currency: 'INR' | 'USD' | 'EUR'): number {
  return currency === 'INR' ? priceInr * 100 : Math.max(1, Math.round(priceInr / INR_PER[currency])) * 100 - 1;
}

function stripNulls(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v !== null && v !== undefined));
}

function stripEmpty(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== ''));
}
