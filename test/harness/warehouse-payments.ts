/**
 * Payments written straight into the test app's warehouse through the Warehouse port (the real
 * DuckDB, the same `replace` the analytics consumer uses): for tests that need many payments with
 * chosen times — ties included — faster than sending each through the pipeline.
 */
import type { RowOf } from '../../src/warehouse/tables.js';
import type { Warehouse } from '../../src/warehouse/warehouse-port.js';

export function warehousePayment(reference: string, overrides: Partial<RowOf<'payments'>> = {}): RowOf<'payments'> {
  const time = overrides.payment_time ?? new Date('2026-11-10T10:00:00Z');
  return {
    reference_number: reference,
    payment_id: `pid-${reference}`,
    amount_minor: 10_000,
    currency: 'INR',
    status: 'succeeded',
    source: 'test',
    gateway: 'razorpay',
    payment_method: 'upi',
    payment_channel: 'UPI',
    merchant_id: 'M-1',
    merchant_name: null,
    settlement_cycle: null,
    region: 'north',
    country: 'IN',
    customer_hash: `hash-customer-${reference}`,
    cif_hash: `hash-cif-${reference}`,
    loan_account_hash: null,
    order_id: `ord-${reference}`,
    fee_minor: 0,
    tax_minor: 0,
    gateway_txn_id: `gw-${reference}`,
    failure_code: null,
    failure_reason: null,
    failure_category: null,
    authorized_minor: null,
    captured_minor: null,
    refunded_minor: 0,
    disputed_minor: 0,
    ledger_version: 1,
    payment_time: time,
    recorded_at: time,
    status_time: time,
    in_ledger: true,
    settlement_batch_id: null,
    settlement_status: null,
    updated_at: time,
    ...overrides,
  };
}

export async function writePayments(warehouse: Warehouse, rows: readonly RowOf<'payments'>[]): Promise<void> {
  await warehouse.transaction((tx) => tx.replace('payments', rows));
}
