import { divideHalfEven, ratio } from './decimal.js';

/**
 * The sums read from the rollups for one cell (a bucket, a dimension value, a currency) and the
 * KPIs derived from them. Definitions are documented in docs/analytics-api.md#kpi-object-kpis.
 */
export interface Totals {
  payment_count: number;
  successful_count: number;
  failed_count: number;
  /** Payments that reached authorized or a later state (an authorised or captured amount is known). */
  authorized_count: number;
  /** The captured amount of collected payments. */
  gmv_minor: number;
  fee_minor: number;
  /** What the ledger refunded of these payments so far (whenever refunded). */
  refunded_minor: number;
  /** Null where refunds cannot be attributed (a breakdown by method, region or status). */
  refund_count: number | null;
  refund_amount_minor: number | null;
  dispute_count: number | null;
  dispute_amount_minor: number | null;
}

export interface Kpis {
  currency: string;
  gmv_minor: number;
  payment_count: number;
  successful_count: number;
  failed_count: number;
  pending_count: number;
  aov_minor: number | null;
  success_rate: number | null;
  failure_rate: number | null;
  authorized_count: number;
  authorization_rate: number | null;
  capture_rate: number | null;
  fee_minor: number;
  refund_count: number | null;
  refund_amount_minor: number | null;
  refund_rate: number | null;
  refunded_minor: number;
  refund_rate_by_amount: number | null;
  dispute_count: number | null;
  dispute_amount_minor: number | null;
  dispute_rate: number | null;
  net_revenue_minor: number;
}

export const emptyTotals = (attributable = true): Totals => ({
  payment_count: 0,
  successful_count: 0,
  failed_count: 0,
  authorized_count: 0,
  gmv_minor: 0,
  fee_minor: 0,
  refunded_minor: 0,
  refund_count: attributable ? 0 : null,
  refund_amount_minor: attributable ? 0 : null,
  dispute_count: attributable ? 0 : null,
  dispute_amount_minor: attributable ? 0 : null,
});

const addNullable = (a: number | null, b: number | null) => (a === null || b === null ? (a ?? b) : a + b);

export function addTotals(a: Totals, b: Totals): Totals {
  return {
    payment_count: a.payment_count + b.payment_count,
    successful_count: a.successful_count + b.successful_count,
    failed_count: a.failed_count + b.failed_count,
    authorized_count: a.authorized_count + b.authorized_count,
    gmv_minor: a.gmv_minor + b.gmv_minor,
    fee_minor: a.fee_minor + b.fee_minor,
    refunded_minor: a.refunded_minor + b.refunded_minor,
    refund_count: addNullable(a.refund_count, b.refund_count),
    refund_amount_minor: addNullable(a.refund_amount_minor, b.refund_amount_minor),
    dispute_count: addNullable(a.dispute_count, b.dispute_count),
    dispute_amount_minor: addNullable(a.dispute_amount_minor, b.dispute_amount_minor),
  };
}

/** The KPIs of one currency's totals. */
export function kpisOf(currency: string, t: Totals): Kpis {
  const outcomes = t.successful_count + t.failed_count;
  return {
    currency,
    gmv_minor: t.gmv_minor,
    payment_count: t.payment_count,
    successful_count: t.successful_count,
    failed_count: t.failed_count,
    pending_count: t.payment_count - outcomes,
    aov_minor: t.successful_count === 0 ? null : Number(divideHalfEven(BigInt(t.gmv_minor), BigInt(t.successful_count))),
    success_rate: ratio(t.successful_count, outcomes),
    failure_rate: ratio(t.failed_count, outcomes),
    authorized_count: t.authorized_count,
    authorization_rate: ratio(t.authorized_count, t.payment_count),
    capture_rate: ratio(t.successful_count, t.authorized_count),
    fee_minor: t.fee_minor,
    refund_count: t.refund_count,
    refund_amount_minor: t.refund_amount_minor,
    refund_rate: t.refund_amount_minor === null ? null : ratio(t.refund_amount_minor, t.gmv_minor),
    refunded_minor: t.refunded_minor,
    refund_rate_by_amount: ratio(t.refunded_minor, t.gmv_minor),
    dispute_count: t.dispute_count,
    dispute_amount_minor: t.dispute_amount_minor,
    dispute_rate: t.dispute_count === null ? null : ratio(t.dispute_count, t.successful_count),
    net_revenue_minor: t.gmv_minor - (t.refund_amount_minor ?? 0) - t.fee_minor,
  };
}
