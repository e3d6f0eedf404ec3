import type { PaymentStatus } from '../contracts/index.js';

/** A payment's ledger row as the recorder reads and writes it (payment_service.payments). */
export interface LedgerRow {
  id: string;
  reference_number: string;
  payment_date: Date;
  amount_minor: number;
  currency: string;
  status: PaymentStatus;
  status_time: Date;
  authorized_minor: number | null;
  captured_minor: number | null;
  refunded_minor: number;
  disputed_minor: number;
  fee_minor: number | null;
  tax_minor: number | null;
  failure_reason: string | null;
  failure_code: string | null;
  failure_category: string | null;
  gateway: string | null;
  merchant_id: string | null;
  order_id: string | null;
  customer_id: string | null;
  version: number;
  /** Set when the recorder changes the row. */
  updated_at?: Date;
}

/** One row of payment_service.payment_status_history (migration 0008). */
export interface HistoryRow {
  payment_id: string;
  reference_number: string;
  version: number;
  change: 'recorded' | 'status' | 'refund' | 'dispute';
  dedup_key: string;
  reported_status: PaymentStatus;
  from_status: PaymentStatus | null;
  to_status: PaymentStatus;
  applied: boolean;
  amount_minor: number;
  currency: string;
  event_time: Date;
  gateway_event_id: string | null;
  refund_id: string | null;
  dispute_id: string | null;
  dispute_status: string | null;
  source: string;
  failure_code: string | null;
  failure_reason: string | null;
}
