import { EMPTY_LIFECYCLE, type PaymentStatus, applyLifecycleEvent } from '../../contracts/payment-lifecycle.js';
import type { RowOf } from '../../warehouse/tables.js';
import { type EventOf, type Fact, type PaymentRow, historyOf, orNull, time } from './fact.js';

/**
 * Facts of payment.* events. A payment event patches the payments row by where it comes from
 * (`PaymentPatch.source`: recorded, ledger_change, status) and is one payment_status_history row;
 * refunds and disputes are rows of their own.
 */

/** payment.recorded, the ledger's copy (version 1): every descriptive field, the amounts its status implies. */
export function recordedPaymentFacts(event: EventOf<'payment.recorded'>, at: Date, now: Date): Fact[] {
  const p = event.data.payment;
  const row: PaymentRow = {
    reference_number: p.reference_number,
    payment_id: p.id,
    amount_minor: p.amount_minor,
    currency: p.currency,
    status: p.status,
    source: p.source,
    gateway: p.gateway,
    payment_method: p.payment_method,
    payment_channel: p.payment_channel,
    merchant_id: p.merchant_id,
    merchant_name: null,
    settlement_cycle: null,
    region: p.region,
    country: p.country,
    customer_hash: p.customer_id,
    cif_hash: p.cif,
    loan_account_hash: p.loan_account_number,
    order_id: p.order_id,
    fee_minor: p.fee_minor,
    tax_minor: p.tax_minor,
    gateway_txn_id: p.gateway_txn_id,
    failure_code: p.failure_code ?? null,
    failure_reason: p.failure_reason,
    failure_category: p.failure_category ?? null,
    ...recordedAmounts(p.status, p.amount_minor, time(p.payment_date)),
    ledger_version: 1,
    payment_time: time(p.payment_date),
    recorded_at: at,
    // The recorded status is the source's view at the payment's own time, on the same clock as
    // the gateways' status events — not Payscope's recording time, which can be days later
    // (a staging backfill) and would hide every earlier-dated status update.
    status_time: time(p.payment_date),
    in_ledger: true,
    settlement_batch_id: null,
    settlement_status: null,
    updated_at: now,
  };
  const history = { ...historyOf(event, row), from_status: null, to_status: p.status, applied: true, version: 1 };
  return [{ table: 'payments', key: p.reference_number, patch: { source: 'recorded', row }, history }];
}

/** payment.succeeded / failed / captured from the events API: a status with what it knows of the payment. */
export function paymentStatusFacts(
  event: EventOf<'payment.succeeded' | 'payment.failed' | 'payment.captured'>,
  at: Date,
  now: Date,
): Fact[] {
  const d = event.data;
  const status = event.type === 'payment.succeeded' ? 'succeeded' : event.type === 'payment.failed' ? 'failed' : 'captured';
  const row: PaymentRow = {
    reference_number: d.reference_number,
    payment_id: orNull(d.payment_id),
    amount_minor: d.amount.amount_minor,
    currency: d.amount.currency,
    status,
    source: null,
    gateway: orNull(d.gateway),
    payment_method: orNull(d.payment_method),
    payment_channel: orNull(d.payment_channel),
    merchant_id: orNull(d.merchant_id),
    merchant_name: null,
    settlement_cycle: null,
    region: orNull(d.region),
    country: orNull(d.country),
    customer_hash: orNull(d.customer_id),
    cif_hash: orNull(d.cif),
    loan_account_hash: orNull(d.loan_account_number),
    order_id: orNull(d.order_id),
    fee_minor: 'fee' in d ? orNull(d.fee?.amount_minor) : null,
    tax_minor: 'tax' in d ? orNull(d.tax?.amount_minor) : null,
    gateway_txn_id: orNull(d.gateway_txn_id),
    failure_code: 'failure_code' in d ? orNull(d.failure_code) : null,
    failure_reason: 'failure_reason' in d ? orNull(d.failure_reason) : null,
    failure_category: 'failure_category' in d ? orNull(d.failure_category) : null,
    // A capture or success carries the captured amount; payment.captured also the authorised one
    // (a success alone leaves it unknown, unless another event of the payment says it).
    authorized_minor: 'authorized_amount' in d ? (d.authorized_amount?.amount_minor ?? d.amount.amount_minor) : null,
    captured_minor: status === 'failed' ? null : d.amount.amount_minor,
    refunded_minor: null,
    disputed_minor: null,
    ledger_version: null,
    payment_time: at,
    recorded_at: null,
    status_time: at,
    in_ledger: false,
    settlement_batch_id: null,
    settlement_status: null,
    updated_at: now,
  };
  const history = { ...historyOf(event, row), from_status: null, to_status: null, applied: null, version: null };
  return [{ table: 'payments', key: d.reference_number, patch: { source: 'status', row }, history }];
}

/** payment.status_changed: the ledger's state and amounts after a change (version 2, 3…). */
export function ledgerChangeFacts(event: EventOf<'payment.status_changed'>, _at: Date, now: Date): Fact[] {
  const d = event.data;
  // The delivery's failure fields describe the payment only when this delivery made it failed.
  const failedHere = d.to_status === 'failed' && d.reported_status === 'failed' && d.applied;
  const row: PaymentRow = {
    reference_number: d.reference_number,
    payment_id: d.payment_id,
    // Until payment.recorded arrives (it owns amount_minor): the ledger's best amount.
    amount_minor: d.amounts.authorized_minor ?? d.amounts.captured_minor ?? d.amount.amount_minor,
    currency: d.amount.currency,
    status: d.to_status,
    source: d.source,
    gateway: orNull(d.gateway),
    payment_method: null,
    payment_channel: null,
    merchant_id: null,
    merchant_name: null,
    settlement_cycle: null,
    region: null,
    country: null,
    customer_hash: null,
    cif_hash: null,
    loan_account_hash: null,
    order_id: null,
    fee_minor: d.amounts.fee_minor,
    tax_minor: d.amounts.tax_minor,
    gateway_txn_id: null,
    failure_code: failedHere ? orNull(d.failure_code) : null,
    failure_reason: failedHere ? orNull(d.failure_reason) : null,
    failure_category: failedHere ? orNull(d.failure_category) : null,
    authorized_minor: d.amounts.authorized_minor,
    captured_minor: d.amounts.captured_minor,
    refunded_minor: d.amounts.refunded_minor,
    disputed_minor: d.amounts.disputed_minor,
    ledger_version: d.version,
    payment_time: time(d.status_time),
    recorded_at: null,
    status_time: time(d.status_time),
    in_ledger: false,
    settlement_batch_id: null,
    settlement_status: null,
    updated_at: now,
  };
  const history: RowOf<'payment_status_history'> = {
    event_id: event.id,
    reference_number: d.reference_number,
    event_type: event.type,
    status: d.reported_status,
    event_time: time(d.event_time),
    amount_minor: d.amount.amount_minor,
    currency: d.amount.currency,
    failure_code: orNull(d.failure_code),
    failure_reason: orNull(d.failure_reason),
    failure_category: orNull(d.failure_category),
    from_status: d.from_status,
    to_status: d.to_status,
    applied: d.applied,
    version: d.version,
  };
  return [{ table: 'payments', key: d.reference_number, patch: { source: 'ledger_change', row }, history }];
}

/** payment.refunded: one refund row. */
export function refundFacts(event: EventOf<'payment.refunded'>, at: Date): Fact[] {
  const d = event.data;
  return [
    {
      table: 'refunds',
      key: d.refund_id,
      row: {
        refund_id: d.refund_id,
        reference_number: d.reference_number,
        payment_id: orNull(d.payment_id),
        amount_minor: d.amount.amount_minor,
        currency: d.amount.currency,
        reason: d.reason,
        gateway: orNull(d.gateway),
        gateway_refund_id: orNull(d.gateway_refund_id),
        merchant_id: orNull(d.merchant_id),
        order_id: orNull(d.order_id),
        customer_hash: orNull(d.customer_id),
        refunded_at: at,
        event_id: event.id,
      },
    },
  ];
}

/** payment.dispute_opened / dispute_updated: the dispute at its status. */
export function disputeFacts(event: EventOf<'payment.dispute_opened' | 'payment.dispute_updated'>, at: Date): Fact[] {
  const d = event.data;
  return [
    {
      table: 'disputes',
      key: d.dispute_id,
      row: {
        dispute_id: d.dispute_id,
        reference_number: d.reference_number,
        payment_id: orNull(d.payment_id),
        amount_minor: d.amount.amount_minor,
        currency: d.amount.currency,
        reason: d.reason,
        status: d.status,
        evidence_due_by: d.evidence_due_by ? time(d.evidence_due_by) : null,
        gateway: orNull(d.gateway),
        merchant_id: orNull(d.merchant_id),
        order_id: orNull(d.order_id),
        customer_hash: orNull(d.customer_id),
        opened_at: event.type === 'payment.dispute_opened' ? at : null,
        status_time: at,
      },
    },
  ];
}

/**
 * The amounts a payment.recorded status implies: the ledger's own fold of that one delivery
 * (authorised when authorized; authorised and captured when collected; the whole amount refunded
 * when first seen refunded), so warehouse and ledger agree on version 1.
 */
export function recordedAmounts(
  status: PaymentStatus,
  amountMinor: number,
  at: Date,
): Pick<PaymentRow, 'authorized_minor' | 'captured_minor' | 'refunded_minor' | 'disputed_minor'> {
  const { state } = applyLifecycleEvent(EMPTY_LIFECYCLE, { kind: 'status', status, amount_minor: amountMinor, event_time: at, key: '' });
  return {
    authorized_minor: state.authorized_minor,
    captured_minor: state.captured_minor,
    refunded_minor: state.refunded_minor,
    disputed_minor: state.disputed_minor,
  };
}
