import { SQL_VIEWS, SQL_VIEW_SCHEMAS } from './sql-views.js';
import type { SandboxResult, SqlVerdict, Warehouse } from './warehouse-port.js';

/**
 * Read-only SQL over the documented views: the warehouse judges the statement with its engine's
 * own parser (`checkSandboxSql`), then runs it on its sandbox (a read-only connection or profile)
 * with a timeout and a row limit; this module adds the concurrency bound and the hard deadline.
 * Personal columns read NULL unless `personal` is true (admins).
 *
 * @example
 * const sandbox = createSqlSandbox({ warehouse, timeoutMs: 10_000, maxRows: 10_000 });
 * const r = await sandbox.run({ sql: 'SELECT currency, sum(amount_minor) FROM v_payments GROUP BY 1', personal: false });
 */
export interface SqlRequest {
  sql: string;
  params?: readonly (string | number | boolean | null)[];
  /** At most this many rows (capped by the sandbox's own limit). */
  limit?: number;
  /** Show personal (`*_hash`) columns; otherwise they read NULL. */
  personal: boolean;
}

export type SqlOutcome =
  | {
      ok: true;
      columns: { name: string; type: string }[];
      rows: unknown[][];
      row_count: number;
      truncated: boolean;
      limit: number;
      masked: boolean;
      elapsed_ms: number;
    }
  | { ok: false; reason: 'not_allowed' | 'invalid' | 'timeout'; message: string }
  /** Every concurrency slot is taken (maybe by a call that timed out but still runs); retry later. */
  | { ok: false; reason: 'busy'; message: string; retryAfterSeconds: number };

export interface SqlSandbox {
  run(request: SqlRequest): Promise<SqlOutcome>;
  views(): typeof SQL_VIEWS;
}

export const MAX_SQL_LENGTH = 100_000;

/**
 * How long after the timeout the caller is answered when DuckDB has not returned. `interrupt()`
 * stops a query between vectors within milliseconds, so that answer normally comes first; a
 * single long function call (`levenshtein` of two 60,000-character strings ran 32 s) is not
 * interruptible, and this deadline answers for it.
 */
const HARD_DEADLINE_GRACE_MS = 500;

export interface SqlSandboxDeps {
  warehouse: Warehouse;
  timeoutMs: number;
  maxRows: number;
  /**
   * At most this many statements run in DuckDB at once (SQL_MAX_CONCURRENT). A call answered by
   * the deadline keeps its slot until DuckDB really returns, so uninterruptible calls cannot pile
   * up and take the threads the rest of the API reads the warehouse with.
   */
  maxConcurrent?: number;
  /**
   * Judges the statement; the warehouse's `checkSandboxSql` unless a test replaces it to prove
   * that the engine alone refuses files and the network (test/api/sql.security.test.ts).
   */
  checkStatement?: (sql: string) => SqlVerdict | Promise<SqlVerdict>;
}

export function createSqlSandbox(deps: SqlSandboxDeps): SqlSandbox {
  const checkStatement = deps.checkStatement ?? ((sql: string) => deps.warehouse.checkSandboxSql(sql));
  const maxConcurrent = deps.maxConcurrent ?? 1;
  let running = 0;

  return {
    views: () => SQL_VIEWS,
    async run(request) {
      const started = performance.now();
      if (request.sql.includes('\u0000')) return { ok: false, reason: 'invalid', message: 'the statement contains a NUL character' };
      const verdict = await checkStatement(request.sql);
      if (!verdict.ok) return { ok: false, reason: verdict.kind, message: verdict.message };
      const limit = Math.min(request.limit ?? deps.maxRows, deps.maxRows);
      if (running >= maxConcurrent) {
        const retryAfterSeconds = Math.max(1, Math.ceil(deps.timeoutMs / 1000));
        return {
          ok: false,
          reason: 'busy',
          message: `${running} SQL ${running === 1 ? 'query is' : 'queries are'} still running (SQL_MAX_CONCURRENT = ${maxConcurrent}); retry in ${retryAfterSeconds} s`,
          retryAfterSeconds,
        };
      }
      running++;
      const query = deps.warehouse
        .sandboxQuery({
          sql: request.sql,
          params: request.params ?? [],
          schema: request.personal ? SQL_VIEW_SCHEMAS.full : SQL_VIEW_SCHEMAS.masked,
          timeoutMs: deps.timeoutMs,
          maxRows: limit,
        })
        .finally(() => running--);
      let deadline: NodeJS.Timeout | undefined;
      const timedOut = new Promise<SandboxResult>((resolve) => {
        deadline = setTimeout(
          () =>
            resolve({
              ok: false,
              reason: 'timeout',
              message: `the query ran longer than ${deps.timeoutMs} ms; it could not be interrupted at once and will be stopped when the warehouse returns`,
            }),
          deps.timeoutMs + HARD_DEADLINE_GRACE_MS,
        );
      });
      const result = await Promise.race([query, timedOut]).finally(() => clearTimeout(deadline));
      if (!result.ok) return { ok: false, reason: result.reason, message: result.message };
      return {
        ok: true,
        columns: result.columns,
        rows: result.rows,
        row_count: result.rows.length,
        truncated: result.truncated,
        limit,
        masked: !request.personal,
        elapsed_ms: Math.round(performance.now() - started),
      };
    },
  };
}
