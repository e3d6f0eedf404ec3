/**
 * A pass-through OperationalStore that times every statement run inside a transaction and every
 * transaction as a whole, so a benchmark can say which statement of a batch dominates. The time
 * of a transaction not spent in its statements is BEGIN/COMMIT, waiting for a pooled connection,
 * and the caller's own JavaScript between statements (validation, building JSON parameters).
 */
import type { OperationalStore, SqlExecutor } from '../../src/store/store-port.js';

export interface StatementTiming {
  statement: string;
  calls: number;
  totalMs: number;
}

export interface TimingReport {
  transactions: number;
  transactionMs: number;
  statements: StatementTiming[];
}

/** Short names for the statements of the staging processor and the recorder; others keep their text. */
const NAMES: Array<[RegExp, string]> = [
  [/^SELECT .* FROM payment_staging .*FOR UPDATE SKIP LOCKED/s, 'SELECT batch FROM payment_staging … FOR UPDATE SKIP LOCKED'],
  [/^INSERT INTO payment_service\.payment_references/, 'INSERT payment_references … ON CONFLICT DO NOTHING RETURNING'],
  [/^SELECT reference_number, payment_id FROM payment_service\.payment_references/, 'SELECT ids of references already taken'],
  [/^INSERT INTO payment_service\.payments\b/, 'INSERT payments (json_to_recordset)'],
  [/^INSERT INTO payment_service\.outbox/, 'INSERT outbox (json_to_recordset)'],
  [/^UPDATE payment_staging/, 'UPDATE payment_staging SET processed (json_to_recordset)'],
  [/^INSERT INTO payment_service\.staging_process_log/, 'INSERT staging_process_log'],
];

function nameOf(sql: string): string {
  const text = sql.replace(/\s+/g, ' ').trim();
  return NAMES.find(([re]) => re.test(text))?.[1] ?? (text.length > 70 ? `${text.slice(0, 70)}…` : text);
}

export function createTimedStore(store: OperationalStore): { store: OperationalStore; report(): TimingReport } {
  const byStatement = new Map<string, StatementTiming>();
  let transactions = 0;
  let transactionMs = 0;
  const timed = (tx: SqlExecutor): SqlExecutor => ({
    async query(sql, params) {
      const started = performance.now();
      try {
        return await tx.query(sql, params);
      } finally {
        const name = nameOf(sql);
        const entry = byStatement.get(name) ?? { statement: name, calls: 0, totalMs: 0 };
        entry.calls++;
        entry.totalMs += performance.now() - started;
        byStatement.set(name, entry);
      }
    },
  });
  const wrapped: OperationalStore = {
    kind: store.kind,
    maxConcurrency: store.maxConcurrency,
    query: (sql, params) => store.query(sql, params),
    async transaction(fn) {
      const started = performance.now();
      try {
        return await store.transaction((tx) => fn(timed(tx)));
      } finally {
        transactions++;
        transactionMs += performance.now() - started;
      }
    },
    poolStats: () => store.poolStats(),
    close: () => store.close(),
  };
  return {
    store: wrapped,
    report: () => ({ transactions, transactionMs, statements: [...byStatement.values()].sort((a, b) => b.totalMs - a.totalMs) }),
  };
}
