/**
 * Rows for cohort and RFM tests, written straight into a warehouse through the port (the same
 * `append`/`replace` the analytics consumer uses), and brute-force references over the same rows.
 */
import type { RowOf } from '../../src/warehouse/tables.js';
import type { Warehouse } from '../../src/warehouse/warehouse-port.js';
import { warehousePayment } from '../harness/warehouse-payments.js';
import { warehouseRow } from '../harness/warehouse-rows.js';

let seq = 0;

export function behaviourEvent(eventType: string, userHash: string | null, time: Date): RowOf<'behaviour_events'> {
  seq++;
  return warehouseRow('behaviour_events', {
    event_id: `ev-${seq}-${Math.random().toString(36).slice(2)}`,
    event_type: eventType,
    event_time: time,
    session_hash: `s-${seq}`,
    user_hash: userHash,
  });
}

export interface TestPurchase {
  customer: string;
  time: number;
  status: string;
  currency: string;
  amount: number;
  captured: number | null;
}

export function paymentRow(p: TestPurchase): RowOf<'payments'> {
  seq++;
  return warehousePayment(`R-${seq}-${Math.random().toString(36).slice(2)}`, {
    customer_hash: p.customer,
    payment_time: new Date(p.time),
    status: p.status,
    currency: p.currency,
    amount_minor: p.amount,
    captured_minor: p.captured,
  });
}

export async function writeRows(
  warehouse: Warehouse,
  rows: { events?: RowOf<'behaviour_events'>[]; payments?: RowOf<'payments'>[] },
): Promise<void> {
  await warehouse.transaction(async (tx) => {
    if (rows.events && rows.events.length > 0) await tx.append('behaviour_events', rows.events);
    if (rows.payments && rows.payments.length > 0) await tx.replace('payments', rows.payments);
  });
}
