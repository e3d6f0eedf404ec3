import type { DemoContext } from '../demo-events.js';
import type { DemoPayment, StagingRecord, WebhookDelivery } from '../plan-types.js';
import { genericWebhookOf } from './generic-webhook.js';
import { razorpayWebhookOf } from './razorpay-webhook.js';
import { stagingRecordOf } from './staging-record.js';
import { stripeWebhooksOf } from './stripe-webhook.js';

/** What records one payment: webhook deliveries on its channel, or a staging row. */
export interface Recording {
  webhooks: WebhookDelivery[];
  staging: StagingRecord | null;
}

/** The webhook body (or staging row) that records `p` on its path, plus any intended duplicate delivery. */
export function recordingOf(ctx: DemoContext, p: DemoPayment): Recording {
  switch (p.path) {
    case 'staging':
      return { webhooks: [], staging: stagingRecordOf(p) };
    case 'razorpay':
      return { webhooks: [razorpayWebhookOf(ctx, p)], staging: null };
    case 'stripe':
      return { webhooks: stripeWebhooksOf(ctx, p), staging: null };
    case 'default':
      return { webhooks: [genericWebhookOf(ctx, p)], staging: null };
  }
}
