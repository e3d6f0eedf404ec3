import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { periodIndexSql } from './periods.js';

/** Evaluates the generated CASE in JavaScript: `CASE WHEN t < b THEN x ELSE y END` → a ternary. */
function evaluate(sql: string, t: number): number {
  const js = sql.replaceAll('CASE WHEN t <', '(t <').replaceAll(' THEN ', ' ? ').replaceAll(' ELSE ', ' : ').replaceAll(' END', ')');
  return new Function('t', `return ${js};`)(t) as number;
}

describe('periodIndexSql', () => {
  it('gives the index i with bounds[i] ≤ t < bounds[i+1], as a linear scan does', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 2, maxLength: 40 }).map((b) => b.sort((x, y) => x - y)),
        fc.integer({ min: 0, max: 10_000 }),
        (bounds, raw) => {
          const first = bounds[0] as number;
          const last = bounds[bounds.length - 1] as number;
          const t = first + (raw % (last - first));
          const expected = bounds.findLastIndex((b) => b <= t);
          expect(evaluate(periodIndexSql('t', bounds, String), t)).toBe(expected);
        },
      ),
    );
  });
});
