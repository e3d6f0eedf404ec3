import { describe, expect, it } from 'vitest';
import { duckDbDialect } from '../warehouse/duckdb/duckdb-dialect.js';
import type { SqlDialect } from '../warehouse/sql-dialect.js';
import { mergedRanges, rollupSql, segmentsByGrain, segmentsOf } from './rollup-query.js';

/**
 * The statement's shape per `SqlDialect.rollupReadShape` (that both shapes return the same totals
 * on both engines is test/warehouse/rollup-read-shapes.test.ts).
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 1);
// Ten Asia/Kolkata days: quarter hours and hours at both ends of each, so three grains.
const kolkataDays = Array.from({ length: 10 }, (_, i) => ({ from: T0 + i * DAY + 18.5 * HOUR, to: T0 + (i + 1) * DAY + 18.5 * HOUR }));
const select = { group: null, extra: ['status'], measures: ['payments'] };
const shaped = (shape: SqlDialect['rollupReadShape']): SqlDialect => ({ ...duckDbDialect, rollupReadShape: shape });
const branches = (sql: string) => sql.split('UNION ALL').length;

describe('rollupSql', () => {
  it('sends one branch per segment in the branch_per_segment shape', () => {
    const segments = segmentsOf(kolkataDays);
    const sql = rollupSql(shaped('branch_per_segment'), 'payments', segments, select, {}, []);
    expect(branches(sql)).toBe(segments.length);
  });

  it('sends one scan per grain in the scan_per_grain shape, whatever the number of segments', () => {
    const segments = segmentsOf(kolkataDays);
    const grains = new Set(segments.map((s) => s.grain));
    expect(segments.length).toBeGreaterThan(3 * kolkataDays.length - 1);
    const sql = rollupSql(shaped('scan_per_grain'), 'payments', segments, select, {}, []);
    expect(branches(sql)).toBe(grains.size);
    for (const g of grains) expect(sql).toContain(`FROM payments_by_${g} r`);
  });

  it('reads overlapping buckets with a branch per segment in either shape (a row then counts in both)', () => {
    const segments = segmentsOf([
      { from: T0, to: T0 + 2 * DAY },
      { from: T0 + DAY, to: T0 + 3 * DAY },
    ]);
    expect(segmentsByGrain(segments)).toBeNull();
    const sql = rollupSql(shaped('scan_per_grain'), 'payments', segments, select, {}, []);
    expect(branches(sql)).toBe(segments.length);
  });
});

describe('segmentsByGrain and mergedRanges', () => {
  it('orders each grain by time and merges touching segments into one range', () => {
    const byGrain = segmentsByGrain(segmentsOf(kolkataDays));
    const quarterHours = byGrain?.get('quarter_hour') ?? [];
    const hours = byGrain?.get('hour') ?? [];
    expect(quarterHours.map((s) => s.from)).toEqual([...quarterHours.map((s) => s.from)].sort((a, b) => a - b));
    // 18:00–18:30 closes day i and 18:30–19:00 opens day i + 1: one hour-long range between days.
    const ranges = mergedRanges(quarterHours);
    expect(ranges).toHaveLength(kolkataDays.length + 1);
    expect(ranges.slice(1, -1).every((r) => r.to - r.from === HOUR)).toBe(true);
    // The hours of consecutive days are separated by those quarter hours.
    expect(mergedRanges(hours)).toHaveLength(kolkataDays.length);
  });
});
