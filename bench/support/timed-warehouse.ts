/**
 * A pass-through warehouse that times where a consumer batch goes: the JavaScript before the
 * warehouse transaction (decode, pseudonymise, facts — `prepare`), each call the merge makes on the
 * transaction (the DuckDB work: duplicate probe, key loads, replaces, appends, rollup upserts), the
 * JavaScript of the merge between those calls, and BEGIN/COMMIT. It adds two `performance.now()`
 * calls per warehouse call (a dozen per batch), nothing per event.
 */
import type { Warehouse, WarehouseTx } from '../../src/warehouse/warehouse-port.js';

export interface WarehouseTiming {
  batches: number;
  /** process() start → warehouse.transaction() called: decode + pseudonymise + facts. */
  prepareMs: number;
  /** warehouse.transaction() called → returned. */
  transactionMs: number;
  /** Inside the transaction callback (applyBatch): DuckDB calls + merge JavaScript. */
  applyMs: number;
  /** Per transaction call, e.g. `findApplied`, `load payments`, `append applied_events`, `addToRollups`. */
  calls: Map<string, { calls: number; ms: number }>;
}

export interface TimedWarehouse {
  warehouse: Warehouse;
  /** Call right before `consumer.process()`: the start of `prepare`. */
  batchStarted(): void;
  timing(): WarehouseTiming;
  reset(): void;
}

export function createTimedWarehouse(inner: Warehouse): TimedWarehouse {
  let t = empty();
  let batchStart = 0;

  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      const entry = t.calls.get(name) ?? { calls: 0, ms: 0 };
      entry.calls++;
      entry.ms += performance.now() - started;
      t.calls.set(name, entry);
    }
  };

  const wrapTx = (tx: WarehouseTx): WarehouseTx => ({
    findApplied: (events) => timed('findApplied (duplicate probe)', () => tx.findApplied(events)),
    load: (table, keys) => timed(`load ${table}`, () => tx.load(table, keys)),
    replace: (table, rows) => timed(`replace ${table}`, () => tx.replace(table, rows)),
    append: (table, rows) => timed(`append ${table}`, () => tx.append(table, rows)),
    backfillMerchants: (ids) => timed('backfillMerchants', () => tx.backfillMerchants(ids)),
    addToRollups: (deltas) => timed('addToRollups', () => tx.addToRollups(deltas)),
  });

  // Every other member passes through (the adapter returns a plain object, so spreading keeps its methods).
  const warehouse: Warehouse = {
    ...inner,
    async transaction(fn) {
      const called = performance.now();
      if (batchStart > 0) t.prepareMs += called - batchStart;
      batchStart = 0;
      try {
        return await inner.transaction(async (tx) => {
          const started = performance.now();
          try {
            return await fn(wrapTx(tx));
          } finally {
            t.applyMs += performance.now() - started;
          }
        });
      } finally {
        t.transactionMs += performance.now() - called;
        t.batches++;
      }
    },
  };

  return {
    warehouse,
    batchStarted() {
      batchStart = performance.now();
    },
    timing: () => t,
    reset() {
      t = empty();
    },
  };
}

function empty(): WarehouseTiming {
  return { batches: 0, prepareMs: 0, transactionMs: 0, applyMs: 0, calls: new Map() };
}
