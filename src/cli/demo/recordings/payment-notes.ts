import { stripNulls } from '../demo-events.js';
import type { DemoPayment } from '../plan-types.js';

/** The payment's time in Unix seconds, as gateways stamp their objects. */
export const unixSeconds = (p: DemoPayment): number => Math.floor(p.time.getTime() / 1000);

/** The merchant's own notes / metadata a gateway carries along with a payment. */
export function notesOf(p: DemoPayment): Record<string, unknown> {
  return stripNulls({
    merchant_id: p.merchant.merchant_id,
    customer_id: p.customer.user_id,
    order_id: p.orderId,
    region: p.customer.region,
    country: p.customer.country,
  });
}
