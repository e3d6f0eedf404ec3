import type { PaymentReads } from './payment-reads.js';
import type { SqlDialect } from './sql-dialect.js';
import type { AppendTable, KeyedTable, RollupDelta, RowOf, TableName } from './tables.js';

/**
 * The warehouse port: where the analytics consumer writes facts and rollups, and where analytics
 * read them. Each engine implements it in `warehouse/<engine>/` (DuckDB: one instance per file
 * per process; ClickHouse: a client over HTTP or in-process chDB); `openWarehouse` in
 * `open-warehouse.ts` picks one from a `WarehouseConfig`. Callers write portable SQL with the
 * engine's `dialect` and never branch on the engine.
 *
 * Writes happen in `transaction`: the consumer reads the current rows of the keys a batch
 * touches, merges them by version (pure code in src/pipeline), and writes the result, the applied
 * event ids and the rollup deltas together — all or nothing. Only one transaction runs at a time.
 */
export interface Warehouse extends PaymentReads {
  /** For logs and `/health` only: nothing may branch on it. */
  readonly engine: 'duckdb' | 'clickhouse';
  /** What differs in SQL between engines (`sql-dialect.ts`). */
  readonly dialect: SqlDialect;
  /**
   * False for a reader opened with `readOnly` (role `api` on a ClickHouse server without
   * `analytics`): its `transaction` rejects; writes belong to the analytics process.
   */
  readonly writable: boolean;
  transaction<T>(fn: (tx: WarehouseTx) => Promise<T>): Promise<T>;
  /**
   * A read query. `params` bind to `$1, $2…`. Values come back as JS values: integers as
   * numbers (a value beyond 2^53 throws rather than lose precision), timestamps as Dates.
   * Prefer a named, typed query (`typed-query.ts`) to casting the rows.
   */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /**
   * Judges a statement for the read-only SQL API with the engine's own parser: one SELECT over
   * the documented views (`sql-views.ts`) and CTEs, no base table, no file, network or settings
   * access. `sandboxQuery` runs only what this accepted.
   */
  checkSandboxSql(sql: string): Promise<SqlVerdict>;
  /** Table functions the SQL API allows on this engine (listed in its documentation). */
  readonly sandboxTableFunctions: readonly string[];
  /**
   * Runs a statement the SQL guard accepted (`sql-sandbox.ts`), on its own connection whose
   * search path is one schema of views, reading at most `maxRows` rows and interrupting it after
   * `timeoutMs`. Never call it with unchecked SQL.
   */
  sandboxQuery(request: SandboxQuery): Promise<SandboxResult>;
  /**
   * Writes `tables` to Parquet files under `dir` (see `ExportRequest`). Throws unless the
   * warehouse was opened with an `exportDir` holding `dir`: the server's instance writes no file.
   */
  exportParquet(request: ExportRequest): Promise<ExportResult>;
  close(): Promise<void>;
}

export interface WarehouseTx {
  /** The ids among `events` already applied; a duplicate has the same id and time as its original. */
  findApplied(events: readonly { id: string; time: Date }[]): Promise<Set<string>>;
  /** Current rows of a keyed table for the given keys. */
  load<T extends KeyedTable>(table: T, keys: readonly string[]): Promise<RowOf<T>[]>;
  /** Writes rows of a keyed table, replacing the rows with the same keys. */
  replace<T extends KeyedTable>(table: T, rows: readonly RowOf<T>[]): Promise<void>;
  append<T extends AppendTable>(table: T, rows: readonly RowOf<T>[]): Promise<void>;
  /** Copies the names and cycles of these merchants onto their stored payments and settlements. */
  backfillMerchants(merchantIds: readonly string[]): Promise<{ payments_updated: number; settlements_updated: number }>;
  /** Adds deltas to every grain of their rollups. */
  addToRollups(deltas: readonly RollupDelta[]): Promise<void>;
}

export interface ExportRequest {
  /** First and last UTC day to export, inclusive (`YYYY-MM-DD`). */
  from: string;
  to: string;
  dir: string;
  tables?: readonly TableName[];
  /** Called after each (table, day) is written. */
  onProgress?: (done: number, total: number, item: { table: string; date: string; rows: number }) => void;
}

export interface ExportResult {
  files: { table: string; date: string; path: string; rows: number }[];
}

export type SqlVerdict = { ok: true } | { ok: false; kind: 'not_allowed' | 'invalid'; message: string };

export interface SandboxQuery {
  sql: string;
  params: readonly (string | number | boolean | null)[];
  /** `sql_full` or `sql_masked` (see sql-views.ts). */
  schema: string;
  timeoutMs: number;
  maxRows: number;
}

export type SandboxResult =
  | {
      ok: true;
      columns: { name: string; type: string }[];
      /** Rows as arrays in column order, JSON-safe: integers beyond 2^53 as strings, times as ISO strings. */
      rows: unknown[][];
      /** More rows existed than `maxRows`. */
      truncated: boolean;
    }
  | { ok: false; reason: 'timeout' | 'invalid' | 'not_allowed'; message: string };
