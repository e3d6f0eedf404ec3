import { type SqlDialect, jsonKey } from '../sql-dialect.js';
import { clickHouseTime } from './clickhouse-values.js';

const literal = (ms: number) => {
  if (!Number.isSafeInteger(ms)) throw new Error(`timestamp literal: ${ms} is not whole epoch milliseconds`);
  return `toDateTime64('${clickHouseTime(ms)}', 3, 'UTC')`;
};

/**
 * `transform` (a hash lookup) of the bucket's number — epoch seconds ÷ the grain — in the list of
 * every bucket of every segment: one lookup per row and short integer lists in the SQL, where a
 * CASE per segment or an OR of 90 ranges took ClickHouse 0.3–1 s to analyse and evaluate
 * (BENCHMARKS.md, issue 11).
 */
function segmentIndex(bucket: string, grainMs: number, segments: readonly { from: number; to: number; index: number }[]): string {
  if (!Number.isSafeInteger(grainMs) || grainMs <= 0 || grainMs % 1000 !== 0) throw new Error(`grain ${grainMs} ms is not whole seconds`);
  const numbers: number[] = [];
  const indexes: number[] = [];
  for (const s of segments) {
    if (s.from % grainMs !== 0 || s.to % grainMs !== 0) throw new Error(`segment ${s.from}..${s.to} is not on whole ${grainMs} ms buckets`);
    for (let t = s.from; t < s.to; t += grainMs) {
      numbers.push(t / grainMs);
      indexes.push(s.index);
    }
  }
  if (numbers.length === 0) return '-1';
  return `transform(intDiv(toUnixTimestamp(${bucket}), ${grainMs / 1000}), [${numbers.join(', ')}], [${indexes.join(', ')}], -1)`;
}

const TRUNCATE = { minute: 'toStartOfMinute', hour: 'toStartOfHour', day: 'toStartOfDay' } as const;

/**
 * ClickHouse's SQL for what differs between engines (see `sql-dialect.ts`). Timestamps are
 * `DateTime64(3, 'UTC')`. `median()` and `quantile()` are approximate in ClickHouse (a sample of
 * 8,192 values), so both are spelled out exactly as DuckDB computes them: the median as
 * `quantileExactInclusive(0.5)` (the mean of the two middle values), the nearest-rank quantile from
 * the sorted values — `quantileExactLow` picks the next value up when q·n is whole (checked
 * against DuckDB's `quantile_disc` in clickhouse-dialect.test.ts).
 */
export const clickHouseDialect: SqlDialect = {
  // One scan per grain: ClickHouse plans and builds a pipeline per UNION ALL branch (BENCHMARKS.md, issue 11).
  rollupReadShape: 'scan_per_grain',
  segmentIndex,
  // Rollups are SummingMergeTree: summing unmerged rows gives the merged rows' sums, so no FINAL.
  summingRead: (sql) => `${sql}\nSETTINGS final = 0`,
  timestamp: literal,
  timestampParam: (index) => `$${index}::TIMESTAMP`,
  epochMs: (expr) => `toUnixTimestamp64Milli(${expr})`,
  plusMs: (expr, ms) => `addMilliseconds(${expr}, ${typeof ms === 'number' ? ms : `(${ms})`})`,
  truncate: (expr, unit) => `toDateTime64(${TRUNCATE[unit]}(${expr}, 'UTC'), 3, 'UTC')`,
  utcDate: (expr) => `formatDateTime(${expr}, '%Y-%m-%d', 'UTC')`,
  now: () => `now64(3, 'UTC')`,
  quantileDisc: (expr, q) => {
    if (!(q >= 0 && q <= 1)) throw new Error(`quantile ${q} is not between 0 and 1`);
    return `if(count(${expr}) = 0, NULL, toInt64(arrayElement(arraySort(groupArray(${expr})), toUInt64(greatest(1, ceil(${q} * count(${expr})))))))`;
  },
  median: (expr) => `if(count(${expr}) = 0, NULL, quantileExactInclusive(0.5)(${expr}))`,
  countIf: (condition) => `countIf(${condition})`,
  sumIf: (expr, condition) => `coalesce(sumIf(${expr}, ${condition}), 0)`,
  // minIf alone answers the type's default (0, 1970-01-01) when no row matches; the OrNull combinator gives NULL.
  minIf: (expr, condition) => `minOrNullIf(${expr}, ${condition})`,
  argMinIf: (value, by, condition) => `argMinOrNullIf(${value}, ${by}, ${condition})`,
  // JSONExtractString answers '' for a number or a missing key: strings unquoted, other scalars raw, null/missing NULL.
  jsonText: (expr, key) => {
    const k = `'${jsonKey(key)}'`;
    return `multiIf(JSONType(${expr}, ${k}) = 'String', JSONExtractString(${expr}, ${k}), JSONType(${expr}, ${k}) IN ('Null', 'Array', 'Object') OR NOT JSONHas(${expr}, ${k}), NULL, JSONExtractRaw(${expr}, ${k}))`;
  },
};
