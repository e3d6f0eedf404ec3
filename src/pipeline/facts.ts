import type { ValidEvent } from '../contracts/index.js';
import { EMPTY_LIFECYCLE, type PaymentStatus, STATUS_RANK, applyLifecycleEvent, isCollected } from '../contracts/payment-lifecycle.js';
import { type RollupDelta, type RowOf, UNKNOWN } from '../warehouse/tables.js';

/**
 * From events to warehouse rows, as pure functions: what each event type contributes (`factsOf`)
 * and how a keyed row merges with what is stored (`merge*`). Merging is by version — the ledger's
 * version for the ledger's payment events, else the event time, then the status rank on a tie —
 * so late, out-of-order and repeated events converge to the same row whatever order they arrive
 * in, and a state never moves back.
 *
 * The events given here are already pseudonymised: their personal fields hold HMACs.
 */

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

const time = (iso: string) => new Date(iso);
const dateOnly = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : null);
const orNull = <T>(v: T | null | undefined): T | null => (v === undefined ? null : v);

/** The facts of one (valid, pseudonymised) event, stamped with `now` where a row records it. */
export function factsOf(event: ValidEvent, now: Date): Fact[] {
  const at = time(event.time);
  switch (event.type) {
    case 'payment.recorded': {
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
    case 'payment.succeeded':
    case 'payment.failed':
    case 'payment.captured': {
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
    case 'payment.status_changed': {
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
    case 'payment.refunded': {
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
    case 'payment.dispute_opened':
    case 'payment.dispute_updated': {
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
    case 'settlement.batch_created':
    case 'settlement.completed': {
      const d = event.data;
      return [
        {
          table: 'settlements',
          key: d.batch_id,
          references: d.payment_references ?? [],
          row: {
            batch_id: d.batch_id,
            merchant_id: d.merchant_id,
            merchant_name: null,
            gateway: orNull(d.gateway),
            settlement_cycle: orNull(d.settlement_cycle),
            currency: d.gross_amount.currency,
            gross_minor: d.gross_amount.amount_minor,
            fee_minor: d.fee_amount.amount_minor,
            tax_minor: orNull(d.tax_amount?.amount_minor),
            refund_minor: orNull(d.refund_amount?.amount_minor),
            net_minor: d.net_amount.amount_minor,
            payment_count: d.payment_count,
            status: d.status,
            created_at: event.type === 'settlement.batch_created' ? at : null,
            expected_settlement_date: 'expected_settlement_date' in d ? dateOnly(d.expected_settlement_date) : null,
            settlement_date: 'settlement_date' in d ? d.settlement_date : null,
            bank_reference: 'bank_reference' in d ? orNull(d.bank_reference) : null,
            status_time: at,
          },
        },
      ];
    }
    case 'order.placed':
    case 'order.completed':
    case 'order.cancelled': {
      const d = event.data;
      const status = event.type.slice('order.'.length);
      return [
        {
          table: 'orders',
          key: d.order_id,
          row: {
            order_id: d.order_id,
            status,
            customer_hash: orNull(d.customer_id),
            session_hash: orNull(d.session_id),
            merchant_id: orNull(d.merchant_id),
            seller_id: orNull(d.seller_id),
            channel: orNull(d.channel),
            currency: d.total_amount.currency,
            total_minor: d.total_amount.amount_minor,
            subtotal_minor: orNull(d.subtotal_amount?.amount_minor),
            discount_minor: orNull(d.discount_amount?.amount_minor),
            shipping_minor: orNull(d.shipping_amount?.amount_minor),
            tax_minor: orNull(d.tax_amount?.amount_minor),
            item_count: d.items ? d.items.reduce((n, i) => n + i.quantity, 0) : null,
            items: d.items ?? null,
            reference_number: orNull(d.reference_number),
            coupon_code: orNull(d.coupon_code),
            country: orNull(d.country),
            region: orNull(d.region),
            cancel_reason: 'reason' in d ? d.reason : null,
            placed_at: status === 'placed' ? at : null,
            completed_at: status === 'completed' ? at : null,
            cancelled_at: status === 'cancelled' ? at : null,
            status_time: at,
          },
        },
      ];
    }
    case 'escrow.released': {
      const d = event.data;
      return [
        {
          table: 'escrow_releases',
          key: d.escrow_id,
          row: {
            escrow_id: d.escrow_id,
            order_id: d.order_id,
            seller_id: d.seller_id,
            currency: d.amount.currency,
            amount_minor: d.amount.amount_minor,
            commission_minor: orNull(d.commission?.amount_minor),
            reference_number: orNull(d.reference_number),
            release_reason: orNull(d.release_reason),
            customer_hash: orNull(d.customer_id),
            released_at: at,
          },
        },
      ];
    }
    case 'tax.line_recorded': {
      const d = event.data;
      return [
        {
          table: 'tax_lines',
          key: d.tax_line_id,
          row: {
            tax_line_id: d.tax_line_id,
            tax_type: d.tax_type,
            rate_percent: d.rate_percent,
            currency: d.tax_amount.currency,
            taxable_minor: d.taxable_amount.amount_minor,
            tax_minor: d.tax_amount.amount_minor,
            direction: d.direction,
            country: d.country,
            region: orNull(d.region),
            order_id: orNull(d.order_id),
            reference_number: orNull(d.reference_number),
            refund_id: orNull(d.refund_id),
            merchant_id: orNull(d.merchant_id),
            seller_id: orNull(d.seller_id),
            invoice_number: orNull(d.invoice_number),
            tax_category: orNull(d.tax_category),
            recorded_at: at,
          },
        },
      ];
    }
    case 'experiment.exposure_recorded': {
      const d = event.data;
      return [
        {
          table: 'experiment_exposures',
          row: {
            event_id: event.id,
            event_time: at,
            experiment_id: d.experiment_id,
            variant: d.variant,
            unit_type: d.unit_type,
            unit_hash: d.unit_id,
            bucket: orNull(d.bucket),
            session_hash: orNull(d.session_id),
            user_hash: orNull(d.user_id),
            device_type: orNull(d.device?.type),
            country: orNull(d.country),
          },
        },
      ];
    }
    default:
      return [{ table: 'behaviour_events', row: behaviourRow(event, at) }];
  }
}

type BehaviourEvent = Extract<
  ValidEvent,
  {
    type:
      | 'checkout.started'
      | 'checkout.abandoned'
      | 'product.viewed'
      | 'product.added_to_cart'
      | 'search.query'
      | 'search.result_clicked'
      | 'user.registered'
      | 'user.logged_in';
  }
>;

/** Columns every behavioural event shares; the type's other fields go to `properties`. */
function behaviourRow(event: BehaviourEvent, at: Date): RowOf<'behaviour_events'> {
  const {
    session_id,
    user_id,
    anonymous_id,
    device,
    traffic,
    customer_segment,
    country,
    region,
    merchant_id,
    product_id,
    category,
    checkout_id,
    quantity,
    price,
    cart_amount,
    ...properties
  } = event.data as Record<string, unknown> as Partial<Record<string, unknown>> & {
    device?: { type: string; os?: string | null; browser?: string | null } | null;
    traffic?: { source: string; medium?: string | null; campaign?: string | null } | null;
    price?: { amount_minor: number; currency: string } | null;
    cart_amount?: { amount_minor: number; currency: string } | null;
  };
  const amount = cart_amount ?? price ?? null;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    event_id: event.id,
    event_type: event.type,
    event_time: at,
    session_hash: str(session_id),
    user_hash: str(user_id),
    anonymous_hash: str(anonymous_id),
    device_type: device?.type ?? null,
    os: orNull(device?.os),
    browser: orNull(device?.browser),
    traffic_source: traffic?.source ?? null,
    traffic_medium: orNull(traffic?.medium),
    campaign: orNull(traffic?.campaign),
    customer_segment: str(customer_segment),
    country: str(country),
    region: str(region),
    merchant_id: str(merchant_id),
    product_id: str(product_id),
    category: str(category),
    checkout_id: str(checkout_id),
    amount_minor: amount?.amount_minor ?? null,
    currency: amount?.currency ?? null,
    quantity: typeof quantity === 'number' ? quantity : null,
    properties: Object.keys(properties).length > 0 ? properties : null,
  };
}

type HistoryBase = Omit<RowOf<'payment_status_history'>, 'from_status' | 'to_status' | 'applied' | 'version'>;

function historyOf(event: ValidEvent, row: PaymentRow): HistoryBase {
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

// ── merging ───────────────────────────────────────────────────────────────────────────────────────

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

// ── rollup contributions ──────────────────────────────────────────────────────────────────────────

const dim = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? UNKNOWN : v);

/** What a payment row adds to the payments rollup; subtract the old row's, add the new row's. */
export function paymentContribution(row: PaymentRow, sign: 1 | -1): RollupDelta<'payments'> {
  const collected = row.status !== null && isCollected(row.status);
  return {
    rollup: 'payments',
    time: row.payment_time as Date,
    dimensions: {
      merchant_id: dim(row.merchant_id),
      gateway: dim(row.gateway),
      payment_method: dim(row.payment_method),
      region: dim(row.region),
      currency: dim(row.currency),
      status: dim(row.status),
      failure_code: row.status === 'failed' ? dim(row.failure_code ?? row.failure_reason?.slice(0, 100)) : '',
      failure_category: row.status === 'failed' ? dim(row.failure_category) : '',
    },
    measures: {
      payments: sign,
      amount_minor: sign * (row.amount_minor ?? 0),
      fee_minor: sign * (row.fee_minor ?? 0),
      tax_minor: sign * (row.tax_minor ?? 0),
      // A capture without a known authorised amount (an events-API success) was authorised too.
      authorized_payments: (row.authorized_minor ?? row.captured_minor) === null ? 0 : sign,
      captured_minor: collected ? sign * capturedAmountOf(row) : 0,
      refunded_minor: sign * (row.refunded_minor ?? 0),
    },
  };
}

/**
 * What GMV counts for a collected payment: its captured amount (a partial capture counts what was
 * captured); a row written before captured amounts were kept counts its amount.
 */
export const capturedAmountOf = (row: Pick<PaymentRow, 'captured_minor' | 'amount_minor'>) => row.captured_minor ?? row.amount_minor ?? 0;

export function refundContribution(row: RowOf<'refunds'>, sign: 1 | -1): RollupDelta<'refunds'> {
  return {
    rollup: 'refunds',
    time: row.refunded_at as Date,
    dimensions: { merchant_id: dim(row.merchant_id), gateway: dim(row.gateway), currency: dim(row.currency), reason: dim(row.reason) },
    measures: { refunds: sign, amount_minor: sign * (row.amount_minor ?? 0) },
  };
}

/** A dispute is counted at its opening time (or first status, when the opening event is late). */
export function disputeContribution(row: DisputeRow, sign: 1 | -1): RollupDelta<'disputes'> {
  return {
    rollup: 'disputes',
    time: (row.opened_at ?? row.status_time) as Date,
    dimensions: {
      merchant_id: dim(row.merchant_id),
      gateway: dim(row.gateway),
      currency: dim(row.currency),
      reason: dim(row.reason),
      status: dim(row.status),
    },
    measures: { disputes: sign, amount_minor: sign * (row.amount_minor ?? 0) },
  };
}
