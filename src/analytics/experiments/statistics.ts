import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/**
 * Frequentist statistics for A/B tests: the two-proportion z-test, Welch's t-test, the
 * sample-ratio-mismatch chi-square and the always-valid confidence interval of GrowthBook's
 * sequential testing. Distributions come from @stdlib (ADR 0011); everything here is arithmetic on
 * summaries (counts, means, variances), so one function serves 10 units or 10 million.
 */

/** The default significance level (95 % intervals). */
export const DEFAULT_ALPHA = 0.05;
/** GrowthBook's default sequential tuning parameter N: the confidence sequence is tightest near N units. */
export const DEFAULT_SEQUENTIAL_TUNING = 5000;
/** A sample-ratio mismatch below this p-value blocks any verdict (GrowthBook's threshold). */
export const SRM_P_THRESHOLD = 0.001;

export interface Interval {
  lower: number;
  upper: number;
}

/** Two-sided p-value of a standard normal statistic. `2Φ(−|z|)`, exact in the tail (no `1 − Φ`). */
export function normalTwoSidedP(z: number): number {
  return Math.min(1, 2 * normalCdf(-Math.abs(z), 0, 1));
}

/** Two-sided p-value of a Student t statistic with `df` degrees of freedom. */
export function tTwoSidedP(t: number, df: number): number {
  return Math.min(1, 2 * tCdf(-Math.abs(t), df));
}

/** The critical value z₁₋α/₂ (1.959964… for α = 0.05). */
export function zCritical(alpha = DEFAULT_ALPHA): number {
  return normalQuantile(1 - alpha / 2, 0, 1);
}

export interface ProportionSample {
  /** Units exposed. */
  units: number;
  /** Units that converted (0 ≤ conversions ≤ units). */
  conversions: number;
}

export interface ProportionTest {
  controlRate: number;
  treatmentRate: number;
  /** treatment − control, in rate units (0.02 = two points). */
  difference: number;
  /** The z statistic with the pooled standard error (the test under H₀: equal rates). */
  z: number;
  pValue: number;
  /** Fixed-horizon (1 − α) interval of the difference, unpooled (Wald) standard error. */
  ci: Interval;
  /** Always-valid (1 − α) interval of the difference: safe to look at any time (see `sequentialHalfWidth`). */
  sequentialCi: Interval;
  /** difference / controlRate; null when the control rate is 0. */
  relativeLift: number | null;
  /** Delta-method interval of the relative lift; null when the control rate is 0. */
  relativeLiftCi: Interval | null;
  significant: boolean;
}

/**
 * Two-proportion z-test, two-sided: the statistic uses the pooled rate (the test of H₀ p₁ = p₂,
 * as statsmodels' `proportions_ztest`), the intervals the unpooled standard error.
 *
 * @example twoProportionZTest({ units: 83, conversions: 5 }, { units: 99, conversions: 12 }).pValue // 0.1592…
 */
export function twoProportionZTest(
  control: ProportionSample,
  treatment: ProportionSample,
  options: { alpha?: number; sequentialTuning?: number } = {},
): ProportionTest {
  checkProportion(control, 'control');
  checkProportion(treatment, 'treatment');
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const p1 = control.conversions / control.units;
  const p2 = treatment.conversions / treatment.units;
  const difference = p2 - p1;
  const pooled = (control.conversions + treatment.conversions) / (control.units + treatment.units);
  const pooledSe = Math.sqrt(pooled * (1 - pooled) * (1 / control.units + 1 / treatment.units));
  const z = pooledSe === 0 ? 0 : difference / pooledSe;
  const var1 = p1 * (1 - p1);
  const var2 = p2 * (1 - p2);
  const se = Math.sqrt(var1 / control.units + var2 / treatment.units);
  const zc = zCritical(alpha);
  const rel = relativeLift(p1, var1, control.units, p2, var2, treatment.units, zc);
  const pValue = pooledSe === 0 ? 1 : normalTwoSidedP(z);
  return {
    controlRate: p1,
    treatmentRate: p2,
    z,
    ...intervalsOf({
      difference,
      se,
      critical: zc,
      n: control.units + treatment.units,
      pValue,
      rel,
      alpha,
      tuning: options.sequentialTuning,
    }),
  };
}

/**
 * What both tests report around a difference: the fixed-horizon interval (±critical·se), the
 * always-valid one over the same variance, the relative lift and significance at `alpha`.
 */
function intervalsOf(r: {
  difference: number;
  se: number;
  critical: number;
  n: number;
  pValue: number;
  rel: { lift: number; ci: Interval } | null;
  alpha: number;
  tuning: number | undefined;
}): Pick<ProportionTest, 'difference' | 'pValue' | 'ci' | 'sequentialCi' | 'relativeLift' | 'relativeLiftCi' | 'significant'> {
  const seqHalf = sequentialHalfWidth(r.se * r.se * r.n, r.n, r.alpha, r.tuning);
  return {
    difference: r.difference,
    pValue: r.pValue,
    ci: { lower: r.difference - r.critical * r.se, upper: r.difference + r.critical * r.se },
    sequentialCi: { lower: r.difference - seqHalf, upper: r.difference + seqHalf },
    relativeLift: r.rel?.lift ?? null,
    relativeLiftCi: r.rel?.ci ?? null,
    significant: r.pValue < r.alpha,
  };
}

export interface MeanSample {
  /** Observations (orders). */
  n: number;
  mean: number;
  /** Sample variance (n − 1 denominator). */
  variance: number;
}

export interface WelchTest {
  difference: number;
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  pValue: number;
  ci: Interval;
  sequentialCi: Interval;
  relativeLift: number | null;
  relativeLiftCi: Interval | null;
  significant: boolean;
}

/**
 * Welch's unequal-variances t-test, two-sided, on summaries. Needs n ≥ 2 on each side.
 *
 * @example welchTTest({ n: 10, mean: 0.75, variance: 3.2006 }, { n: 10, mean: 2.33, variance: 4.009 }).pValue // ≈ 0.0794 (R's sleep data)
 */
export function welchTTest(
  control: MeanSample,
  treatment: MeanSample,
  options: { alpha?: number; sequentialTuning?: number } = {},
): WelchTest {
  checkMean(control, 'control');
  checkMean(treatment, 'treatment');
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const a = control.variance / control.n;
  const b = treatment.variance / treatment.n;
  const se = Math.sqrt(a + b);
  const difference = treatment.mean - control.mean;
  const df = se === 0 ? control.n + treatment.n - 2 : (a + b) ** 2 / (a ** 2 / (control.n - 1) + b ** 2 / (treatment.n - 1));
  const t = se === 0 ? 0 : difference / se;
  const pValue = se === 0 ? (difference === 0 ? 1 : 0) : tTwoSidedP(t, df);
  const tc = tQuantile(1 - alpha / 2, df);
  const rel = relativeLift(control.mean, control.variance, control.n, treatment.mean, treatment.variance, treatment.n, zCritical(alpha));
  return {
    t,
    df,
    ...intervalsOf({ difference, se, critical: tc, n: control.n + treatment.n, pValue, rel, alpha, tuning: options.sequentialTuning }),
  };
}

export interface SampleRatioCheck {
  chiSquare: number;
  df: number;
  pValue: number;
  /** Expected units per variant from the weights. */
  expected: number[];
  /** True when p < 0.001: the split is broken and no verdict may be drawn. */
  mismatch: boolean;
}

/**
 * Sample-ratio-mismatch check: Pearson's chi-square goodness of fit of the observed units per
 * variant against the configured weights (df = variants − 1). Weights need not sum to 1.
 *
 * @example sampleRatioMismatch([10_000, 10_600], [50, 50]) // { chiSquare: 17.48, pValue: 0.000029, mismatch: true, … }
 */
export function sampleRatioMismatch(
  observed: readonly number[],
  weights: readonly number[],
  threshold = SRM_P_THRESHOLD,
): SampleRatioCheck {
  if (observed.length !== weights.length || observed.length < 2) {
    throw new RangeError('sampleRatioMismatch needs one weight per variant and at least two variants');
  }
  if (weights.some((w) => !(w > 0))) throw new RangeError('every weight must be positive');
  if (observed.some((o) => !Number.isInteger(o) || o < 0)) throw new RangeError('observed counts must be non-negative integers');
  const total = observed.reduce((s, o) => s + o, 0);
  const weightSum = weights.reduce((s, w) => s + w, 0);
  const expected = weights.map((w) => (total * w) / weightSum);
  const df = observed.length - 1;
  if (total === 0) return { chiSquare: 0, df, pValue: 1, expected, mismatch: false };
  let chiSquare = 0;
  for (const [i, o] of observed.entries()) {
    const e = expected[i] as number;
    chiSquare += (o - e) ** 2 / e;
  }
  const pValue = 1 - chisquareCdf(chiSquare, df);
  return { chiSquare, df, pValue, expected, mismatch: pValue < threshold };
}

/**
 * Half-width of the two-sided always-valid confidence sequence (Waudby-Smith et al. 2023, eq. 9;
 * GrowthBook's `sequential_interval_halfwidth`): with ρ = √((−2 ln α + ln(−2 ln α + 1)) / N),
 * half = √s² · √(2(nρ² + 1) · ln(√(nρ² + 1) / α) / (nρ)²). `s2` is the per-observation variance:
 * for a two-sample difference with standard error SE pass SE² · (n₁ + n₂), and n = n₁ + n₂.
 * The interval stays valid however often it is looked at; it is wider than the fixed one.
 */
export function sequentialHalfWidth(s2: number, n: number, alpha = DEFAULT_ALPHA, tuning = DEFAULT_SEQUENTIAL_TUNING): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError('alpha must be in (0, 1)');
  if (!(tuning > 0)) throw new RangeError('the sequential tuning parameter must be positive');
  if (n <= 0) return Number.POSITIVE_INFINITY;
  const logAlpha = Math.log(alpha);
  const rho = Math.sqrt((-2 * logAlpha + Math.log(-2 * logAlpha + 1)) / tuning);
  const nr2 = n * rho * rho;
  return Math.sqrt(s2) * Math.sqrt((2 * (nr2 + 1) * Math.log(Math.sqrt(nr2 + 1) / alpha)) / (n * rho) ** 2);
}

/** Relative lift (m₂ − m₁)/m₁ and its delta-method interval (GrowthBook's frequentist relative effect). */
function relativeLift(
  m1: number,
  v1: number,
  n1: number,
  m2: number,
  v2: number,
  n2: number,
  zc: number,
): { lift: number; ci: Interval } | null {
  if (m1 === 0) return null;
  const lift = m2 / m1 - 1;
  const variance = v2 / (n2 * m1 * m1) + (v1 * m2 * m2) / (n1 * m1 ** 4);
  const half = zc * Math.sqrt(variance);
  return { lift, ci: { lower: lift - half, upper: lift + half } };
}

function checkProportion(s: ProportionSample, name: string): void {
  if (!Number.isInteger(s.units) || s.units <= 0) throw new RangeError(`${name}: units must be a positive integer`);
  if (!Number.isInteger(s.conversions) || s.conversions < 0 || s.conversions > s.units) {
    throw new RangeError(`${name}: conversions must be an integer between 0 and units`);
  }
}

function checkMean(s: MeanSample, name: string): void {
  if (!Number.isInteger(s.n) || s.n < 2) throw new RangeError(`${name}: Welch's t-test needs at least 2 observations`);
  if (!Number.isFinite(s.mean) || !(s.variance >= 0)) throw new RangeError(`${name}: mean and a non-negative variance are required`);
}
