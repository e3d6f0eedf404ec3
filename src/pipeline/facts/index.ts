import type { ValidEvent } from '../../contracts/index.js';
import { behaviourFacts, exposureFacts } from './behaviour-facts.js';
import { escrowFacts, settlementFacts, taxLineFacts } from './finance-facts.js';
import { orderFacts } from './order-facts.js';
import { disputeFacts, ledgerChangeFacts, paymentStatusFacts, recordedPaymentFacts, refundFacts } from './payment-facts.js';
import type { Fact, FactMapper } from './fact.js';

/**
 * From events to warehouse rows, as pure functions: what each event type contributes (`factsOf`,
 * one mapper per type in `FACT_MAPPERS`, grouped by family as the contracts are), how a keyed row
 * merges with what is stored (`merge.ts`) and what a row adds to the rollups (`contributions.ts`).
 *
 * The events given here are already pseudonymised: their personal fields hold HMACs.
 */

export type { DisputeRow, EventOf, Fact, FactMapper, OrderRow, PaymentPatch, PaymentRow, SettlementRow } from './fact.js';
export { recordedAmounts } from './payment-facts.js';
export { mergeDispute, mergeLatest, mergeOrder, mergePayment, mergeSettlement } from './merge.js';
export { capturedAmountOf, disputeContribution, paymentContribution, refundContribution } from './contributions.js';

/** The mapper of every event type. Exhaustive: a new event type does not compile until it has one. */
export const FACT_MAPPERS: { readonly [T in ValidEvent['type']]: FactMapper<T> } = {
  'payment.recorded': recordedPaymentFacts,
  'payment.succeeded': paymentStatusFacts,
  'payment.failed': paymentStatusFacts,
  'payment.captured': paymentStatusFacts,
  'payment.status_changed': ledgerChangeFacts,
  'payment.refunded': refundFacts,
  'payment.dispute_opened': disputeFacts,
  'payment.dispute_updated': disputeFacts,
  'settlement.batch_created': settlementFacts,
  'settlement.completed': settlementFacts,
  'order.placed': orderFacts,
  'order.completed': orderFacts,
  'order.cancelled': orderFacts,
  'escrow.released': escrowFacts,
  'tax.line_recorded': taxLineFacts,
  'experiment.exposure_recorded': exposureFacts,
  // Lifecycle facts live in the operational store (experiments, experiment_status_changes); the log carries them for other services.
  'experiment.status_changed': () => [],
  'checkout.started': behaviourFacts,
  'checkout.abandoned': behaviourFacts,
  'product.viewed': behaviourFacts,
  'product.added_to_cart': behaviourFacts,
  'search.query': behaviourFacts,
  'search.result_clicked': behaviourFacts,
  'user.registered': behaviourFacts,
  'user.logged_in': behaviourFacts,
  // Payscope's own notice to other services; the warehouse keeps no fact of it (segments are recomputed from payments).
  'customer.segment_changed': () => [],
};

/** The facts of one (valid, pseudonymised) event, stamped with `now` where a row records it. */
export function factsOf(event: ValidEvent, now: Date): Fact[] {
  // One mapper per type; TypeScript cannot correlate the event's type with its mapper's parameter.
  const mapper = FACT_MAPPERS[event.type] as FactMapper<ValidEvent['type']>;
  return mapper(event, new Date(event.time), now);
}
