/**
 * The operational store port: the smallest surface the recorder, staging processor, partition
 * manager and monitoring need. Two adapters implement it over already-built clients: PGlite
 * (embedded default) and `pg` (PostgreSQL). Both speak the same SQL, so the same statements and
 * migrations run on both.
 */

export interface QueryResult<R> {
  rows: R[];
  /** Rows changed by an INSERT/UPDATE/DELETE, or returned by a SELECT. */
  rowCount: number;
}

export interface SqlExecutor {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

export interface OperationalStore extends SqlExecutor {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** How many transactions may usefully run at once (1 for PGlite: it has one connection). */
  readonly maxConcurrency: number;
  poolStats(): PoolStats | null;
  close(): Promise<void>;
}

const RETRYABLE_SQLSTATES = new Set(['40001', '40P01', '53300', '57P01', '57P02', '57P03', '55P03']);
const RETRYABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** True when the same statement may succeed later: lost connections, deadlocks, serialisation. */
export function isRetryableStoreError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (RETRYABLE_SQLSTATES.has(code) || RETRYABLE_NODE_CODES.has(code) || code.startsWith('08')) return true;
  }
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && /Connection terminated|connection timeout|timeout exceeded when trying to connect/i.test(message);
}
