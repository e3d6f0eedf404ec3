import { isCollected } from '../../contracts/payment-lifecycle.js';
import { type RollupDelta, type RowOf, UNKNOWN } from '../../warehouse/tables.js';
import type { DisputeRow, PaymentRow } from './fact.js';

/** What a row adds to the rollups: subtract the old row's contribution, add the new row's. */

const dim = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? UNKNOWN : v);

/** What a payment row adds to the payments rollup; subtract the old row's, add the new row's. */
export function paymentContribution(row: PaymentRow, sign: 1 | -1): RollupDelta<'payments'> {
  const collected = row.status !== null && isCollected(row.status);
  return {
    rollup: 'payments',
    time: row.payment_time as Date,
    dimensions: {
      merchant_id: dim(row.merchant_id),
      gateway: dim(row.gateway),
      payment_method: dim(row.payment_method),
      region: dim(row.region),
      currency: dim(row.currency),
      status: dim(row.status),
      failure_code: row.status === 'failed' ? dim(row.failure_code ?? row.failure_reason?.slice(0, 100)) : '',
      failure_category: row.status === 'failed' ? dim(row.failure_category) : '',
    },
    measures: {
      payments: sign,
      amount_minor: sign * (row.amount_minor ?? 0),
      fee_minor: sign * (row.fee_minor ?? 0),
      tax_minor: sign * (row.tax_minor ?? 0),
      // A capture without a known authorised amount (an events-API success) was authorised too.
      authorized_payments: (row.authorized_minor ?? row.captured_minor) === null ? 0 : sign,
      captured_minor: collected ? sign * capturedAmountOf(row) : 0,
      refunded_minor: sign * (row.refunded_minor ?? 0),
    },
  };
}

/**
 * What GMV counts for a collected payment: its captured amount (a partial capture counts what was
 * captured); a row written before captured amounts were kept counts its amount.
 */
export const capturedAmountOf = (row: Pick<PaymentRow, 'captured_minor' | 'amount_minor'>) => row.captured_minor ?? row.amount_minor ?? 0;

export function refundContribution(row: RowOf<'refunds'>, sign: 1 | -1): RollupDelta<'refunds'> {
  return {
    rollup: 'refunds',
    time: row.refunded_at as Date,
    dimensions: { merchant_id: dim(row.merchant_id), gateway: dim(row.gateway), currency: dim(row.currency), reason: dim(row.reason) },
    measures: { refunds: sign, amount_minor: sign * (row.amount_minor ?? 0) },
  };
}

/** A dispute is counted at its opening time (or first status, when the opening event is late). */
export function disputeContribution(row: DisputeRow, sign: 1 | -1): RollupDelta<'disputes'> {
  return {
    rollup: 'disputes',
    time: (row.opened_at ?? row.status_time) as Date,
    dimensions: {
      merchant_id: dim(row.merchant_id),
      gateway: dim(row.gateway),
      currency: dim(row.currency),
      reason: dim(row.reason),
      status: dim(row.status),
    },
    measures: { disputes: sign, amount_minor: sign * (row.amount_minor ?? 0) },
  };
}
