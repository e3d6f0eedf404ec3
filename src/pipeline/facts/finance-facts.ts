import { type EventOf, type Fact, dateOnly, orNull } from './fact.js';

/** Facts of settlement.*, escrow.released and tax.line_recorded events. */

/** settlement.batch_created / settlement.completed: the batch at its status, with the payments it settles. */
export function settlementFacts(event: EventOf<'settlement.batch_created' | 'settlement.completed'>, at: Date): Fact[] {
  const d = event.data;
  return [
    {
      table: 'settlements',
      key: d.batch_id,
      references: d.payment_references ?? [],
      row: {
        batch_id: d.batch_id,
        merchant_id: d.merchant_id,
        merchant_name: null,
        gateway: orNull(d.gateway),
        settlement_cycle: orNull(d.settlement_cycle),
        currency: d.gross_amount.currency,
        gross_minor: d.gross_amount.amount_minor,
        fee_minor: d.fee_amount.amount_minor,
        tax_minor: orNull(d.tax_amount?.amount_minor),
        refund_minor: orNull(d.refund_amount?.amount_minor),
        net_minor: d.net_amount.amount_minor,
        payment_count: d.payment_count,
        status: d.status,
        created_at: event.type === 'settlement.batch_created' ? at : null,
        expected_settlement_date: 'expected_settlement_date' in d ? dateOnly(d.expected_settlement_date) : null,
        settlement_date: 'settlement_date' in d ? d.settlement_date : null,
        bank_reference: 'bank_reference' in d ? orNull(d.bank_reference) : null,
        status_time: at,
      },
    },
  ];
}

/** escrow.released: one release row. */
export function escrowFacts(event: EventOf<'escrow.released'>, at: Date): Fact[] {
  const d = event.data;
  return [
    {
      table: 'escrow_releases',
      key: d.escrow_id,
      row: {
        escrow_id: d.escrow_id,
        order_id: d.order_id,
        seller_id: d.seller_id,
        currency: d.amount.currency,
        amount_minor: d.amount.amount_minor,
        commission_minor: orNull(d.commission?.amount_minor),
        reference_number: orNull(d.reference_number),
        release_reason: orNull(d.release_reason),
        customer_hash: orNull(d.customer_id),
        released_at: at,
      },
    },
  ];
}

/** tax.line_recorded: one tax line. */
export function taxLineFacts(event: EventOf<'tax.line_recorded'>, at: Date): Fact[] {
  const d = event.data;
  return [
    {
      table: 'tax_lines',
      key: d.tax_line_id,
      row: {
        tax_line_id: d.tax_line_id,
        tax_type: d.tax_type,
        rate_percent: d.rate_percent,
        currency: d.tax_amount.currency,
        taxable_minor: d.taxable_amount.amount_minor,
        tax_minor: d.tax_amount.amount_minor,
        direction: d.direction,
        country: d.country,
        region: orNull(d.region),
        order_id: orNull(d.order_id),
        reference_number: orNull(d.reference_number),
        refund_id: orNull(d.refund_id),
        merchant_id: orNull(d.merchant_id),
        seller_id: orNull(d.seller_id),
        invoice_number: orNull(d.invoice_number),
        tax_category: orNull(d.tax_category),
        recorded_at: at,
      },
    },
  ];
}
