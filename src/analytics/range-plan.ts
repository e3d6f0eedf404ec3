import type { Grain } from '../warehouse/tables.js';

/**
 * Cutting a time range into rollup buckets: the coarsest grain whose UTC buckets fit inside the
 * range serves its middle, finer grains its edges. A local day in Asia/Kolkata
 * (18:30 → 18:30 UTC) becomes two quarter hours, 23 hours and two quarter hours; a UTC month
 * becomes whole days. The range must start and end on whole minutes.
 */

export interface Segment {
  grain: Grain;
  /** UTC instants, `from` inclusive, `to` exclusive, both multiples of the grain. */
  from: number;
  to: number;
}

const COARSE_TO_FINE: readonly { grain: Grain; ms: number }[] = [
  { grain: 'day', ms: 86_400_000 },
  { grain: 'hour', ms: 3_600_000 },
  { grain: 'quarter_hour', ms: 900_000 },
  { grain: 'minute', ms: 60_000 },
];

/** The rollup segments that exactly cover [from, to). */
export function coverRange(from: number, to: number, level = 0): Segment[] {
  if (from >= to) return [];
  const g = COARSE_TO_FINE[level] as { grain: Grain; ms: number };
  if (level === COARSE_TO_FINE.length - 1) {
    if (from % g.ms !== 0 || to % g.ms !== 0) throw new Error(`range ${from}..${to} is not on whole minutes`);
    return [{ grain: g.grain, from, to }];
  }
  const a = Math.ceil(from / g.ms) * g.ms;
  const b = Math.floor(to / g.ms) * g.ms;
  if (a >= b) return coverRange(from, to, level + 1);
  return [...coverRange(from, a, level + 1), { grain: g.grain, from: a, to: b }, ...coverRange(b, to, level + 1)];
}
