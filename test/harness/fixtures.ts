/** Small builders for test data. */
import type { CanonicalPayment } from '../../src/recorder/payment.js';

/** A valid canonical payment with the given reference. */
export function payment(reference: string, overrides: Partial<CanonicalPayment> = {}): CanonicalPayment {
  const date = overrides.payment_date ?? new Date('2026-11-20T10:00:00Z');
  return {
    reference_number: reference,
    loan_account_number: 'LA-0001',
    cif: 'CIF-1',
    amount_minor: 12_345,
    currency: 'INR',
    payment_date: date,
    payment_channel: 'upi',
    source: 'webhook',
    status: 'succeeded',
    gateway: null,
    payment_method: null,
    merchant_id: null,
    order_id: null,
    customer_id: null,
    region: null,
    country: null,
    fee_minor: null,
    tax_minor: null,
    gateway_txn_id: null,
    failure_reason: null,
    failure_code: null,
    failure_category: null,
    metadata: null,
    status_time: date,
    gateway_event_id: null,
    ...overrides,
  };
}
