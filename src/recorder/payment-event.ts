import { randomUUID } from 'node:crypto';
import { formatMinorUnits } from '../core/money.js';
import type { RecordedPayment } from './payment.js';

/**
 * The CloudEvents 1.0 envelope every fact travels in. `data` of `payment.recorded` carries the
 * seed's PaymentRecordedEvent fields; amounts are exact (integer minor units, plus the major-unit
 * amount as a decimal string, never a float).
 */
export interface CloudEvent<T = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  subject?: string;
  datacontenttype: 'application/json';
  dataschema?: string;
  data: T;
}

export interface PaymentRecordedData {
  event_id: string;
  event_type: 'payment.recorded';
  timestamp: string;
  payment: {
    id: string;
    reference_number: string;
    loan_account_number: string | null;
    cif: string | null;
    amount: string;
    amount_minor: number;
    currency: string;
    payment_date: string;
    payment_channel: string | null;
    source: RecordedPayment['source'];
    status: RecordedPayment['status'];
    gateway: string | null;
    payment_method: string | null;
    merchant_id: string | null;
    order_id: string | null;
    customer_id: string | null;
    region: string | null;
    country: string | null;
    fee_minor: number | null;
    tax_minor: number | null;
    gateway_txn_id: string | null;
    failure_reason: string | null;
    metadata: Record<string, unknown>;
  };
}

export const EVENT_SOURCE = '/payscope/recorder';

export function paymentRecordedEvent(p: RecordedPayment, now = new Date()): CloudEvent<PaymentRecordedData> {
  const id = randomUUID();
  const time = now.toISOString();
  return {
    specversion: '1.0',
    id,
    source: EVENT_SOURCE,
    type: 'payment.recorded',
    time,
    subject: p.id,
    datacontenttype: 'application/json',
    dataschema: 'payscope:schemas/payment.recorded/v1',
    data: {
      event_id: id,
      event_type: 'payment.recorded',
      timestamp: time,
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
        metadata: p.metadata ?? {},
      },
    },
  };
}
