import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalTwoSidedP, sampleRatioMismatch, sequentialHalfWidth, twoProportionZTest, welchTTest, zCritical } from './statistics.js';

const summary = (xs: number[]) => {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return { n: xs.length, mean, variance: xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1) };
};

describe('published worked examples', () => {
  it("Welch's t-test matches R's t.test(extra ~ group, data = sleep) (R documentation, ?t.test)", () => {
    // Student (1908) sleep data as shipped with R. R prints: t = -1.8608, df = 17.776,
    // p-value = 0.07939, 95 percent confidence interval -3.3654832 0.2054832.
    const group1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
    const group2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];
    // R reports group 1 − group 2; our difference is treatment − control, so group 1 is the treatment.
    const r = welchTTest(summary(group2), summary(group1));
    expect(r.t).toBeCloseTo(-1.8608, 4);
    expect(r.df).toBeCloseTo(17.776, 3);
    expect(Math.abs(r.pValue - 0.07939)).toBeLessThan(5e-6); // every digit R prints
    expect(Math.abs(r.ci.lower - -3.3654832)).toBeLessThan(1e-6);
    expect(Math.abs(r.ci.upper - 0.2054832)).toBeLessThan(1e-6);
    expect(r.significant).toBe(false);
  });

  it('chi-square goodness of fit matches SciPy scipy.stats.chisquare documentation to 1e-6', () => {
    // docs.scipy.org, scipy.stats.chisquare, Examples: chisquare([16, 18, 16, 14, 12, 12])
    // → statistic=2.0, pvalue=0.84914503608460956; with f_exp=[16, 16, 16, 16, 16, 8]
    // → statistic=3.5, pvalue=0.62338762774958223.
    const equal = sampleRatioMismatch([16, 18, 16, 14, 12, 12], [1, 1, 1, 1, 1, 1]);
    expect(equal.chiSquare).toBeCloseTo(2.0, 12);
    expect(Math.abs(equal.pValue - 0.84914503608460956)).toBeLessThan(1e-6);
    const weighted = sampleRatioMismatch([16, 18, 16, 14, 12, 12], [16, 16, 16, 16, 16, 8]);
    expect(weighted.chiSquare).toBeCloseTo(3.5, 12);
    expect(Math.abs(weighted.pValue - 0.62338762774958223)).toBeLessThan(1e-6);
  });

  it('two-proportion z-test matches statsmodels proportions_ztest([5, 12], [83, 99]) (statsmodels documentation)', () => {
    // statsmodels.stats.proportion.proportions_ztest, Examples: count = [5, 12], nobs = [83, 99]
    // → p-value printed as 0.159 (pooled variance, two-sided).
    const r = twoProportionZTest({ units: 83, conversions: 5 }, { units: 99, conversions: 12 });
    expect(Math.abs(r.pValue - 0.159)).toBeLessThan(5e-4);
    expect(Math.abs(r.z)).toBeCloseTo(1.4078, 4);
  });

  it('the z-test p-value equals the Pearson chi-square p-value of the 2×2 table to 1e-9 (z² = χ²)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 100_000 }),
        fc.integer({ min: 20, max: 100_000 }),
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
        (n1, n2, r1, r2) => {
          const c1 = Math.round(n1 * r1);
          const c2 = Math.round(n2 * r2);
          // Brute-force Pearson chi-square of the 2×2 table (conversions / non-conversions).
          const table = [
            [c1, n1 - c1],
            [c2, n2 - c2],
          ];
          const total = n1 + n2;
          const colSums = [c1 + c2, total - c1 - c2];
          let chi = 0;
          for (const [i, row] of table.entries()) {
            for (const [j, o] of row.entries()) {
              const e = (([n1, n2][i] as number) * (colSums[j] as number)) / total;
              chi += (o - e) ** 2 / e;
            }
          }
          const z = twoProportionZTest({ units: n1, conversions: c1 }, { units: n2, conversions: c2 });
          expect(z.z * z.z).toBeCloseTo(chi, 6);
          expect(Math.abs(z.pValue - sampleRatioMismatchP(chi))).toBeLessThan(1e-9);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('z critical value for 95 % is 1.959964 (standard normal tables)', () => {
    expect(Math.abs(zCritical(0.05) - 1.959963984540054)).toBeLessThan(1e-12);
    expect(Math.abs(normalTwoSidedP(1.959963984540054) - 0.05)).toBeLessThan(1e-12);
  });
});

/** χ²(1) survival function through the normal: P(χ²₁ > x) = 2Φ(−√x). */
function sampleRatioMismatchP(chi: number): number {
  return normalTwoSidedP(Math.sqrt(chi));
}

describe('properties', () => {
  const sample = fc.record({ units: fc.integer({ min: 2, max: 1_000_000 }), rate: fc.double({ min: 0, max: 1, noNaN: true }) });

  it('p-values lie in [0, 1], the fixed interval holds the difference and the sequential interval holds the fixed one', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const control = { units: a.units, conversions: Math.round(a.units * a.rate) };
        const treatment = { units: b.units, conversions: Math.round(b.units * b.rate) };
        const r = twoProportionZTest(control, treatment);
        expect(r.pValue).toBeGreaterThanOrEqual(0);
        expect(r.pValue).toBeLessThanOrEqual(1);
        expect(r.ci.lower).toBeLessThanOrEqual(r.difference + 1e-12);
        expect(r.ci.upper).toBeGreaterThanOrEqual(r.difference - 1e-12);
        expect(r.sequentialCi.lower).toBeLessThanOrEqual(r.ci.lower + 1e-12);
        expect(r.sequentialCi.upper).toBeGreaterThanOrEqual(r.ci.upper - 1e-12);
      }),
      { numRuns: 300 },
    );
  });

  it('swapping control and treatment negates the difference and keeps the p-value', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const control = { units: a.units, conversions: Math.round(a.units * a.rate) };
        const treatment = { units: b.units, conversions: Math.round(b.units * b.rate) };
        const ab = twoProportionZTest(control, treatment);
        const ba = twoProportionZTest(treatment, control);
        expect(ba.difference).toBeCloseTo(-ab.difference, 12);
        expect(ba.pValue).toBeCloseTo(ab.pValue, 12);
      }),
    );
  });

  it("Welch's p-value does not depend on the unit (minor units vs major units)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 10_000_000 }), { minLength: 2, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 10_000_000 }), { minLength: 2, maxLength: 40 }),
        (xs, ys) => {
          const minor = welchTTest(summary(xs), summary(ys));
          const major = welchTTest(summary(xs.map((x) => x / 100)), summary(ys.map((y) => y / 100)));
          expect(Math.abs(minor.pValue - major.pValue)).toBeLessThan(1e-9);
        },
      ),
    );
  });

  it('a split exactly at its weights has chi-square 0 and no mismatch; a broken 50/50 split is flagged', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 2, maxLength: 6 }),
        fc.integer({ min: 1, max: 5000 }),
        (weights, k) => {
          const r = sampleRatioMismatch(
            weights.map((w) => w * k),
            weights,
          );
          expect(r.chiSquare).toBeCloseTo(0, 9);
          expect(r.mismatch).toBe(false);
        },
      ),
    );
    expect(sampleRatioMismatch([10_000, 10_600], [50, 50]).mismatch).toBe(true);
  });

  it('the sequential half-width shrinks as the sample grows and is wider than the fixed one', () => {
    const s2 = 0.25;
    let previous = Number.POSITIVE_INFINITY;
    for (const n of [100, 1_000, 10_000, 100_000, 1_000_000]) {
      const half = sequentialHalfWidth(s2, n);
      expect(half).toBeLessThan(previous);
      expect(half).toBeGreaterThan(zCritical() * Math.sqrt(s2 / n));
      previous = half;
    }
  });

  it('refuses impossible inputs with a message', () => {
    expect(() => twoProportionZTest({ units: 10, conversions: 11 }, { units: 10, conversions: 1 })).toThrow(/conversions/);
    expect(() => welchTTest({ n: 1, mean: 1, variance: 0 }, { n: 5, mean: 1, variance: 1 })).toThrow(/at least 2/);
    expect(() => sampleRatioMismatch([1], [1])).toThrow(/two variants/);
  });
});
