import { randomUUID } from 'node:crypto';
import { formatMinorUnits } from '../core/money.js';
import { type CloudEvent, type PaymentRecordedV1, dataschemaOf, paymentRecordedV1 } from '../contracts/index.js';
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
  const time = now.toISOString();
  return {
    specversion: '1.0',
    id,
    source: EVENT_SOURCE,
    type: 'payment.recorded',
    time,
    subject: p.id,
    datacontenttype: 'application/json',
    dataschema: dataschemaOf(paymentRecordedV1.type, paymentRecordedV1.version),
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
        failure_code: p.failure_code,
        failure_category: p.failure_category,
        metadata: p.metadata ?? {},
      },
    },
  };
}
