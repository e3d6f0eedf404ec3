import { formatMinorUnits } from '../../../core/money.js';
import { type DemoContext, stripNulls } from '../demo-events.js';
import type { DemoPayment, WebhookDelivery } from '../plan-types.js';

/** The generic endpoint's body (Standard Webhooks; payu, cashfree and the rest) that records `p` at its recorded status. */
export function genericWebhookOf(ctx: DemoContext, p: DemoPayment): WebhookDelivery {
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
    channel: 'default',
    webhookId: ctx.webhookId(),
    scheme: 'standard-webhooks',
    reference: p.reference,
    body,
    intendedDuplicate: false,
  };
}
