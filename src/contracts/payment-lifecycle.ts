/**
 * The payment lifecycle: one state machine, written down once. The ledger (src/recorder) and the
 * warehouse fold a payment's events through `foldLifecycle`, so both arrive at the same state and
 * amounts from the same events, whatever order the events were delivered in.
 *
 * A payment's state is a pure function of the *set* of its events: the events are sorted by
 * (event time, status rank, key) — the gateway's clock, never arrival order — and applied one by
 * one from "no state". An event whose move is not in `TRANSITIONS` from the state reached so far
 * (a step backwards, or a move the state machine does not allow) is kept in the history but does
 * not move the state. The first event (in event time) may set any state.
 *
 * Documented in docs/payment-lifecycle.md; a change here is a change there.
 */

/** Every state a payment can be in. */
export const PAYMENT_STATUSES = [
  'pending',
  'authorized',
  'captured',
  'succeeded',
  'failed',
  'cancelled',
  'partially_refunded',
  'refunded',
  'disputed',
  'dispute_won',
  'dispute_lost',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/**
 * The allowed moves. `failed → authorized|captured|succeeded` is a retried or late-authorised
 * attempt that went through (Razorpay sends payment.failed then payment.captured for those);
 * `captured → succeeded` is the same money seen twice (Stripe's charge then payment intent).
 */
export const TRANSITIONS: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  pending: ['authorized', 'captured', 'succeeded', 'failed', 'cancelled'],
  authorized: ['captured', 'succeeded', 'failed', 'cancelled'],
  failed: ['authorized', 'captured', 'succeeded'],
  cancelled: [],
  captured: ['succeeded', 'partially_refunded', 'refunded', 'disputed'],
  succeeded: ['partially_refunded', 'refunded', 'disputed'],
  partially_refunded: ['partially_refunded', 'refunded', 'disputed'],
  refunded: ['disputed'],
  disputed: ['dispute_won', 'dispute_lost'],
  dispute_won: ['partially_refunded', 'refunded'],
  dispute_lost: [],
};

/**
 * Orders events that carry the same event time (gateways stamp whole seconds): the step further
 * along the lifecycle comes later. So FAILED and SUCCESS sent with one time end in succeeded.
 */
export const STATUS_RANK: Readonly<Record<PaymentStatus, number>> = {
  pending: 0,
  authorized: 1,
  failed: 2,
  cancelled: 3,
  captured: 4,
  succeeded: 5,
  partially_refunded: 6,
  refunded: 7,
  disputed: 8,
  dispute_won: 9,
  dispute_lost: 9,
};

/** States in which money was taken from the payer: GMV counts their captured amount. */
export const COLLECTED_STATUSES = [
  'captured',
  'succeeded',
  'partially_refunded',
  'refunded',
  'disputed',
  'dispute_won',
  'dispute_lost',
] as const satisfies readonly PaymentStatus[];

/** States no later status event can leave (refunds and disputes aside). */
export const FINAL_STATUSES = ['cancelled', 'refunded', 'dispute_lost'] as const satisfies readonly PaymentStatus[];

export const isPaymentStatus = (s: string): s is PaymentStatus => (PAYMENT_STATUSES as readonly string[]).includes(s);
export const isCollected = (s: string): boolean => (COLLECTED_STATUSES as readonly string[]).includes(s);
export const canTransition = (from: PaymentStatus | null, to: PaymentStatus): boolean => from === null || TRANSITIONS[from].includes(to);

/**
 * The statuses senders use for the same states (the seed's SUCCESS / FAILED / PENDING, gateways'
 * own words), matched case-insensitively, with spaces and hyphens read as underscores.
 */
export const STATUS_ALIASES: Readonly<Record<string, PaymentStatus>> = {
  created: 'pending',
  initiated: 'pending',
  processing: 'pending',
  requires_action: 'pending',
  requires_payment_method: 'pending',
  authorised: 'authorized',
  requires_capture: 'authorized',
  success: 'succeeded',
  successful: 'succeeded',
  paid: 'succeeded',
  completed: 'succeeded',
  complete: 'succeeded',
  settled: 'succeeded',
  fail: 'failed',
  failure: 'failed',
  declined: 'failed',
  error: 'failed',
  canceled: 'cancelled',
  voided: 'cancelled',
  void: 'cancelled',
  expired: 'cancelled',
  partial_refund: 'partially_refunded',
  partially_refunded: 'partially_refunded',
  refund: 'refunded',
  chargeback: 'disputed',
  dispute: 'disputed',
  won: 'dispute_won',
  lost: 'dispute_lost',
};

/** A sender's status word as a PaymentStatus, or null when it names none. */
export function parsePaymentStatus(raw: string): PaymentStatus | null {
  const word = raw
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  if (isPaymentStatus(word)) return word;
  return STATUS_ALIASES[word] ?? null;
}

// ── the fold ─────────────────────────────────────────────────────────────────────────────────────

/** One event of a payment's life, as the fold reads it. */
export type LifecycleEvent =
  | {
      kind: 'status';
      /** The status the sender reported. */
      status: PaymentStatus;
      /** The delivery's amount: authorised for `authorized`, captured for `captured`/`succeeded`. */
      amount_minor: number;
      /** The gateway's event time (or the payment's date when the sender has no event time). */
      event_time: Date;
      /** Identifies the event among the payment's events (the ledger's dedup key); breaks ties. */
      key: string;
    }
  | { kind: 'refund'; amount_minor: number; event_time: Date; key: string }
  | {
      kind: 'dispute';
      /** disputed (opened / under review), dispute_won or dispute_lost. */
      status: 'disputed' | 'dispute_won' | 'dispute_lost';
      amount_minor: number;
      event_time: Date;
      key: string;
    };

/** A payment's state and amounts after its events. Amounts are integer minor units. */
export interface LifecycleState {
  status: PaymentStatus | null;
  /** Event time of the event that set `status`. */
  status_time: Date | null;
  authorized_minor: number | null;
  captured_minor: number | null;
  refunded_minor: number;
  disputed_minor: number;
}

/** The status an event asks for, from the state reached so far (refunds: partial or full). */
export function targetOf(event: LifecycleEvent, state: LifecycleState): PaymentStatus {
  if (event.kind === 'status' || event.kind === 'dispute') return event.status;
  const captured = state.captured_minor ?? 0;
  return state.refunded_minor + event.amount_minor >= captured ? 'refunded' : 'partially_refunded';
}

const rankOf = (e: LifecycleEvent): number => (e.kind === 'refund' ? STATUS_RANK.partially_refunded : STATUS_RANK[e.status]);

/** The fold's order: event time, then status rank, then key — arrival order never matters. */
export function compareLifecycleEvents(a: LifecycleEvent, b: LifecycleEvent): number {
  return a.event_time.getTime() - b.event_time.getTime() || rankOf(a) - rankOf(b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

export const EMPTY_LIFECYCLE: LifecycleState = Object.freeze({
  status: null,
  status_time: null,
  authorized_minor: null,
  captured_minor: null,
  refunded_minor: 0,
  disputed_minor: 0,
});

/**
 * Applies one event to a state: the next state and whether the event moved it. A refund applies
 * only to collected money and only up to the captured amount left unrefunded.
 */
export function applyLifecycleEvent(state: LifecycleState, event: LifecycleEvent): { state: LifecycleState; applied: boolean } {
  const to = targetOf(event, state);
  if (!canTransition(state.status, to)) return { state, applied: false };
  const next: LifecycleState = { ...state, status: to, status_time: event.event_time };
  if (event.kind === 'status') {
    if (to === 'authorized') next.authorized_minor = event.amount_minor;
    if (to === 'captured' || to === 'succeeded') {
      next.captured_minor = event.amount_minor;
      next.authorized_minor ??= event.amount_minor;
    }
    // A payment first seen already refunded (a staging row saying REFUNDED): the whole amount.
    if (state.status === null && to !== 'pending' && to !== 'authorized' && to !== 'failed' && to !== 'cancelled') {
      next.captured_minor ??= event.amount_minor;
      next.authorized_minor ??= event.amount_minor;
      if (to === 'refunded') next.refunded_minor = next.captured_minor;
    } else if (to === 'refunded') {
      next.refunded_minor = next.captured_minor ?? event.amount_minor;
    }
  } else if (event.kind === 'refund') {
    const left = (state.captured_minor ?? 0) - state.refunded_minor;
    if (state.status === null || event.amount_minor > left) return { state, applied: false };
    next.refunded_minor = state.refunded_minor + event.amount_minor;
  } else {
    next.disputed_minor = event.amount_minor;
    if (state.status === null) {
      next.captured_minor ??= event.amount_minor;
      next.authorized_minor ??= event.amount_minor;
    }
  }
  return { state: next, applied: true };
}

/** Folds a payment's events (any order) into its state; `applied[i]` says whether events[i] moved it. */
export function foldLifecycle(events: readonly LifecycleEvent[]): { state: LifecycleState; applied: boolean[] } {
  const order = events.map((_, i) => i).sort((i, j) => compareLifecycleEvents(events[i] as LifecycleEvent, events[j] as LifecycleEvent));
  const applied: boolean[] = new Array(events.length).fill(false);
  let state: LifecycleState = EMPTY_LIFECYCLE;
  for (const i of order) {
    const step = applyLifecycleEvent(state, events[i] as LifecycleEvent);
    state = step.state;
    applied[i] = step.applied;
  }
  return { state, applied };
}

/** The dedup key of a status delivery: the same status and amount again is an exact redelivery. */
export const statusKey = (status: PaymentStatus, amountMinor: number, currency: string) => `status:${status}:${amountMinor}:${currency}`;
export const refundKey = (refundId: string) => `refund:${refundId}`;
export const disputeKey = (disputeId: string, status: string) => `dispute:${disputeId}:${status}`;
