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
