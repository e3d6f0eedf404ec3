import { localBucketStarts } from '../time-zones.js';

/** A cohort period: local calendar months, or ISO weeks starting Monday, in the query's zone. */
export type CohortPeriod = 'month' | 'week';

/**
 * The starts of `count` consecutive local periods, the first being the period that holds `from`
 * (DST-aware: each starts at local midnight, or at the end of the gap when midnight was skipped).
 * `count` starts bound `count - 1` whole periods.
 */
export function periodStarts(tz: string, period: CohortPeriod, from: number, count: number): number[] {
  // A month is at most 31 days (+1 h for a DST shift), a week 7 days: overshoot, then cut.
  const span = (period === 'month' ? 32 : 8) * 86_400_000 * (count + 1);
  const starts = localBucketStarts(tz, period, from, from + span, count + 1);
  if (starts.length < count) throw new Error(`periodStarts: found ${starts.length} of ${count} ${period} starts`);
  return starts.slice(0, count);
}

/**
 * A portable SQL expression giving the index of the period holding the timestamp `expr`:
 * `i` when `bounds[i] <= expr < bounds[i+1]`. The caller keeps `expr` within
 * `[bounds[0], bounds[last])`; the zone's calendar lives in the bounds, computed here in
 * TypeScript (ADR 0006: never bucket raw rows with a zone in SQL).
 */
export function periodIndexSql(expr: string, bounds: readonly number[], literal: (ms: number) => string): string {
  if (bounds.length < 2) throw new Error('periodIndexSql needs at least two bounds');
  // Bisection: ⌈log2 n⌉ comparisons a row instead of up to n (25 bounds: 5 instead of 24).
  const within = (lo: number, hi: number): string => {
    if (hi - lo <= 1) return String(lo);
    const mid = (lo + hi) >> 1;
    return `CASE WHEN ${expr} < ${literal(bounds[mid] as number)} THEN ${within(lo, mid)} ELSE ${within(mid, hi)} END`;
  };
  return `(${within(0, bounds.length - 1)})`;
}
