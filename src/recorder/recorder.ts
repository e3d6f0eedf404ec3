import type { Logger } from 'pino';
import { ErrorCode, PayscopeError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import { withRetry } from '../core/retry.js';
import { type OperationalStore, type SqlExecutor, isRetryableStoreError } from '../store/store-port.js';
import type { DedupCache } from './dedup-cache.js';
import { type LedgerDelivery, deliveryBody } from './ledger-delivery.js';
import type { CanonicalPayment } from './payment.js';
import { type RecordOutcome, deliveryKey, recordDeliveriesInTx, referenceOf } from './record-batch.js';

export type { AcceptedOutcome, RecordOutcome } from './record-batch.js';

export interface Recorder {
  /**
   * Records one validated payment. Concurrent calls are grouped into one transaction (group
   * commit); each caller still gets its own outcome, or its own error.
   */
  record(payment: CanonicalPayment): Promise<RecordOutcome>;
  /** Records a payment, a later status of one, a refund or a dispute step; grouped like `record`. */
  recordDelivery(delivery: LedgerDelivery): Promise<RecordOutcome>;
  /**
   * For callers that own the transaction (the staging processor): dedups through the caches and
   * records inside `tx`. Call `afterCommit` once the transaction has committed.
   */
  recordInTransaction(
    tx: SqlExecutor,
    deliveries: readonly LedgerDelivery[],
  ): Promise<{ outcomes: RecordOutcome[]; afterCommit: () => Promise<void> }>;
  /** Stops taking new payments and waits for every queued one to be answered. */
  close(): Promise<void>;
}

export interface RecorderDeps {
  store: OperationalStore;
  cache: DedupCache | null;
  metrics: Metrics;
  logger: Logger;
  maxBatch: number;
  /** Group-commit transactions in flight at once (capped by the store's own limit). */
  maxInflight?: number;
  retries?: number;
}

interface Pending {
  delivery: LedgerDelivery;
  resolve: (o: RecordOutcome) => void;
  reject: (e: unknown) => void;
}

export function createRecorder(deps: RecorderDeps): Recorder {
  const { store, cache, metrics, logger } = deps;
  const queue: Pending[] = [];
  let inflight = 0;
  let scheduled = false;
  let closing = false;
  const maxInflight = Math.max(1, Math.min(deps.maxInflight ?? store.maxConcurrency, store.maxConcurrency));
  let drained: (() => void) | null = null;

  const count = (deliveries: readonly LedgerDelivery[], outcomes: readonly RecordOutcome[]) => {
    for (const [i, o] of outcomes.entries()) {
      const d = deliveries[i];
      metrics.recordOutcomes.inc({ source: d ? deliveryBody(d).source : 'unknown', outcome: o.status });
    }
  };
  // A cache entry is one delivery of one payment (reference + its dedup key), so a later status of
  // a known reference is never mistaken for a redelivery.
  const cacheKeyOf = (d: LedgerDelivery) => `${referenceOf(d)}\u0000${deliveryKey(d)}`;

  async function recordInTransaction(tx: SqlExecutor, deliveries: readonly LedgerDelivery[]) {
    const known = cache ? await cache.getMany([...new Set(deliveries.map(cacheKeyOf))]) : new Map<string, string>();
    const fresh = deliveries.filter((d) => !known.has(cacheKeyOf(d)));
    const freshOutcomes = fresh.length > 0 ? await recordDeliveriesInTx(tx, fresh) : [];
    let next = 0;
    const outcomes = deliveries.map((d): RecordOutcome => {
      const cachedId = known.get(cacheKeyOf(d));
      if (cachedId !== undefined) return { status: 'duplicate', payment_id: cachedId };
      const o = freshOutcomes[next++];
      if (!o) throw new Error('recorder lost an outcome');
      return o;
    });
    const afterCommit = async () => {
      count(deliveries, outcomes);
      if (cache) {
        const entries = fresh.flatMap((d, i) => {
          const o = freshOutcomes[i];
          return o && o.status !== 'refused' ? [[cacheKeyOf(d), o.payment_id] as const] : [];
        });
        await cache.setMany(entries);
      }
    };
    return { outcomes, afterCommit };
  }

  async function commit(batch: readonly Pending[]): Promise<RecordOutcome[]> {
    const payments = batch.map((b) => b.delivery);
    const { outcomes, afterCommit } = await withRetry(() => store.transaction((tx) => recordInTransaction(tx, payments)), {
      retries: deps.retries ?? 3,
      isRetryable: isRetryableStoreError,
      onRetry: (e, attempt) => logger.warn({ err: e, attempt, size: batch.length }, 'group commit retry'),
    });
    await afterCommit();
    return outcomes;
  }

  async function flush(batch: Pending[]): Promise<void> {
    metrics.groupCommitSize.observe(batch.length);
    try {
      const outcomes = await commit(batch);
      for (const [i, b] of batch.entries()) b.resolve(outcomes[i] as RecordOutcome);
    } catch (error) {
      if (batch.length > 1 && !isRetryableStoreError(error)) {
        // One row the validator let through broke the statement: answer each caller on its own.
        logger.warn({ err: error, size: batch.length }, 'group commit failed; recording one by one');
        for (const b of batch) await flush([b]);
        return;
      }
      const wrapped = isRetryableStoreError(error)
        ? new PayscopeError({
            code: ErrorCode.SERVICE_UNAVAILABLE,
            message: 'the payment store is unavailable; retry later',
            retryable: true,
          })
        : error;
      for (const b of batch) b.reject(wrapped);
    }
  }

  function pump(): void {
    scheduled = false;
    while (inflight < maxInflight && queue.length > 0) {
      const batch = queue.splice(0, deps.maxBatch);
      inflight++;
      void flush(batch).finally(() => {
        inflight--;
        if (queue.length > 0) schedule();
        else if (inflight === 0 && drained) drained();
      });
    }
  }

  // Taking the next group one event-loop turn later lets requests whose bytes arrived meanwhile
  // join it: that is what turns 64 concurrent callers into a few transactions instead of 64.
  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(pump);
  }

  function recordDelivery(delivery: LedgerDelivery): Promise<RecordOutcome> {
    if (closing) {
      return Promise.reject(
        new PayscopeError({
          code: ErrorCode.SERVICE_UNAVAILABLE,
          message: 'Payscope is shutting down; retry on another instance',
          retryable: true,
        }),
      );
    }
    return new Promise<RecordOutcome>((resolve, reject) => {
      queue.push({ delivery, resolve, reject });
      schedule();
    });
  }

  return {
    record: (payment) => recordDelivery({ kind: 'payment', payment }),
    recordDelivery,
    recordInTransaction,
    async close() {
      closing = true;
      if (queue.length === 0 && inflight === 0) return;
      await new Promise<void>((resolve) => {
        drained = resolve;
      });
    },
  };
}
