import { type PaymentStatus, STATUS_RANK } from '../../contracts/payment-lifecycle.js';
import type { DisputeRow, OrderRow, PaymentPatch, PaymentRow, SettlementRow } from './fact.js';

/**
 * How a keyed row merges with what is stored. Merging is by version — the ledger's version for
 * the ledger's payment events, else the event time, then the status rank on a tie — so late,
 * out-of-order and repeated events converge to the same row whatever order they arrive in, and a
 * state never moves back.
 */

const DISPUTE_STATUS_RANK: Readonly<Record<string, number>> = {
  needs_response: 0,
  under_review: 1,
  accepted: 2,
  withdrawn: 2,
  lost: 3,
  won: 3,
};
const SETTLEMENT_STATUS_RANK: Readonly<Record<string, number>> = { PENDING: 0, RECONCILED: 1, SETTLED: 2 };
const ORDER_STATUS_RANK: Readonly<Record<string, number>> = { placed: 0, completed: 1, cancelled: 1 };

/** True when (time, rank) of `b` is newer than that of `a`. */
function newer(aTime: Date | null, aRank: number, bTime: Date | null, bRank: number): boolean {
  const at = aTime?.getTime() ?? Number.NEGATIVE_INFINITY;
  const bt = bTime?.getTime() ?? Number.NEGATIVE_INFINITY;
  return bt > at || (bt === at && bRank > aRank);
}

const rank = (table: Readonly<Record<string, number>>, status: string | null) => (status === null ? -1 : (table[status] ?? -1));

/** Keeps `current`'s value unless it is null. */
function fill<R extends Record<string, unknown>>(current: R, incoming: R): R {
  const out = { ...current };
  for (const [k, v] of Object.entries(incoming)) {
    if (out[k] === null && v !== null) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** The fields that describe the payment's state: who wins them wins them all. */
const STATE_FIELDS = [
  'status',
  'status_time',
  'failure_code',
  'failure_reason',
  'failure_category',
  'authorized_minor',
  'captured_minor',
  'refunded_minor',
  'disputed_minor',
] as const;
/** The ledger's state also owns the fee and tax (payment.status_changed carries them). */
const LEDGER_STATE_FIELDS = [...STATE_FIELDS, 'fee_minor', 'tax_minor'] as const;

const statusRank = (status: string | null) => (status === null ? -1 : (STATUS_RANK[status as PaymentStatus] ?? -1));
const copy = (to: PaymentRow, from: PaymentRow, fields: readonly (keyof PaymentRow)[]) => {
  for (const f of fields) (to as Record<string, unknown>)[f] = from[f];
};

/**
 * Merges a payment patch into the stored row (null when none). The ledger's copy
 * (payment.recorded) owns the descriptive fields. The state (status, amounts, failure) is the
 * ledger's newest version once the ledger changed the payment (version ≥ 2); before that, the
 * newest status by (event time, rank) wins, amounts it lacks kept from the other side. Nothing
 * known is lost. The ledger's events converge whatever order they arrive in (the highest version
 * is the ledger's final state); so do events-API statuses, as far as their status goes.
 */
export function mergePayment(current: PaymentRow | null, patch: PaymentPatch): PaymentRow {
  const incoming = patch.row;
  if (current === null) return { ...incoming };
  let next: PaymentRow;
  if (patch.source === 'recorded') {
    // The ledger's fields, with anything it lacks kept from what the status events told us.
    next = fill({ ...incoming, settlement_batch_id: current.settlement_batch_id, settlement_status: current.settlement_status }, current);
    next.payment_time = incoming.payment_time;
    next.recorded_at = incoming.recorded_at;
    next.in_ledger = true;
  } else {
    next = fill({ ...current }, incoming);
  }
  const currentVersion = current.ledger_version ?? 0;
  const incomingVersion = incoming.ledger_version ?? 0;
  if (patch.source === 'ledger_change' || currentVersion >= 2) {
    // The ledger changed the payment: its newest version is the state, whatever else arrives.
    const winner = patch.source === 'ledger_change' && incomingVersion > currentVersion ? incoming : current;
    copy(next, winner, LEDGER_STATE_FIELDS);
  } else {
    const incomingNewer = newer(current.status_time, statusRank(current.status), incoming.status_time, statusRank(incoming.status));
    const [winner, other] = incomingNewer ? [incoming, current] : [current, incoming];
    copy(next, winner, STATE_FIELDS);
    for (const f of ['authorized_minor', 'captured_minor', 'refunded_minor', 'disputed_minor'] as const) next[f] ??= other[f];
    if (patch.source === 'status') {
      // Fee and tax arrive with the capture/success; the newest non-null one counts.
      if (incoming.fee_minor !== null) next.fee_minor = incoming.fee_minor;
      if (incoming.tax_minor !== null) next.tax_minor = incoming.tax_minor;
    }
  }
  next.ledger_version = Math.max(currentVersion, incomingVersion) || null;
  next.updated_at = incoming.updated_at;
  return next;
}

/** Merges a keyed row carrying a status (disputes, settlements, orders) by version. */
function mergeVersioned<R extends { status: string | null; status_time: Date | null }>(
  ranks: Readonly<Record<string, number>>,
  firstSeen: readonly (keyof R)[],
  current: R | null,
  incoming: R,
): R {
  if (current === null) return { ...incoming };
  const incomingNewer = newer(current.status_time, rank(ranks, current.status), incoming.status_time, rank(ranks, incoming.status));
  const next = incomingNewer ? fill({ ...incoming }, current) : fill({ ...current }, incoming);
  // Times of lifecycle steps keep the earliest value seen, whichever event came first.
  for (const f of firstSeen) {
    const a = current[f] as Date | null;
    const b = incoming[f] as Date | null;
    (next as Record<keyof R, unknown>)[f] = a === null ? b : b === null ? a : a.getTime() <= b.getTime() ? a : b;
  }
  return next;
}

export const mergeDispute = (current: DisputeRow | null, incoming: DisputeRow) =>
  mergeVersioned(DISPUTE_STATUS_RANK, ['opened_at'], current, incoming);
export const mergeSettlement = (current: SettlementRow | null, incoming: SettlementRow) =>
  mergeVersioned(SETTLEMENT_STATUS_RANK, ['created_at'], current, incoming);
export const mergeOrder = (current: OrderRow | null, incoming: OrderRow) =>
  mergeVersioned(ORDER_STATUS_RANK, ['placed_at', 'completed_at', 'cancelled_at'], current, incoming);

/** Rows that do not change once written (refunds, escrow, tax lines): the newest event's copy wins. */
export function mergeLatest<R>(current: R | null, incoming: R, timeOf: (r: R) => Date | null): R {
  if (current === null) return incoming;
  const a = timeOf(current)?.getTime() ?? 0;
  const b = timeOf(incoming)?.getTime() ?? 0;
  return b >= a ? incoming : current;
}
