import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type RfmInput, type Score, quintileScores, scoreCustomers, segmentOf } from './rfm-scores.js';

/** Brute force: for each customer, count the others strictly worse, O(n²). */
function referenceScore(values: readonly number[], higherIsBetter: boolean): number[] {
  return values.map((v) => {
    const worse = values.filter((w) => (higherIsBetter ? w < v : w > v)).length;
    return 1 + Math.floor((5 * worse) / values.length);
  });
}

describe('RFM quintile scores', () => {
  it('scores every value as 1 + ⌊5 × (customers strictly worse) / n⌋, as a brute-force count does', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 200 }), fc.boolean(), (values, higher) => {
        expect(quintileScores(values, higher)).toEqual(referenceScore(values, higher));
      }),
    );
  });

  it('gives equal values the same score, never splitting a tie across a quintile edge', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 100 }), fc.boolean(), (values, higher) => {
        const scores = quintileScores(values, higher);
        for (let i = 0; i < values.length; i++) {
          for (let j = 0; j < values.length; j++) if (values[i] === values[j]) expect(scores[i]).toBe(scores[j]);
        }
      }),
    );
  });

  it('puts the edges at 20, 40, 60 and 80 % of customers strictly worse: ten distinct values score 1,1,2,2,3,3,4,4,5,5', () => {
    expect(quintileScores([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], true)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    // A customer beating exactly 20 % (2 of 10) is on the edge and scores 2, not 1.
    expect(quintileScores([5, 5, 7, 7, 7, 7, 7, 7, 7, 9], true)).toEqual([1, 1, 2, 2, 2, 2, 2, 2, 2, 5]);
  });

  it('scores ties at the bottom together and skips scores above them: 60 % with one order all score F=1, two orders score 4', () => {
    expect(quintileScores([1, 1, 1, 1, 1, 1, 2, 2, 3, 3], true)).toEqual([1, 1, 1, 1, 1, 1, 4, 4, 5, 5]);
  });

  it('rewards fewer days since the last order for R', () => {
    expect(quintileScores([0, 10, 20, 30, 40], false)).toEqual([5, 4, 3, 2, 1]);
  });

  it('scores a single customer, or all equal, as 1', () => {
    expect(quintileScores([7], true)).toEqual([1]);
    expect(quintileScores([3, 3, 3], false)).toEqual([1, 1, 1]);
  });
});

describe('RFM segments', () => {
  const scores = [1, 2, 3, 4, 5] as const;
  /** The rules, each on its own; the first in the order wins. */
  const rules: [string, (r: number, f: number, m: number) => boolean][] = [
    ['champions', (r, f, m) => r >= 4 && f >= 4 && m >= 4],
    ['loyal', (r, f) => r >= 3 && f >= 3],
    ['new', (r, f) => r >= 4 && f === 1],
    ['potential_loyalists', (r, f, m) => r >= 4 && f >= 2 && m <= 2],
    ['at_risk', (r, f) => r <= 2 && f >= 3],
    ['lost', (r, f) => r === 1 && f === 1],
  ];

  it('assigns each of the 125 score triples to the first matching rule in the written precedence', () => {
    for (const r of scores) {
      for (const f of scores) {
        for (const m of scores) {
          const expected = rules.find(([, rule]) => rule(r, f, m))?.[0] ?? 'others';
          expect(segmentOf(r as Score, f as Score, m as Score)).toBe(expected);
        }
      }
    }
  });

  it('makes a high-R, high-F, high-M customer a champion rather than loyal (precedence)', () => {
    expect(segmentOf(5, 5, 5)).toBe('champions');
    expect(segmentOf(5, 5, 3)).toBe('loyal');
    expect(segmentOf(5, 1, 1)).toBe('new');
    expect(segmentOf(4, 2, 2)).toBe('potential_loyalists');
    expect(segmentOf(2, 3, 5)).toBe('at_risk');
    expect(segmentOf(1, 1, 5)).toBe('lost');
    expect(segmentOf(2, 2, 2)).toBe('others');
  });

  it('scores customers on all three measures at once', () => {
    const input: RfmInput[] = [
      { customer: 'a', recency_days: 1, orders: 9, monetary_minor: 9000 },
      { customer: 'b', recency_days: 200, orders: 1, monetary_minor: 100 },
    ];
    const out = scoreCustomers(input);
    expect(out.map((c) => [c.customer, c.r, c.f, c.m, c.segment])).toEqual([
      ['a', 3, 3, 3, 'loyal'],
      ['b', 1, 1, 1, 'lost'],
    ]);
  });
});
