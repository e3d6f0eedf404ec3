import { randomUUID } from 'node:crypto';
import { formatMinorUnits } from '../core/money.js';
import {
  type CloudEvent,
  type PaymentDisputeUpdatedV1,
  type PaymentRecordedV1,
  type PaymentRefundedV1,
  type PaymentStatusChangedV1,
  dataschemaOf,
  paymentDisputeOpenedV1,
  paymentDisputeUpdatedV1,
  paymentRecordedV1,
  paymentRefundedV1,
  paymentStatusChangedV1,
} from '../contracts/index.js';
import type { LedgerDelivery } from './ledger-delivery.js';
import type { HistoryRow, LedgerRow } from './ledger-rows.js';
import type { RecordedPayment } from './payment.js';

/**
 * The CloudEvents 1.0 envelope every fact travels in. `data` of `payment.recorded` carries the
 * seed's PaymentRecordedEvent fields; amounts are exact (integer minor units, plus the major-unit
 * amount as a decimal string, never a float).
 */
/** The data of `payment.recorded` v1, as the data contract defines it. */
export type PaymentRecordedData = PaymentRecordedV1;

export const EVENT_SOURCE = '/payscope/recorder';

export function paymentRecordedEvent(p: RecordedPayment, now = new Date()): CloudEvent<PaymentRecordedV1, 'payment.recorded'> {
  const id = randomUUID();
  return envelope(id, paymentRecordedV1.type, paymentRecordedV1.version, now, p.id, {
    event_id: id,
    event_type: paymentRecordedV1.type,
    timestamp: now.toISOString(),
    payment: {
      id: p.id,
      reference_number: p.reference_number,
      loan_account_number: p.loan_account_number,
      cif: p.cif,
      amount: formatMinorUnits(BigInt(p.amount_minor), p.currency),
      amount_minor: p.amount_minor,
      currency: p.currency,
      payment_date: p.payment_date.toISOString(),
      payment_channel: p.payment_channel,
      source: p.source,
      status: p.status,
      gateway: p.gateway,
      payment_method: p.payment_method,
      merchant_id: p.merchant_id,
      order_id: p.order_id,
      customer_id: p.customer_id,
      region: p.region,
      country: p.country,
      fee_minor: p.fee_minor,
      tax_minor: p.tax_minor,
      gateway_txn_id: p.gateway_txn_id,
      failure_reason: p.failure_reason,
      failure_code: p.failure_code,
      failure_category: p.failure_category,
      metadata: p.metadata ?? {},
    },
  });
}

/** Every event the ledger writes to the outbox. */
export type LedgerEvent = CloudEvent<unknown, string>;

/**
 * `payment.status_changed` for one later delivery: the ledger's state before and after it. The
 * envelope's time is the recording time; `data.event_time` is the gateway's.
 */
export function paymentStatusChangedEvent(row: LedgerRow, entry: HistoryRow, delivery: LedgerDelivery, now = new Date()): LedgerEvent {
  const id = randomUUID();
  const data: PaymentStatusChangedV1 = {
    payment_id: row.id,
    reference_number: row.reference_number,
    version: row.version,
    change: entry.change === 'recorded' ? 'status' : entry.change,
    reported_status: entry.reported_status,
    from_status: entry.from_status ?? entry.to_status,
    to_status: entry.to_status,
    applied: entry.applied,
    amount: { amount_minor: entry.amount_minor, currency: entry.currency },
    amounts: {
      authorized_minor: row.authorized_minor,
      captured_minor: row.captured_minor,
      refunded_minor: row.refunded_minor,
      disputed_minor: row.disputed_minor,
      fee_minor: row.fee_minor,
      tax_minor: row.tax_minor,
    },
    status_time: row.status_time.toISOString(),
    event_time: entry.event_time.toISOString(),
    gateway_event_id: entry.gateway_event_id,
    refund_id: entry.refund_id,
    dispute_id: entry.dispute_id,
    source: entry.source as PaymentStatusChangedV1['source'],
    gateway: row.gateway,
    failure_code: delivery.kind === 'payment' ? delivery.payment.failure_code : null,
    failure_reason: delivery.kind === 'payment' ? delivery.payment.failure_reason : null,
    failure_category: delivery.kind === 'payment' ? delivery.payment.failure_category : null,
  };
  return envelope(id, 'payment.status_changed', paymentStatusChangedV1.version, now, row.id, data);
}

/**
 * The analytics' own event for a refund (`payment.refunded`) or a dispute step
 * (`payment.dispute_opened` the first time a dispute id is seen, `payment.dispute_updated` after),
 * timed at the gateway's event time. Null for a status delivery.
 */
export function refundOrDisputeEvent(row: LedgerRow, delivery: LedgerDelivery, history: readonly HistoryRow[]): LedgerEvent | null {
  const id = randomUUID();
  if (delivery.kind === 'refund') {
    const r = delivery.refund;
    const data: PaymentRefundedV1 = {
      refund_id: r.refund_id,
      reference_number: row.reference_number,
      payment_id: row.id,
      amount: { amount_minor: r.amount_minor, currency: r.currency },
      reason: r.reason,
      gateway: r.gateway ?? row.gateway,
      gateway_refund_id: r.refund_id,
      merchant_id: row.merchant_id,
      order_id: row.order_id,
      customer_id: row.customer_id,
    };
    return envelope(id, 'payment.refunded', paymentRefundedV1.version, r.event_time, row.reference_number, data);
  }
  if (delivery.kind === 'dispute') {
    const x = delivery.dispute;
    const earlier = history.filter((h) => h.dispute_id === x.dispute_id && h.dispute_status !== x.dispute_status);
    const previous = earlier.sort((a, b) => a.event_time.getTime() - b.event_time.getTime()).at(-1)?.dispute_status ?? null;
    const data = {
      dispute_id: x.dispute_id,
      reference_number: row.reference_number,
      payment_id: row.id,
      amount: { amount_minor: x.amount_minor, currency: x.currency },
      reason: x.reason,
      status: x.dispute_status,
      evidence_due_by: x.evidence_due_by?.toISOString() ?? null,
      gateway: x.gateway ?? row.gateway,
      gateway_dispute_id: x.dispute_id,
      merchant_id: row.merchant_id,
      order_id: row.order_id,
      customer_id: row.customer_id,
    };
    return earlier.length === 0
      ? envelope(id, 'payment.dispute_opened', paymentDisputeOpenedV1.version, x.event_time, row.reference_number, data)
      : envelope(id, 'payment.dispute_updated', paymentDisputeUpdatedV1.version, x.event_time, row.reference_number, {
          ...data,
          previous_status: previous as PaymentDisputeUpdatedV1['previous_status'],
        });
  }
  return null;
}

/** The CloudEvents envelope of every event the recorder writes. */
function envelope<D, T extends string>(id: string, type: T, version: number, time: Date, subject: string, data: D): CloudEvent<D, T> {
  return {
    specversion: '1.0',
    id,
    source: EVENT_SOURCE,
    type,
    time: time.toISOString(),
    subject,
    datacontenttype: 'application/json',
    dataschema: dataschemaOf(type, version),
    data,
  };
}
