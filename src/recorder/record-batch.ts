import { randomUUID } from 'node:crypto';
import {
  type LifecycleEvent,
  type LifecycleState,
  type PaymentStatus,
  disputeKey,
  foldLifecycle,
  refundKey,
  statusKey,
  targetOf,
} from '../contracts/index.js';
import { ErrorCode, type Failure, failure } from '../core/errors.js';
import { formatMinorUnits } from '../core/money.js';
import { type NewDeadLetter, writeDeadLetters } from '../store/dead-letter-table.js';
import type { SqlExecutor } from '../store/store-port.js';
import {
  type CanonicalDispute,
  type CanonicalRefund,
  type LedgerDelivery,
  deliveryBody,
  disputeLifecycleStatus,
} from './ledger-delivery.js';
import type { HistoryRow, LedgerRow } from './ledger-rows.js';
import type { CanonicalPayment, RecordedPayment } from './payment.js';
import { type LedgerEvent, paymentRecordedEvent, paymentStatusChangedEvent, refundOrDisputeEvent } from './payment-event.js';

export type RecordOutcome =
  | { status: 'created'; payment_id: string }
  | { status: 'duplicate'; payment_id: string }
  | {
      status: 'transitioned';
      payment_id: string;
      from_status: PaymentStatus;
      to_status: PaymentStatus;
      /** False when the delivery was kept in history but did not move the state (older, or not an allowed move). */
      applied: boolean;
      version: number;
    }
  | { status: 'refused'; payment_id: string | null; failure: Failure };

/** Outcomes a sender is answered with success (2xx). */
export type AcceptedOutcome = Exclude<RecordOutcome, { status: 'refused' }>;

/** The dedup key of a delivery among its payment's deliveries (see payment-lifecycle.ts). */
export function deliveryKey(d: LedgerDelivery): string {
  switch (d.kind) {
    case 'payment':
      return statusKey(d.payment.status, d.payment.amount_minor, d.payment.currency);
    case 'refund':
      return refundKey(d.refund.refund_id);
    case 'dispute':
      return disputeKey(d.dispute.dispute_id, d.dispute.dispute_status);
  }
}

export const referenceOf = (d: LedgerDelivery): string => deliveryBody(d).reference_number;

/**
 * Records deliveries inside the caller's transaction and returns one outcome per input, in input
 * order.
 *
 * A payment whose reference is new is created: its reference (the unique key is the dedup
 * truth), its row, its first history row and its `payment.recorded` event. Within the batch the
 * first payment delivery of a reference creates it. Every other delivery — a later status of a
 * recorded payment, a refund, a dispute step — is applied to the locked ledger row: an exact
 * redelivery (same dedup key in its history) is a duplicate; an amount that contradicts the
 * ledger is refused and kept as a dead letter; anything else is a history row, the re-folded
 * state on the payment row and a `payment.status_changed` event (plus `payment.refunded` /
 * `payment.dispute_*` for refunds and disputes), all in this transaction.
 *
 * References are inserted and payment rows locked in sorted order, so concurrent batches lock
 * keys in the same order and cannot deadlock each other.
 */
export async function recordDeliveriesInTx(
  tx: SqlExecutor,
  deliveries: readonly LedgerDelivery[],
  now = new Date(),
): Promise<RecordOutcome[]> {
  const outcomes: (RecordOutcome | undefined)[] = new Array(deliveries.length);
  const firstIndexOf = new Map<string, number>();
  const candidates: RecordedPayment[] = [];
  for (const [i, d] of deliveries.entries()) {
    if (d.kind === 'payment' && !firstIndexOf.has(d.payment.reference_number)) {
      firstIndexOf.set(d.payment.reference_number, i);
      candidates.push({ ...d.payment, id: randomUUID() });
    }
  }
  candidates.sort((a, b) => compareText(a.reference_number, b.reference_number));

  const won = new Set<string>();
  if (candidates.length > 0) {
    const inserted = await tx.query<{ reference_number: string }>(
      `INSERT INTO payment_service.payment_references (reference_number, payment_id, payment_date)
       SELECT x.r, x.p, x.d FROM json_to_recordset($1::json) AS x(r text, p uuid, d timestamp)
       ON CONFLICT (reference_number) DO NOTHING
       RETURNING reference_number`,
      [JSON.stringify(candidates.map((c) => ({ r: c.reference_number, p: c.id, d: c.payment_date.toISOString() })))],
    );
    for (const r of inserted.rows) won.add(r.reference_number);
  }
  const winners = candidates.filter((c) => won.has(c.reference_number));
  // New payments: their rows and first history rows in one statement; their events go out with
  // the followers' in one outbox insert at the end (fewer statements per group commit).
  const firstRows = winners.map(firstHistoryRow);
  if (winners.length > 0) await insertPaymentsWithHistory(tx, winners, firstRows, now);
  const events: LedgerEvent[] = winners.map((w) => paymentRecordedEvent(w, now));

  const followers: number[] = [];
  const createdId = new Map(winners.map((w) => [w.reference_number, w.id]));
  for (const [i, d] of deliveries.entries()) {
    const id =
      d.kind === 'payment' && firstIndexOf.get(d.payment.reference_number) === i ? createdId.get(d.payment.reference_number) : undefined;
    if (id !== undefined) {
      outcomes[i] = { status: 'created', payment_id: id };
    } else {
      followers.push(i);
    }
  }
  if (followers.length > 0) {
    const followerEvents = await applyFollowers(
      tx,
      followers.map((i) => ({ index: i, delivery: deliveries[i] as LedgerDelivery })),
      new Map(firstRows.map((h) => [h.payment_id, h])),
      outcomes,
      now,
    );
    events.push(...followerEvents);
  }
  if (events.length > 0) await insertOutbox(tx, events);
  return outcomes.map((o, i) => {
    if (o === undefined) throw new Error(`delivery ${i} got no outcome`);
    return o;
  });
}

/** Payments only: the recorder's original entry point, kept for callers that record payments. */
export function recordPaymentsInTx(tx: SqlExecutor, payments: readonly CanonicalPayment[]): Promise<RecordOutcome[]> {
  return recordDeliveriesInTx(
    tx,
    payments.map((payment) => ({ kind: 'payment', payment })),
  );
}

// ── later deliveries ────────────────────────────────────────────────────────────────────────────

function firstHistoryRow(p: RecordedPayment): HistoryRow {
  return {
    payment_id: p.id,
    reference_number: p.reference_number,
    version: 1,
    change: 'recorded',
    dedup_key: deliveryKey({ kind: 'payment', payment: p }),
    reported_status: p.status,
    from_status: null,
    to_status: p.status,
    applied: true,
    amount_minor: p.amount_minor,
    currency: p.currency,
    event_time: p.status_time,
    gateway_event_id: p.gateway_event_id,
    refund_id: null,
    dispute_id: null,
    dispute_status: null,
    source: p.source,
    failure_code: p.failure_code,
    failure_reason: p.failure_reason,
  };
}

/** The fold's view of a history row. */
function lifecycleEventOf(h: Pick<HistoryRow, 'change' | 'reported_status' | 'amount_minor' | 'event_time' | 'dedup_key'>): LifecycleEvent {
  if (h.change === 'refund') return { kind: 'refund', amount_minor: h.amount_minor, event_time: h.event_time, key: h.dedup_key };
  if (h.change === 'dispute') {
    return {
      kind: 'dispute',
      status: h.reported_status as 'disputed' | 'dispute_won' | 'dispute_lost',
      amount_minor: h.amount_minor,
      event_time: h.event_time,
      key: h.dedup_key,
    };
  }
  return { kind: 'status', status: h.reported_status, amount_minor: h.amount_minor, event_time: h.event_time, key: h.dedup_key };
}

interface Follower {
  index: number;
  delivery: LedgerDelivery;
}

async function applyFollowers(
  tx: SqlExecutor,
  followers: readonly Follower[],
  createdNow: ReadonlyMap<string, HistoryRow>,
  outcomes: (RecordOutcome | undefined)[],
  now: Date,
): Promise<LedgerEvent[]> {
  const references = [...new Set(followers.map((f) => referenceOf(f.delivery)))].sort(compareText);
  // Lock the payment rows (in reference order), then read their history in a second statement:
  // under READ COMMITTED a statement that waited for a row lock still reads with the snapshot it
  // started with, so a history read in the locking statement would miss the rows of the
  // transaction it waited for (the property test caught exactly that). The history of a payment
  // created in this transaction is its first row, already in memory.
  const { rows } = await tx.query<LedgerRow>(
    `SELECT p.id, p.reference_number, p.payment_date, p.amount_minor::float8 AS amount_minor, p.currency, p.status,
            COALESCE(p.status_time, p.payment_date) AS status_time,
            p.authorized_minor::float8 AS authorized_minor, p.captured_minor::float8 AS captured_minor,
            p.refunded_minor::float8 AS refunded_minor, p.disputed_minor::float8 AS disputed_minor,
            p.fee_minor::float8 AS fee_minor, p.tax_minor::float8 AS tax_minor, p.failure_reason, p.failure_code, p.failure_category,
            p.gateway, p.merchant_id, p.order_id, p.customer_id, p.version
     FROM payment_service.payment_references r
     JOIN payment_service.payments p ON p.id = r.payment_id AND p.payment_date = r.payment_date
     WHERE r.reference_number = ANY($1::text[])
     ORDER BY r.reference_number
     FOR UPDATE OF p`,
    [references],
  );
  const ledger = new Map<string, LedgerRow>();
  const byId = new Map<string, LedgerRow>();
  const history = new Map<string, HistoryRow[]>();
  const toRead: string[] = [];
  for (const row of rows) {
    const r = { ...row, currency: row.currency.trim() };
    ledger.set(r.reference_number, r);
    byId.set(r.id, r);
    const created = createdNow.get(r.id);
    if (created) history.set(r.id, [created]);
    else {
      history.set(r.id, []);
      toRead.push(r.id);
    }
  }
  if (toRead.length > 0) {
    const past = await tx.query<StoredHistory & { payment_id: string }>(
      `SELECT payment_id, version, change, dedup_key, reported_status, amount_minor::float8 AS amount_minor, event_time,
              dispute_id, dispute_status
       FROM payment_service.payment_status_history WHERE payment_id = ANY($1::uuid[])`,
      [toRead],
    );
    for (const h of past.rows) {
      const row = byId.get(h.payment_id);
      if (row) history.get(h.payment_id)?.push(historyOf(row, h));
    }
  }

  const newHistory: HistoryRow[] = [];
  const events: LedgerEvent[] = [];
  const letters: NewDeadLetter[] = [];
  const changed = new Map<string, LedgerRow>();
  for (const { index, delivery } of followers) {
    const row = ledger.get(referenceOf(delivery));
    if (!row) {
      outcomes[index] = {
        status: 'refused',
        payment_id: null,
        failure: {
          ...failure(
            ErrorCode.PAYMENT_NOT_RECORDED,
            `no payment with reference '${referenceOf(delivery).slice(0, 80)}' is recorded; send the payment first (a gateway's retry succeeds once it is)`,
          ),
          retryable: true,
        },
      };
      continue;
    }
    const past = history.get(row.id) ?? [];
    const key = deliveryKey(delivery);
    if (past.some((h) => h.dedup_key === key)) {
      outcomes[index] = { status: 'duplicate', payment_id: row.id };
      continue;
    }
    const refusal = refusalOf(delivery, row, past);
    if (refusal) {
      outcomes[index] = { status: 'refused', payment_id: row.id, failure: refusal };
      letters.push(deadLetterOf(delivery, row, refusal));
      continue;
    }
    const entry = historyRowOf(delivery, row, key);
    const all = [...past, entry];
    const { state, applied } = foldLifecycle(all.map(lifecycleEventOf));
    const from = row.status;
    applyState(row, state, delivery, applied[all.length - 1] as boolean, now);
    entry.version = row.version;
    entry.from_status = from;
    entry.to_status = row.status;
    entry.applied = applied[all.length - 1] as boolean;
    past.push(entry);
    history.set(row.id, past);
    newHistory.push(entry);
    changed.set(row.id, row);
    events.push(paymentStatusChangedEvent(row, entry, delivery, now));
    const extra = refundOrDisputeEvent(row, delivery, past);
    if (extra) events.push(extra);
    outcomes[index] = {
      status: 'transitioned',
      payment_id: row.id,
      from_status: from,
      to_status: row.status,
      applied: entry.applied,
      version: row.version,
    };
  }
  if (newHistory.length > 0) {
    await insertHistory(tx, newHistory);
    await updatePayments(tx, [...changed.values()]);
  }
  await writeDeadLetters(tx, letters);
  return events;
}

/** The history fields the fold, the dedup check and the refusals read. */
interface StoredHistory {
  version: number;
  change: HistoryRow['change'];
  dedup_key: string;
  reported_status: PaymentStatus;
  amount_minor: number;
  event_time: Date;
  dispute_id: string | null;
  dispute_status: string | null;
}

function historyOf(row: LedgerRow, h: StoredHistory): HistoryRow {
  return {
    payment_id: row.id,
    reference_number: row.reference_number,
    version: h.version,
    change: h.change,
    dedup_key: h.dedup_key,
    reported_status: h.reported_status,
    from_status: null,
    to_status: h.reported_status,
    applied: true,
    amount_minor: Number(h.amount_minor),
    currency: row.currency,
    event_time: h.event_time,
    gateway_event_id: null,
    refund_id: null,
    dispute_id: h.dispute_id,
    dispute_status: h.dispute_status,
    source: 'webhook',
    failure_code: null,
    failure_reason: null,
  };
}

function historyRowOf(d: LedgerDelivery, row: LedgerRow, key: string): HistoryRow {
  const base = {
    payment_id: row.id,
    reference_number: row.reference_number,
    version: 0,
    dedup_key: key,
    from_status: null,
    to_status: row.status,
    applied: false,
    refund_id: null,
    dispute_id: null,
    dispute_status: null,
    failure_code: null,
    failure_reason: null,
  } as const;
  switch (d.kind) {
    case 'payment': {
      const p = d.payment;
      return {
        ...base,
        change: 'status',
        reported_status: p.status,
        amount_minor: p.amount_minor,
        currency: p.currency,
        event_time: p.status_time,
        gateway_event_id: p.gateway_event_id,
        source: p.source,
        failure_code: p.failure_code,
        failure_reason: p.failure_reason,
      };
    }
    case 'refund': {
      const r = d.refund;
      return {
        ...base,
        change: 'refund',
        reported_status: targetOf({ kind: 'refund', amount_minor: r.amount_minor, event_time: r.event_time, key }, row),
        amount_minor: r.amount_minor,
        currency: r.currency,
        event_time: r.event_time,
        gateway_event_id: r.gateway_event_id,
        refund_id: r.refund_id,
        source: r.source,
      };
    }
    case 'dispute': {
      const x = d.dispute;
      return {
        ...base,
        change: 'dispute',
        reported_status: disputeLifecycleStatus(x.dispute_status),
        amount_minor: x.amount_minor,
        currency: x.currency,
        event_time: x.event_time,
        gateway_event_id: x.gateway_event_id,
        dispute_id: x.dispute_id,
        dispute_status: x.dispute_status,
        source: x.source,
      };
    }
  }
}

/** Moves the ledger row to the folded state; descriptive fields the delivery adds fill gaps. */
function applyState(row: LedgerRow, state: LifecycleState, d: LedgerDelivery, applied: boolean, now: Date): void {
  row.status = state.status ?? row.status;
  row.status_time = state.status_time ?? row.status_time;
  row.authorized_minor = state.authorized_minor;
  row.captured_minor = state.captured_minor;
  row.refunded_minor = state.refunded_minor;
  row.disputed_minor = state.disputed_minor;
  row.version += 1;
  row.updated_at = now;
  if (d.kind !== 'payment') return;
  const p = d.payment;
  // Fee and tax arrive with the capture; the newest sent value counts.
  if (p.fee_minor !== null) row.fee_minor = p.fee_minor;
  if (p.tax_minor !== null) row.tax_minor = p.tax_minor;
  if (applied && p.status === 'failed') {
    row.failure_code = p.failure_code;
    row.failure_reason = p.failure_reason;
    row.failure_category = p.failure_category;
  }
  row.gateway ??= p.gateway;
  row.merchant_id ??= p.merchant_id;
  row.order_id ??= p.order_id;
  row.customer_id ??= p.customer_id;
}

// ── refusals ────────────────────────────────────────────────────────────────────────────────────

const COLLECTING: readonly PaymentStatus[] = ['captured', 'succeeded'];

/**
 * Why a later delivery cannot be applied, or null. Amounts are judged against every amount the
 * ledger has accepted for the payment (not only the current state), so the verdict does not
 * depend on arrival order either.
 */
export function refusalOf(d: LedgerDelivery, row: LedgerRow, past: readonly HistoryRow[]): Failure | null {
  const statusRows = past.filter((h) => h.change === 'recorded' || h.change === 'status');
  const authorized = statusRows.find((h) => h.reported_status === 'authorized')?.amount_minor ?? null;
  const captured = statusRows.find((h) => COLLECTING.includes(h.reported_status))?.amount_minor ?? null;
  const fmt = (n: number) => `${formatMinorUnits(BigInt(n), row.currency)} ${row.currency}`;
  const ref = row.reference_number.slice(0, 80);
  if (d.kind === 'payment') {
    const p = d.payment;
    const details = {
      reference_number: row.reference_number,
      ledger_amount_minor: row.amount_minor,
      authorized_minor: authorized,
      captured_minor: captured,
      delivery_amount_minor: p.amount_minor,
      ledger_currency: row.currency,
      delivery_currency: p.currency,
      delivery_status: p.status,
    };
    const conflict = (why: string) =>
      failure(ErrorCode.AMOUNT_CONFLICT, `reference '${ref}' is recorded ${why}; kept for review (dead letters, stage ledger)`, details);
    if (p.currency !== row.currency) return conflict(`in ${row.currency} but this delivery says ${p.currency}`);
    if (p.status === 'authorized') {
      if (authorized !== null && p.amount_minor !== authorized)
        return conflict(`as authorised for ${fmt(authorized)}, not ${fmt(p.amount_minor)}`);
      if (captured !== null && p.amount_minor < captured)
        return conflict(`as captured for ${fmt(captured)}, more than this authorisation of ${fmt(p.amount_minor)}`);
      return null;
    }
    if (COLLECTING.includes(p.status)) {
      if (captured !== null && p.amount_minor !== captured) return conflict(`as captured for ${fmt(captured)}, not ${fmt(p.amount_minor)}`);
      const limit = authorized ?? row.amount_minor;
      if (p.amount_minor > limit) return conflict(`for ${fmt(limit)}; a capture of ${fmt(p.amount_minor)} exceeds it`);
      return null;
    }
    const known = [row.amount_minor, authorized, captured].filter((n): n is number => n !== null);
    // With no authorisation known, an amount above a (partial) capture is the payment's full amount, whichever arrived first.
    const fullAmount = authorized === null && captured !== null && p.amount_minor >= captured;
    if (!known.includes(p.amount_minor) && !fullAmount) return conflict(`for ${fmt(row.amount_minor)}, not ${fmt(p.amount_minor)}`);
    return null;
  }
  if (d.kind === 'refund') return refundRefusal(d.refund, row);
  return disputeRefusal(d.dispute, row);
}

function refundRefusal(r: CanonicalRefund, row: LedgerRow): Failure | null {
  const details = {
    reference_number: row.reference_number,
    refund_id: r.refund_id,
    payment_currency: row.currency,
    refund_currency: r.currency,
    captured_minor: row.captured_minor,
    refunded_minor: row.refunded_minor,
    refund_amount_minor: r.amount_minor,
  };
  if (r.currency !== row.currency) {
    return failure(
      ErrorCode.REFUND_CURRENCY_MISMATCH,
      `refund ${r.refund_id.slice(0, 80)} is in ${r.currency} but payment '${row.reference_number.slice(0, 80)}' is in ${row.currency}; refunds are in the payment's currency — kept for review (dead letters, stage ledger)`,
      details,
    );
  }
  const captured = row.captured_minor ?? 0;
  if (row.refunded_minor + r.amount_minor > captured) {
    const fmt = (n: number) => `${formatMinorUnits(BigInt(n), row.currency)} ${row.currency}`;
    return failure(
      ErrorCode.REFUND_EXCEEDS_CAPTURED,
      captured === 0
        ? `payment '${row.reference_number.slice(0, 80)}' has no captured amount (status ${row.status}); refund ${r.refund_id.slice(0, 80)} of ${fmt(r.amount_minor)} is kept for review (a retry succeeds once the capture is recorded)`
        : `refund ${r.refund_id.slice(0, 80)} of ${fmt(r.amount_minor)} would take refunds of payment '${row.reference_number.slice(0, 80)}' to ${fmt(row.refunded_minor + r.amount_minor)}, above the captured ${fmt(captured)}; kept for review`,
      details,
    );
  }
  return null;
}

function disputeRefusal(x: CanonicalDispute, row: LedgerRow): Failure | null {
  if (x.currency === row.currency) return null;
  return failure(
    ErrorCode.AMOUNT_CONFLICT,
    `dispute ${x.dispute_id.slice(0, 80)} is in ${x.currency} but payment '${row.reference_number.slice(0, 80)}' is in ${row.currency}; kept for review (dead letters, stage ledger)`,
    { reference_number: row.reference_number, dispute_id: x.dispute_id, payment_currency: row.currency, dispute_currency: x.currency },
  );
}

function deadLetterOf(d: LedgerDelivery, row: LedgerRow, f: Failure): NewDeadLetter {
  const payload = deliveryBody(d);
  return {
    stage: 'ledger',
    origin: `${payload.source}:${d.kind}`,
    eventId: `${row.reference_number}|${deliveryKey(d)}`,
    eventType: d.kind === 'payment' ? `payment.${d.payment.status}` : d.kind === 'refund' ? 'payment.refunded' : 'payment.dispute',
    partition: null,
    offset: null,
    payload: JSON.stringify(payload),
    errorCode: f.code,
    errorMessage: f.message,
    details: f.details,
  };
}

// ── writes ──────────────────────────────────────────────────────────────────────────────────────

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const PAYMENT_COLUMNS = `id uuid, reference_number text, loan_account_number text, cif text, amount_minor bigint,
  currency text, payment_date timestamp, payment_channel text, source text, status text, gateway text,
  payment_method text, merchant_id text, order_id text, customer_id text, region text, country text,
  fee_minor bigint, tax_minor bigint, gateway_txn_id text, failure_reason text, failure_code text, failure_category text, metadata jsonb,
  authorized_minor bigint, captured_minor bigint, refunded_minor bigint, disputed_minor bigint, status_time timestamp, version int,
  updated_at timestamptz`;
const PAYMENT_COLUMN_NAMES = PAYMENT_COLUMNS.split(',')
  .map((c) => c.trim().split(/\s+/)[0])
  .join(', ');

async function insertPaymentsWithHistory(
  tx: SqlExecutor,
  rows: readonly RecordedPayment[],
  firstRows: readonly HistoryRow[],
  now: Date,
): Promise<void> {
  await tx.query(
    `WITH x AS (SELECT * FROM json_to_recordset($1::json) AS x(${PAYMENT_COLUMNS}, dedup_key text, gateway_event_id text)),
     p AS (INSERT INTO payment_service.payments (${PAYMENT_COLUMN_NAMES}) SELECT ${PAYMENT_COLUMN_NAMES} FROM x)
     INSERT INTO payment_service.payment_status_history
       (payment_id, reference_number, version, change, dedup_key, reported_status, from_status, to_status, applied,
        amount_minor, currency, event_time, gateway_event_id, source, failure_code, failure_reason)
     SELECT id, reference_number, 1, 'recorded', dedup_key, status, NULL, status, TRUE,
            amount_minor, currency, status_time, gateway_event_id, source, failure_code, failure_reason
     FROM x`,
    [
      JSON.stringify(
        rows.map((r, i) => {
          const first = firstRows[i] as HistoryRow;
          const { state } = foldLifecycle([lifecycleEventOf(first)]);
          return {
            ...r,
            payment_date: r.payment_date.toISOString(),
            status_time: r.status_time.toISOString(),
            authorized_minor: state.authorized_minor,
            captured_minor: state.captured_minor,
            refunded_minor: state.refunded_minor,
            disputed_minor: state.disputed_minor,
            version: 1,
            updated_at: now.toISOString(),
            dedup_key: first.dedup_key,
          };
        }),
      ),
    ],
  );
}

async function updatePayments(tx: SqlExecutor, rows: readonly LedgerRow[]): Promise<void> {
  await tx.query(
    `UPDATE payment_service.payments p SET
       status = x.status, status_time = x.status_time, authorized_minor = x.authorized_minor, captured_minor = x.captured_minor,
       refunded_minor = x.refunded_minor, disputed_minor = x.disputed_minor, fee_minor = x.fee_minor, tax_minor = x.tax_minor,
       failure_code = x.failure_code, failure_reason = x.failure_reason, failure_category = x.failure_category,
       gateway = x.gateway, merchant_id = x.merchant_id, order_id = x.order_id, customer_id = x.customer_id,
       version = x.version, updated_at = x.updated_at
     FROM json_to_recordset($1::json) AS x(id uuid, payment_date timestamp, status text, status_time timestamp,
       authorized_minor bigint, captured_minor bigint, refunded_minor bigint, disputed_minor bigint, fee_minor bigint, tax_minor bigint,
       failure_code text, failure_reason text, failure_category text, gateway text, merchant_id text, order_id text, customer_id text,
       version int, updated_at timestamptz)
     WHERE p.id = x.id AND p.payment_date = x.payment_date
       -- The ids as one array let each partition answer from its primary key (measured 2.5× faster
       -- than the planner's join over whole partitions; BENCHMARKS.md, issue 10).
       AND p.id = ANY($2::uuid[])`,
    [
      JSON.stringify(rows.map((r) => ({ ...r, payment_date: r.payment_date.toISOString(), status_time: r.status_time.toISOString() }))),
      rows.map((r) => r.id),
    ],
  );
}

const HISTORY_COLUMNS = `payment_id uuid, reference_number text, version int, change text, dedup_key text, reported_status text,
  from_status text, to_status text, applied boolean, amount_minor bigint, currency text, event_time timestamp, gateway_event_id text,
  refund_id text, dispute_id text, dispute_status text, source text, failure_code text, failure_reason text`;
const HISTORY_COLUMN_NAMES = HISTORY_COLUMNS.split(',')
  .map((c) => c.trim().split(/\s+/)[0])
  .join(', ');

async function insertHistory(tx: SqlExecutor, rows: readonly HistoryRow[]): Promise<void> {
  await tx.query(
    `INSERT INTO payment_service.payment_status_history (${HISTORY_COLUMN_NAMES})
     SELECT ${HISTORY_COLUMN_NAMES} FROM json_to_recordset($1::json) AS x(${HISTORY_COLUMNS})`,
    [JSON.stringify(rows.map((r) => ({ ...r, event_time: r.event_time.toISOString() })))],
  );
}

async function insertOutbox(tx: SqlExecutor, events: readonly LedgerEvent[]): Promise<void> {
  await tx.query(
    `INSERT INTO payment_service.outbox (event_id, event_type, aggregate_id, payload)
     SELECT x.event_id, x.event_type, x.aggregate_id, x.payload
     FROM json_to_recordset($1::json) AS x(event_id text, event_type text, aggregate_id text, payload json)`,
    [JSON.stringify(events.map((e) => ({ event_id: e.id, event_type: e.type, aggregate_id: e.subject, payload: e })))],
  );
}
