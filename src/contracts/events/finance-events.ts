import { z } from 'zod';
import { defineEventContract } from '../event-contract.js';
import { calendarDate, count, countryCode, money, oneCurrency, signedMoney, text } from '../fields.js';

// ── settlement ─────────────────────────────────────────────────────────────────────────────────
// A settlement batch is what a gateway pays a merchant for a set of payments. Its lifecycle is
// PENDING → RECONCILED (matched against the gateway's settlement file) → SETTLED (money arrived).

export const SETTLEMENT_STATUSES = ['PENDING', 'RECONCILED', 'SETTLED'] as const;

const settlementFields = () => ({
  batch_id: text(255).describe("The gateway's settlement batch id."),
  merchant_id: text(100),
  gateway: text(100).nullish(),
  settlement_cycle: text(20).nullish().describe('The agreed cycle, e.g. T+1, T+2.'),
  gross_amount: money().describe('Sum of the payments in the batch.'),
  fee_amount: money().describe('Gateway fees deducted.'),
  tax_amount: money().nullish().describe('Tax on the fees deducted.'),
  refund_amount: money().nullish().describe('Refunds netted off in this batch.'),
  net_amount: signedMoney().describe('What the merchant receives: gross − fees − tax − refunds; may be negative.'),
  payment_count: count(),
  payment_references: z
    .array(text(255))
    .max(10_000)
    .nullish()
    .describe('References of the payments in the batch, when the sender lists them (up to 10,000).'),
});
const settlementExample = {
  batch_id: 'setl_20261121_M042',
  merchant_id: 'M-042',
  gateway: 'razorpay',
  settlement_cycle: 'T+1',
  gross_amount: { amount_minor: 1_000_000, currency: 'INR' },
  fee_amount: { amount_minor: 20_000, currency: 'INR' },
  tax_amount: { amount_minor: 3_600, currency: 'INR' },
  net_amount: { amount_minor: 976_400, currency: 'INR' },
  payment_count: 12,
};

export const settlementBatchCreatedV1 = defineEventContract({
  type: 'settlement.batch_created',
  version: 1,
  description: 'A settlement batch was created for a merchant (status PENDING, or RECONCILED when created from a matched settlement file).',
  subject: 'the batch id',
  data: z
    .strictObject({
      ...settlementFields(),
      status: z.enum(SETTLEMENT_STATUSES),
      expected_settlement_date: calendarDate().nullish(),
    })
    .superRefine(oneCurrency),
  piiFields: [],
  freeFormFields: [],
  keyFields: ['batch_id', 'merchant_id', 'gross_amount', 'fee_amount', 'net_amount', 'status'],
  example: { ...settlementExample, status: 'PENDING', expected_settlement_date: '2026-11-22' },
});
export type SettlementBatchCreatedV1 = z.output<typeof settlementBatchCreatedV1.data>;

export const settlementCompletedV1 = defineEventContract({
  type: 'settlement.completed',
  version: 1,
  description: "A settlement batch was paid out to the merchant's bank account (status SETTLED).",
  subject: 'the batch id',
  data: z
    .strictObject({
      ...settlementFields(),
      status: z.literal('SETTLED'),
      settlement_date: calendarDate(),
      bank_reference: text(255).nullish().describe('The bank transfer reference (UTR).'),
    })
    .superRefine(oneCurrency),
  piiFields: [],
  freeFormFields: [],
  keyFields: ['batch_id', 'merchant_id', 'net_amount', 'status', 'settlement_date'],
  example: { ...settlementExample, status: 'SETTLED', settlement_date: '2026-11-22', bank_reference: 'UTR123456789' },
});
export type SettlementCompletedV1 = z.output<typeof settlementCompletedV1.data>;

// ── marketplace escrow and tax ─────────────────────────────────────────────────────────────────

export const escrowReleasedV1 = defineEventContract({
  type: 'escrow.released',
  version: 1,
  description: "A marketplace released money held in escrow for an order to the seller (minus the platform's commission).",
  subject: 'the order id',
  data: z
    .strictObject({
      escrow_id: text(255),
      order_id: text(255),
      seller_id: text(100),
      amount: money().describe('The amount released to the seller.'),
      commission: money().nullish().describe("The platform's commission kept."),
      reference_number: text(255).nullish().describe('Reference of the payment that funded the escrow.'),
      release_reason: z.enum(['delivery_confirmed', 'auto_release', 'dispute_resolved', 'manual']).nullish(),
      customer_id: text(255).nullish().describe('The buyer.'),
    })
    .superRefine(oneCurrency),
  piiFields: ['customer_id'],
  freeFormFields: [],
  keyFields: ['escrow_id', 'order_id', 'seller_id', 'amount', 'commission'],
  example: {
    escrow_id: 'esc_001',
    order_id: 'ORD-1001',
    seller_id: 'S-7',
    amount: { amount_minor: 90_000, currency: 'INR' },
    commission: { amount_minor: 10_000, currency: 'INR' },
    release_reason: 'delivery_confirmed',
  },
});
export type EscrowReleasedV1 = z.output<typeof escrowReleasedV1.data>;

export const taxLineRecordedV1 = defineEventContract({
  type: 'tax.line_recorded',
  version: 1,
  description: 'A tax line was recorded against an order, payment, fee or refund (for tax reports).',
  subject: 'the tax line id',
  data: z
    .strictObject({
      tax_line_id: text(255),
      tax_type: text(50).describe('The tax, e.g. GST, CGST, SGST, IGST, VAT, SALES_TAX, TDS, TCS.'),
      rate_percent: z
        .string()
        .regex(/^\d{1,3}(\.\d{1,4})?$/, { error: 'must be a decimal string such as "18" or "2.5"' })
        .describe('The rate in percent as an exact decimal string, e.g. "18" or "0.1".'),
      taxable_amount: money(),
      tax_amount: money(),
      direction: z
        .enum(['collected', 'withheld', 'reversed'])
        .describe('Collected from the buyer, withheld at source, or reversed by a refund.'),
      country: countryCode(),
      region: text(100).nullish().describe('State or province (place of supply).'),
      order_id: text(255).nullish(),
      reference_number: text(255).nullish().describe('Reference of the payment the line belongs to.'),
      refund_id: text(255).nullish(),
      merchant_id: text(100).nullish(),
      seller_id: text(100).nullish(),
      invoice_number: text(100).nullish(),
      tax_category: text(50).nullish().describe('Product tax code (HSN/SAC, tax category).'),
    })
    .superRefine(oneCurrency),
  piiFields: [],
  freeFormFields: [],
  keyFields: ['tax_line_id', 'tax_type', 'rate_percent', 'taxable_amount', 'tax_amount', 'country'],
  example: {
    tax_line_id: 'tax_001',
    tax_type: 'GST',
    rate_percent: '18',
    taxable_amount: { amount_minor: 100_000, currency: 'INR' },
    tax_amount: { amount_minor: 18_000, currency: 'INR' },
    direction: 'collected',
    country: 'IN',
    region: 'MH',
    order_id: 'ORD-1001',
  },
});
export type TaxLineRecordedV1 = z.output<typeof taxLineRecordedV1.data>;
