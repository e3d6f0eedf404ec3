import { ErrorCode } from '../core/errors.js';
import type { RollupDelta, RowOf } from '../warehouse/tables.js';
import type { WarehouseTx } from '../warehouse/warehouse-port.js';
import {
  type DisputeRow,
  type Fact,
  type OrderRow,
  type PaymentRow,
  type SettlementRow,
  disputeContribution,
  mergeDispute,
  mergeLatest,
  mergeOrder,
  mergePayment,
  mergeSettlement,
  paymentContribution,
  refundContribution,
} from './facts/index.js';
import type { MerchantDirectory } from './merchant-dimension.js';

/** One event ready for the warehouse: its id, times and facts. */
export interface PreparedEvent {
  id: string;
  type: string;
  time: Date;
  /** When Payscope recorded it (the log record's time): freshness is measured from here. */
  recordedAt: Date;
  /** When the fact happened (payment_date, else the CloudEvent time); history is no freshness sample. */
  occurredAt: Date | null;
  facts: Fact[];
  /** Where it sits in the log, for dead letters. */
  partition: number;
  offset: number;
  payload: string;
}

export interface Rejection {
  event: PreparedEvent;
  code: string;
  message: string;
  details?: unknown;
}

export interface ApplyOutcome {
  /** The events written, in log order. */
  applied: PreparedEvent[];
  /** Events whose id was applied before (redelivered or sent twice): dropped. */
  duplicates: number;
  /** Events that cannot merge with what is stored (e.g. another currency): for the dead-letter table. */
  rejected: Rejection[];
}

/**
 * Applies prepared events inside one warehouse transaction: drops ids already applied, reads the
 * current rows of every key the batch touches, merges the batch into them in log order, writes
 * the merged rows, the appended facts, the rollup deltas (old contribution out, new in) and the
 * applied ids. All or nothing: a crash before commit leaves the warehouse as it was, and the
 * redelivered batch is applied once.
 */
export async function applyBatch(
  tx: WarehouseTx,
  events: readonly PreparedEvent[],
  merchants: MerchantDirectory,
  now: Date,
): Promise<ApplyOutcome> {
  const seen = await tx.findApplied(events.map((e) => ({ id: e.id, time: e.time })));
  const fresh: PreparedEvent[] = [];
  const inBatch = new Set<string>();
  let duplicates = 0;
  for (const e of events) {
    if (seen.has(e.id) || inBatch.has(e.id)) duplicates++;
    else {
      inBatch.add(e.id);
      fresh.push(e);
    }
  }

  const keysOf = (table: Fact['table']) => {
    const keys = new Set<string>();
    for (const e of fresh) for (const f of e.facts) if (f.table === table && 'key' in f) keys.add(f.key);
    return [...keys];
  };
  const settlementRefs = new Set<string>();
  for (const e of fresh) for (const f of e.facts) if (f.table === 'settlements') for (const r of f.references) settlementRefs.add(r);

  const byKey = <R>(rows: R[], key: (r: R) => string | null) => new Map(rows.map((r) => [key(r) as string, r]));
  // The payments of the batch's refunds too: a refund's currency is checked against its payment
  // whichever batch the payment arrived in.
  const refundedRefs = new Set<string>();
  for (const e of fresh)
    for (const f of e.facts) if (f.table === 'refunds' && f.row.reference_number) refundedRefs.add(f.row.reference_number);
  const payments = byKey(
    await tx.load('payments', [...new Set([...keysOf('payments'), ...settlementRefs, ...refundedRefs])]),
    (r) => r.reference_number,
  );
  const refunds = byKey(await tx.load('refunds', keysOf('refunds')), (r) => r.refund_id);
  const disputes = byKey(await tx.load('disputes', keysOf('disputes')), (r) => r.dispute_id);
  const settlements = byKey(await tx.load('settlements', keysOf('settlements')), (r) => r.batch_id);
  const orders = byKey(await tx.load('orders', keysOf('orders')), (r) => r.order_id);
  const escrow = byKey(await tx.load('escrow_releases', keysOf('escrow_releases')), (r) => r.escrow_id);
  const taxLines = byKey(await tx.load('tax_lines', keysOf('tax_lines')), (r) => r.tax_line_id);

  // Rollup contributions of the stored rows, taken out once the batch's rows replace them.
  const before = {
    payments: new Map(payments),
    refunds: new Map(refunds),
    disputes: new Map(disputes),
  };
  const changed = {
    payments: new Set<string>(),
    refunds: new Set<string>(),
    disputes: new Set<string>(),
    settlements: new Set<string>(),
    orders: new Set<string>(),
    escrow: new Set<string>(),
    taxLines: new Set<string>(),
  };
  const history: RowOf<'payment_status_history'>[] = [];
  const behaviour: RowOf<'behaviour_events'>[] = [];
  const exposures: RowOf<'experiment_exposures'>[] = [];
  const rejected: Rejection[] = [];
  const applied: PreparedEvent[] = [];

  for (const event of fresh) {
    const problem = conflictOf(event.facts, payments, refunds);
    if (problem) {
      rejected.push({ event, ...problem });
      continue;
    }
    for (const fact of event.facts) {
      switch (fact.table) {
        case 'payments': {
          const merged = merchants.enrichPayment(mergePayment(payments.get(fact.key) ?? null, fact.patch));
          payments.set(fact.key, merged);
          changed.payments.add(fact.key);
          history.push(fact.history);
          break;
        }
        case 'refunds':
          refunds.set(
            fact.key,
            mergeLatest(refunds.get(fact.key) ?? null, fact.row, (r) => r.refunded_at),
          );
          changed.refunds.add(fact.key);
          break;
        case 'disputes':
          disputes.set(fact.key, mergeDispute(disputes.get(fact.key) ?? null, fact.row));
          changed.disputes.add(fact.key);
          break;
        case 'settlements': {
          const merged = merchants.enrichSettlement(mergeSettlement(settlements.get(fact.key) ?? null, fact.row));
          settlements.set(fact.key, merged);
          changed.settlements.add(fact.key);
          // Payments the batch lists carry their batch's status (when the payment is known).
          for (const ref of fact.references) {
            const p = payments.get(ref);
            if (p && (p.settlement_batch_id === null || p.settlement_batch_id === merged.batch_id)) {
              payments.set(ref, { ...p, settlement_batch_id: merged.batch_id, settlement_status: merged.status, updated_at: now });
              changed.payments.add(ref);
            }
          }
          break;
        }
        case 'orders':
          orders.set(fact.key, mergeOrder(orders.get(fact.key) ?? null, fact.row));
          changed.orders.add(fact.key);
          break;
        case 'escrow_releases':
          escrow.set(
            fact.key,
            mergeLatest(escrow.get(fact.key) ?? null, fact.row, (r) => r.released_at),
          );
          changed.escrow.add(fact.key);
          break;
        case 'tax_lines':
          taxLines.set(
            fact.key,
            mergeLatest(taxLines.get(fact.key) ?? null, fact.row, (r) => r.recorded_at),
          );
          changed.taxLines.add(fact.key);
          break;
        case 'behaviour_events':
          behaviour.push(fact.row);
          break;
        case 'experiment_exposures':
          exposures.push(fact.row);
          break;
      }
    }
    applied.push(event);
  }

  const pick = <R>(rows: Map<string, R>, keys: Set<string>) => [...keys].map((k) => rows.get(k) as R);
  const deltas: RollupDelta[] = [];
  for (const k of changed.payments) {
    const old = before.payments.get(k);
    if (old) deltas.push(paymentContribution(old, -1));
    deltas.push(paymentContribution(payments.get(k) as PaymentRow, 1));
  }
  for (const k of changed.refunds) {
    const old = before.refunds.get(k);
    if (old) deltas.push(refundContribution(old, -1));
    deltas.push(refundContribution(refunds.get(k) as RowOf<'refunds'>, 1));
  }
  for (const k of changed.disputes) {
    const old = before.disputes.get(k);
    if (old) deltas.push(disputeContribution(old, -1));
    deltas.push(disputeContribution(disputes.get(k) as DisputeRow, 1));
  }

  await tx.replace('payments', pick(payments, changed.payments));
  await tx.replace('refunds', pick(refunds, changed.refunds));
  await tx.replace('disputes', pick(disputes, changed.disputes));
  await tx.replace('settlements', pick<SettlementRow>(settlements, changed.settlements));
  await tx.replace('orders', pick<OrderRow>(orders, changed.orders));
  await tx.replace('escrow_releases', pick(escrow, changed.escrow));
  await tx.replace('tax_lines', pick(taxLines, changed.taxLines));
  await tx.append('payment_status_history', history);
  await tx.append('behaviour_events', behaviour);
  await tx.append('experiment_exposures', exposures);
  await tx.addToRollups(deltas);
  await tx.append(
    'applied_events',
    applied.map((e) => ({ event_id: e.id, event_type: e.type, event_time: e.time, recorded_at: e.recordedAt, applied_at: now })),
  );
  return { applied, duplicates, rejected };
}

/**
 * A fact that cannot be merged with the stored state: a payment status in another currency than
 * the payment (CURRENCY_MISMATCH), a refund in another currency than its payment
 * (REFUND_CURRENCY_MISMATCH) or than its earlier copy. Such an event goes to the dead-letter table
 * with the reason.
 */
function conflictOf(
  facts: readonly Fact[],
  payments: Map<string, PaymentRow>,
  refunds: Map<string, RowOf<'refunds'>>,
): { code: string; message: string; details: unknown } | null {
  for (const f of facts) {
    if (f.table === 'payments') {
      const stored = payments.get(f.key);
      if (stored && stored.currency !== null && f.patch.row.currency !== null && stored.currency !== f.patch.row.currency) {
        return currencyConflict('payment', f.key, stored.currency, f.patch.row.currency);
      }
    }
    if (f.table === 'refunds') {
      const payment = payments.get(f.row.reference_number as string);
      if (payment?.currency && f.row.currency && payment.currency !== f.row.currency) {
        return {
          ...currencyConflict('refunded payment', f.row.reference_number as string, payment.currency, f.row.currency),
          code: ErrorCode.REFUND_CURRENCY_MISMATCH,
        };
      }
      const stored = refunds.get(f.key);
      if (stored?.currency && f.row.currency && stored.currency !== f.row.currency) {
        return currencyConflict('refund', f.key, stored.currency, f.row.currency);
      }
    }
  }
  return null;
}

function currencyConflict(what: string, key: string, stored: string, incoming: string) {
  return {
    code: ErrorCode.CURRENCY_MISMATCH,
    message: `the ${what} ${key} is in ${stored} but this event says ${incoming}; amounts of one payment are in one currency — fix the sender and replay the dead letter`,
    details: { key, stored_currency: stored, event_currency: incoming },
  };
}
