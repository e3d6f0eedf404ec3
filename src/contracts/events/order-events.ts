import { z } from 'zod';
import { defineEventContract } from '../event-contract.js';
import { count, countryCode, money, oneCurrency, text } from '../fields.js';

// Orders from a shop or marketplace. One order may hold items from several sellers; its totals are
// what the customer pays, all in one currency.

const orderItem = () =>
  z.strictObject({
    product_id: text(255),
    sku: text(255).nullish(),
    category: text(255).nullish(),
    quantity: count().min(1, { error: 'must be at least 1' }),
    unit_price: money(),
    seller_id: text(100).nullish().describe('The seller of this item, on a marketplace.'),
  });

const orderFields = () => ({
  order_id: text(255),
  customer_id: text(255).nullish(),
  session_id: text(255).nullish().describe('The session the order was placed in; ties the order to its funnel.'),
  merchant_id: text(100).nullish(),
  seller_id: text(100).nullish().describe('The seller, when the whole order is from one seller.'),
  channel: text(50).nullish().describe('Where the order was placed: web, app, pos…'),
  total_amount: money().describe('What the customer pays: subtotal − discount + shipping + tax.'),
  subtotal_amount: money().nullish(),
  discount_amount: money().nullish(),
  shipping_amount: money().nullish(),
  tax_amount: money().nullish(),
  items: z.array(orderItem()).min(1).max(1_000).nullish(),
  reference_number: text(255).nullish().describe('Reference of the payment for this order.'),
  coupon_code: text(100).nullish(),
  country: countryCode().nullish(),
  region: text(100).nullish(),
});
const ORDER_KEYS = ['order_id', 'total_amount', 'tax_amount', 'seller_id', 'merchant_id', 'items'] as const;
const orderExample = {
  order_id: 'ORD-1001',
  customer_id: 'C-1001',
  session_id: 'sess_9f2',
  merchant_id: 'M-042',
  total_amount: { amount_minor: 118_000, currency: 'INR' },
  subtotal_amount: { amount_minor: 100_000, currency: 'INR' },
  tax_amount: { amount_minor: 18_000, currency: 'INR' },
  items: [{ product_id: 'P-1', category: 'shoes', quantity: 2, unit_price: { amount_minor: 50_000, currency: 'INR' }, seller_id: 'S-7' }],
  reference_number: 'PAY-2026-000123',
};

export const orderPlacedV1 = defineEventContract({
  type: 'order.placed',
  version: 1,
  description: 'A customer placed an order (the last step of the checkout funnel).',
  subject: 'the order id',
  data: z.strictObject(orderFields()).superRefine(oneCurrency),
  piiFields: ['customer_id', 'session_id'],
  freeFormFields: [],
  keyFields: ORDER_KEYS,
  example: orderExample,
});
export type OrderPlacedV1 = z.output<typeof orderPlacedV1.data>;

export const orderCompletedV1 = defineEventContract({
  type: 'order.completed',
  version: 1,
  description: 'An order was fulfilled (delivered or service rendered).',
  subject: 'the order id',
  data: z.strictObject(orderFields()).superRefine(oneCurrency),
  piiFields: ['customer_id', 'session_id'],
  freeFormFields: [],
  keyFields: ORDER_KEYS,
  example: orderExample,
});
export type OrderCompletedV1 = z.output<typeof orderCompletedV1.data>;

export const ORDER_CANCEL_REASONS = [
  'customer_request',
  'payment_failed',
  'out_of_stock',
  'fraud_suspected',
  'merchant_cancelled',
  'not_delivered',
  'other',
] as const;

export const orderCancelledV1 = defineEventContract({
  type: 'order.cancelled',
  version: 1,
  description: 'An order was cancelled before it was fulfilled.',
  subject: 'the order id',
  data: z
    .strictObject({
      ...orderFields(),
      reason: z.enum(ORDER_CANCEL_REASONS),
      cancelled_by: z.enum(['customer', 'merchant', 'system']).nullish(),
    })
    .superRefine(oneCurrency),
  piiFields: ['customer_id', 'session_id'],
  freeFormFields: [],
  keyFields: [...ORDER_KEYS, 'reason'],
  example: { ...orderExample, reason: 'customer_request', cancelled_by: 'customer' },
});
export type OrderCancelledV1 = z.output<typeof orderCancelledV1.data>;
