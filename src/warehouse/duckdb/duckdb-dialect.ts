import { type SqlDialect, jsonKey } from '../sql-dialect.js';

/**
 * A UTC instant as DuckDB's zone-free `TIMESTAMP` text (`YYYY-MM-DD HH:MM:SS.mmm`): the one place
 * the DuckDB adapter formats an instant, for literals and for bound `Date` parameters.
 */
export function timestampText(ms: number): string {
  if (!Number.isSafeInteger(ms)) throw new Error(`timestamp literal: ${ms} is not whole epoch milliseconds`);
  return new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
}

const literal = (ms: number) => `TIMESTAMP '${timestampText(ms)}'`;

/** DuckDB's SQL for what differs between engines (see `sql-dialect.ts`). Timestamps are UTC `TIMESTAMP`s. */
export const duckDbDialect: SqlDialect = {
  rollupReadShape: 'branch_per_segment',
  summingRead: (sql) => sql,
  // Not used by DuckDB's own shape; spelled out plainly for a scan_per_grain read (tests run both shapes).
  segmentIndex: (bucket, _grainMs, segments) =>
    segments.length === 0
      ? '-1'
      : `CASE ${segments.map((s) => `WHEN ${bucket} >= ${literal(s.from)} AND ${bucket} < ${literal(s.to)} THEN ${s.index}`).join(' ')} ELSE -1 END`,
  timestamp: literal,
  timestampParam: (index) => `$${index}::TIMESTAMP`,
  epochMs: (expr) => `epoch_ms(${expr})`,
  plusMs: (expr, ms) => `(${expr} + to_milliseconds(${typeof ms === 'number' ? ms : `(${ms})`}))`,
  truncate: (expr, unit) => `date_trunc('${unit}', ${expr})`,
  utcDate: (expr) => `strftime(${expr}, '%Y-%m-%d')`,
  now: () => `now()::TIMESTAMP`,
  quantileDisc: (expr, q) => `quantile_disc(${expr}, ${q})::BIGINT`,
  median: (expr) => `median(${expr})`,
  countIf: (condition) => `count(*) FILTER (WHERE ${condition})`,
  sumIf: (expr, condition) => `COALESCE(sum(${expr}) FILTER (WHERE ${condition}), 0)`,
  minIf: (expr, condition) => `min(${expr}) FILTER (WHERE ${condition})`,
  argMinIf: (value, by, condition) => `arg_min(${value}, ${by}) FILTER (WHERE ${condition})`,
  jsonText: (expr, key) => `json_extract_string(${expr}, '$.${jsonKey(key)}')`,
};
