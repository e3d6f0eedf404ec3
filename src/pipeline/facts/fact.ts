import type { ValidEvent } from '../../contracts/index.js';
import type { RowOf } from '../../warehouse/tables.js';

/** What an event asks of the warehouse (`Fact`), and the helpers every family's mapper shares. */

export type PaymentRow = RowOf<'payments'>;
export type DisputeRow = RowOf<'disputes'>;
export type SettlementRow = RowOf<'settlements'>;
export type OrderRow = RowOf<'orders'>;

/** What one event asks of the warehouse. */
export type Fact =
  | { table: 'payments'; key: string; patch: PaymentPatch; history: RowOf<'payment_status_history'> }
  | { table: 'refunds'; key: string; row: RowOf<'refunds'> }
  | { table: 'disputes'; key: string; row: DisputeRow }
  | { table: 'settlements'; key: string; row: SettlementRow; references: readonly string[] }
  | { table: 'orders'; key: string; row: OrderRow }
  | { table: 'escrow_releases'; key: string; row: RowOf<'escrow_releases'> }
  | { table: 'tax_lines'; key: string; row: RowOf<'tax_lines'> }
  | { table: 'behaviour_events'; row: RowOf<'behaviour_events'> }
  | { table: 'experiment_exposures'; row: RowOf<'experiment_exposures'> };

/**
 * A payment event's contribution, by where it comes from:
 * - `recorded`: payment.recorded, the ledger's copy (ledger version 1): sets every descriptive field;
 * - `ledger_change`: payment.status_changed (version 2, 3…): the ledger's state and amounts after a
 *   change; the highest version is the ledger's current state and wins over everything else;
 * - `status`: payment.succeeded / failed / captured from the events API: fills what is unknown;
 *   its status applies when its (event time, rank) is newer than the stored one — unless the
 *   ledger already changed the payment, whose state then governs.
 */
export interface PaymentPatch {
  source: 'recorded' | 'ledger_change' | 'status';
  row: PaymentRow;
}

/** The event of one type (or of a few types that map alike). */
export type EventOf<T extends ValidEvent['type']> = Extract<ValidEvent, { type: T }>;

/**
 * Maps one event of type `T` to its facts: `at` is the event's time, `now` stamps the rows that
 * record when they were written. Pure.
 */
export type FactMapper<T extends ValidEvent['type']> = (event: EventOf<T>, at: Date, now: Date) => Fact[];

export const time = (iso: string) => new Date(iso);
export const dateOnly = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : null);
export const orNull = <T>(v: T | null | undefined): T | null => (v === undefined ? null : v);

type HistoryBase = Omit<RowOf<'payment_status_history'>, 'from_status' | 'to_status' | 'applied' | 'version'>;

export function historyOf(event: ValidEvent, row: PaymentRow): HistoryBase {
  return {
    event_id: event.id,
    reference_number: row.reference_number,
    event_type: event.type,
    status: row.status,
    event_time: row.status_time,
    amount_minor: row.amount_minor,
    currency: row.currency,
    failure_code: row.failure_code,
    failure_reason: row.failure_reason,
    failure_category: row.failure_category,
  };
}
