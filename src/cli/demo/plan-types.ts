import type { DemoCustomer, DemoFailure, DemoMerchant, Gateway, Method } from './world.js';

/**
 * The shapes of a demo plan: what to send, to which ingestion path, in which order.
 * Built by `generate.ts`, sent by `run-demo.ts`.
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
