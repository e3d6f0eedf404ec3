import { checkSerializedSql } from './sql-guard.js';
import { SQL_VIEWS, SQL_VIEW_NAMES, SQL_VIEW_SCHEMAS } from './sql-views.js';
import type { Warehouse } from './warehouse-port.js';

/**
 * Read-only SQL over the documented views: parse with DuckDB (`json_serialize_sql`), judge the
 * parse tree with the guard, then run on a sandbox connection with a timeout and a row limit.
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
  | { ok: false; reason: 'not_allowed' | 'invalid' | 'timeout'; message: string };

export interface SqlSandbox {
  run(request: SqlRequest): Promise<SqlOutcome>;
  views(): typeof SQL_VIEWS;
}

export const MAX_SQL_LENGTH = 100_000;

export function createSqlSandbox(deps: { warehouse: Warehouse; timeoutMs: number; maxRows: number }): SqlSandbox {
  let relations: { at: number; names: Set<string> } | null = null;
  const catalogRelations = async (): Promise<Set<string>> => {
    if (relations && Date.now() - relations.at < 60_000) return relations.names;
    const rows = await deps.warehouse.query<{ name: string }>(
      `SELECT lower(table_name) AS name FROM duckdb_tables() UNION SELECT lower(view_name) FROM duckdb_views()`,
    );
    relations = { at: Date.now(), names: new Set(rows.map((r) => r.name)) };
    return relations.names;
  };

  return {
    views: () => SQL_VIEWS,
    async run(request) {
      const started = performance.now();
      if (request.sql.includes('\u0000')) return { ok: false, reason: 'invalid', message: 'the statement contains a NUL character' };
      const [serialized] = await deps.warehouse.query<{ tree: string }>('SELECT json_serialize_sql($1::VARCHAR) AS tree', [request.sql]);
      const verdict = checkSerializedSql(serialized?.tree ?? '', SQL_VIEW_NAMES, await catalogRelations());
      if (!verdict.ok) return { ok: false, reason: verdict.kind, message: verdict.message };
      const limit = Math.min(request.limit ?? deps.maxRows, deps.maxRows);
      const result = await deps.warehouse.sandboxQuery({
        sql: request.sql,
        params: request.params ?? [],
        schema: request.personal ? SQL_VIEW_SCHEMAS.full : SQL_VIEW_SCHEMAS.masked,
        timeoutMs: deps.timeoutMs,
        maxRows: limit,
      });
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
