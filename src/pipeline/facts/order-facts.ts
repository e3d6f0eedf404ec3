import { type EventOf, type Fact, orNull } from './fact.js';

/** Facts of order.* events: one orders row per order, merged by status. */

/** order.placed / completed / cancelled: the order at its status. */
export function orderFacts(event: EventOf<'order.placed' | 'order.completed' | 'order.cancelled'>, at: Date): Fact[] {
  const d = event.data;
  const status = event.type.slice('order.'.length);
  return [
    {
      table: 'orders',
      key: d.order_id,
      row: {
        order_id: d.order_id,
        status,
        customer_hash: orNull(d.customer_id),
        session_hash: orNull(d.session_id),
        merchant_id: orNull(d.merchant_id),
        seller_id: orNull(d.seller_id),
        channel: orNull(d.channel),
        currency: d.total_amount.currency,
        total_minor: d.total_amount.amount_minor,
        subtotal_minor: orNull(d.subtotal_amount?.amount_minor),
        discount_minor: orNull(d.discount_amount?.amount_minor),
        shipping_minor: orNull(d.shipping_amount?.amount_minor),
        tax_minor: orNull(d.tax_amount?.amount_minor),
        item_count: d.items ? d.items.reduce((n, i) => n + i.quantity, 0) : null,
        items: d.items ?? null,
        reference_number: orNull(d.reference_number),
        coupon_code: orNull(d.coupon_code),
        country: orNull(d.country),
        region: orNull(d.region),
        cancel_reason: 'reason' in d ? d.reason : null,
        placed_at: status === 'placed' ? at : null,
        completed_at: status === 'completed' ? at : null,
        cancelled_at: status === 'cancelled' ? at : null,
        status_time: at,
      },
    },
  ];
}
