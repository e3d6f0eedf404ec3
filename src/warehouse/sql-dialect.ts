/**
 * What differs between warehouse engines in the SQL that analytics write. Analytics build their
 * statements from portable SQL (SELECT … FROM … WHERE … GROUP BY, `count(*)`, `sum`, `CASE`,
 * `COALESCE`, `$1`-style parameters, `::BIGINT` / `::VARCHAR` casts) plus these helpers for the
 * rest; each engine's adapter (`warehouse/<engine>/`) supplies its own. Nothing outside
 * `warehouse/<engine>/` names an engine.
 *
 * Parameters are written `$1, $2…` on every engine: the ClickHouse adapter turns them into typed
 * `{pN:Type}` parameters from the JS values (string, safe integer, boolean, Date, string array).
 *
 * @example
 *   const d = warehouse.dialect;
 *   `SELECT ${d.epochMs('max(payment_time)')} AS last_ms FROM payments WHERE payment_time >= ${d.timestamp(from)}`
 */
export interface SqlDialect {
  /**
   * How a read over many time segments of a rollup (src/analytics/rollup-query.ts) runs fastest
   * on this engine; both shapes are portable SQL and return the same rows.
   * - `branch_per_segment`: one `UNION ALL` branch per segment, each with its own tight bucket
   *   bounds and a constant segment index (DuckDB: each branch skips row groups by min/max).
   * - `scan_per_grain`: one scan per rollup grain over all of that grain's segments (an OR of
   *   bucket ranges), the segment index chosen per row by a CASE on the bucket (ClickHouse pays a
   *   fixed set-up per UNION ALL branch, and a long OR of ranges or a deep CASE costs as much).
   */
  readonly rollupReadShape: 'branch_per_segment' | 'scan_per_grain';
  /**
   * The `index` of the segment holding the instant `bucket` (a timestamp expression whose values
   * are whole multiples of `grainMs` since the epoch, as a rollup's buckets are), or -1 when none
   * holds it. `segments` are disjoint, `from`/`to` multiples of `grainMs`.
   */
  segmentIndex(bucket: string, grainMs: number, segments: readonly { from: number; to: number; index: number }[]): string;
  /**
   * A statement that reads rollup tables and only sums their measures, marked so an engine that
   * merges rollup rows at read time may skip that merge: the sums are the same either way
   * (ClickHouse reads with `final = 1` for its replaced rows; FINAL on a SummingMergeTree rollup
   * merged ~18M rows before summing them: 10 s → 0.6 s without, 10M payments). Identity elsewhere.
   */
  summingRead(sql: string): string;
  /** A UTC instant (epoch ms) as a timestamp literal. */
  timestamp(ms: number): string;
  /** A parameter holding an instant (bind a JS `Date`) as a timestamp: `$n` with the engine's cast. */
  timestampParam(index: number): string;
  /** The instant of a timestamp expression as integer epoch milliseconds. */
  epochMs(expr: string): string;
  /** A timestamp expression shifted by a whole number of milliseconds (may be negative). */
  plusMs(expr: string, ms: number | string): string;
  /**
   * The start of the `unit` containing the timestamp `expr`, truncated in UTC (the caller shifts
   * by a zone's offset first when it wants local buckets: `truncate(plusMs(t, offset), 'hour')`).
   */
  truncate(expr: string, unit: 'minute' | 'hour' | 'day'): string;
  /** `YYYY-MM-DD` of a timestamp expression, in UTC. */
  utcDate(expr: string): string;
  /** The current instant. */
  now(): string;
  /** Nearest-rank quantile (the ⌈q·n⌉-th smallest value) of an integer expression, as BIGINT. */
  quantileDisc(expr: string, q: number): string;
  /** Median of an integer expression, as a number (the mean of the two middle values for even n). */
  median(expr: string): string;
  /** `count(*)` of the rows matching `condition` inside an aggregate query. */
  countIf(condition: string): string;
  /** `sum(expr)` over the rows matching `condition`, 0 when none. */
  sumIf(expr: string, condition: string): string;
  /**
   * `min(expr)` over the rows matching `condition`, NULL when none (an engine whose conditional
   * aggregates return the type's default for no rows must make it NULL: callers count it).
   */
  minIf(expr: string, condition: string): string;
  /**
   * The value of `value` on the row with the smallest `by` among the rows matching `condition`,
   * NULL when none (`by` is unique inside the group, so the answer is deterministic).
   */
  argMinIf(value: string, by: string, condition: string): string;
  /**
   * A top-level key of a JSON text/JSON column as text: strings unquoted, numbers and booleans as
   * written, NULL when the key is missing or JSON null. `key` must be a plain identifier.
   */
  jsonText(expr: string, key: string): string;
}

/** A JSON key a dialect inlines into SQL: letters, digits and `_` only (anything else is a bug upstream). */
export function jsonKey(key: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(key)) throw new Error(`json key '${key}' is not a plain identifier`);
  return key;
}
