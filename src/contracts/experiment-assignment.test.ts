import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUCKETS, assignVariant, assignmentBucket, fnv1a32, variantOfBucket } from './experiment-assignment.js';

describe('sticky assignment', () => {
  it('FNV-1a 32 matches the published test vectors (draft-eastlake-fnv, FNV-1a 32-bit)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('keeps the pinned buckets of version 1 (a change here reassigns every running experiment)', () => {
    // Pinned when the hash shipped (2026-12-03); never edit these to make a test pass.
    expect(assignmentBucket('exp_one_tap_checkout', 'sess_0001')).toBe(PINNED.one);
    expect(assignmentBucket('exp_reco_carousel', 'sess_0001')).toBe(PINNED.two);
    expect(assignmentBucket('exp_reco_carousel', 'U-1001')).toBe(PINNED.three);
    expect(assignmentBucket('checkout-ü', 'ünit')).toBe(PINNED.four);
  });

  it('spreads 100,000 units uniformly over 100 bucket groups (chi-square p > 0.001)', () => {
    const groups = new Array(100).fill(0);
    for (let i = 0; i < 100_000; i++) groups[Math.floor(assignmentBucket('exp_uniformity', `unit-${i}`) / 100)]++;
    const expected = 1000;
    const chi = groups.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
    expect(1 - chisquareCdf(chi, 99)).toBeGreaterThan(0.001);
  });

  it('splits 100,000 units by the weights (70/30) within a chi-square bound', () => {
    const variants = [
      { key: 'control', weight: 7000 },
      { key: 'treatment', weight: 3000 },
    ];
    let control = 0;
    for (let i = 0; i < 100_000; i++) if (assignVariant('exp_split', variants, `s-${i}`).variant.key === 'control') control++;
    const chi = (control - 70_000) ** 2 / 70_000 + (100_000 - control - 30_000) ** 2 / 30_000;
    expect(1 - chisquareCdf(chi, 1)).toBeGreaterThan(0.001);
  });

  it('gives every unit the same answer after an edit that keeps order and weights', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ minLength: 1, maxLength: 40 }), (key, unit) => {
        const before = [
          { key: 'control', weight: 5000, description: 'old' },
          { key: 'treatment', weight: 5000, description: 'old' },
        ];
        const after = before.map((v) => ({ ...v, description: 'renamed copy' }));
        expect(assignVariant(key, after, unit).variant.key).toBe(assignVariant(key, before, unit).variant.key);
        const b = assignmentBucket(key, unit);
        expect(b).toBeGreaterThanOrEqual(0);
        expect(b).toBeLessThan(BUCKETS);
      }),
    );
  });

  it('maps buckets to variants by cumulative weights', () => {
    const v = [
      { key: 'a', weight: 2500 },
      { key: 'b', weight: 2500 },
      { key: 'c', weight: 5000 },
    ];
    expect(variantOfBucket(v, 0).key).toBe('a');
    expect(variantOfBucket(v, 2499).key).toBe('a');
    expect(variantOfBucket(v, 2500).key).toBe('b');
    expect(variantOfBucket(v, 5000).key).toBe('c');
    expect(variantOfBucket(v, 9999).key).toBe('c');
  });
});

const PINNED = { one: 7947, two: 9578, three: 6890, four: 4439 };
