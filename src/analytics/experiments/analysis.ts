import type { ExperimentDefinition, ExperimentMetric } from '../../contracts/experiment-definition.js';
import { type GuardrailVerdict, evaluateGuardrails } from '../../contracts/experiment-guardrails.js';
import { divideHalfEven, formatDecimal } from '../decimal.js';
import type { ExperimentSummaries, VariantSummary } from '../../warehouse/queries/experiment-queries.js';
import { type Interval, type SampleRatioCheck, sampleRatioMismatch, twoProportionZTest, welchTTest } from './statistics.js';

/**
 * From per-variant summaries to the report a growth team reads: each metric per variant with its
 * comparison to control (fixed-horizon and always-valid intervals, relative lift, p-value), the
 * sample-ratio check, whether runtime and sample are reached, and the verdict of the primary
 * metric. Pure: the same summaries always give the same report.
 */

const DAY_MS = 86_400_000;

/** Rate metrics where lower is better (a significant decrease is the good outcome). */
const LOWER_IS_BETTER: ReadonlySet<ExperimentMetric> = new Set(['bounce_rate', 'error_rate', 'payment_failure_rate']);

export interface Comparison {
  difference: number;
  ci: Interval;
  sequential_ci: Interval;
  relative_lift: number | null;
  relative_lift_ci: Interval | null;
  p_value: number;
  significant: boolean;
}

export interface RateMetric {
  value: number | null;
  numerator: number;
  denominator: number;
  vs_control: Comparison | null;
}

export interface AovMetric {
  currency: string;
  orders: number;
  sum_minor: number;
  /** The exact mean in minor units, rounded half-even to 2 decimals ("123456.78"). */
  mean_minor: string;
  vs_control: (Comparison & { df: number }) | null;
}

export interface VariantReport {
  key: string;
  name: string | null;
  is_control: boolean;
  weight: number;
  units: number;
  metrics: Record<Exclude<ExperimentMetric, 'aov'>, RateMetric> & { aov: AovMetric[] };
}

export type Decision = 'WINNER' | 'INCONCLUSIVE' | 'KEEP_RUNNING' | 'BLOCKED_SRM' | 'NO_DATA';

export interface ExperimentReport {
  window: { from: string; to: string; days: number };
  srm: { chi_square: number; p_value: number; expected_units: number[]; mismatch: boolean };
  multi_variant_units: number;
  metrics_available: boolean;
  readiness: { min_runtime_reached: boolean; min_sample_reached: boolean; max_runtime_reached: boolean };
  primary_metric: ExperimentMetric;
  verdict: { decision: Decision; winner_variant: string | null; reason: string };
  comparisons: number;
  /** The hourly job's guardrails on the same figures (what it would do now). */
  guardrails: GuardrailVerdict;
  variants: VariantReport[];
}

function comparisonOf(r: {
  difference: number;
  ci: Interval;
  sequentialCi: Interval;
  relativeLift: number | null;
  relativeLiftCi: Interval | null;
  pValue: number;
  significant: boolean;
}): Comparison {
  return {
    difference: r.difference,
    ci: r.ci,
    sequential_ci: r.sequentialCi,
    relative_lift: r.relativeLift,
    relative_lift_ci: r.relativeLiftCi,
    p_value: r.pValue,
    significant: r.significant,
  };
}

function rate(numerator: number, denominator: number, control: { numerator: number; denominator: number } | null): RateMetric {
  const value = denominator > 0 ? numerator / denominator : null;
  const vs =
    control && control.denominator > 0 && denominator > 0
      ? comparisonOf(
          twoProportionZTest(
            { units: control.denominator, conversions: control.numerator },
            { units: denominator, conversions: numerator },
          ),
        )
      : null;
  return { value, numerator, denominator, vs_control: vs };
}

const RATE_PARTS: Record<Exclude<ExperimentMetric, 'aov'>, (s: VariantSummary) => { numerator: number; denominator: number }> = {
  checkout_completion_rate: (s) => ({ numerator: s.convertedUnits, denominator: s.units }),
  add_to_cart_rate: (s) => ({ numerator: s.cartUnits, denominator: s.units }),
  bounce_rate: (s) => ({ numerator: s.bouncedUnits, denominator: s.units }),
  error_rate: (s) => ({ numerator: s.errorUnits, denominator: s.units }),
  payment_failure_rate: (s) => ({ numerator: s.failedPayments, denominator: s.payments }),
};

/** The exact mean of `sum / n` minor units, half-even to 2 decimals. */
export function exactMeanMinor(sumMinor: number, n: number): string {
  return formatDecimal(divideHalfEven(BigInt(sumMinor) * 100n, BigInt(n)), 2);
}

function aovMetrics(s: VariantSummary, control: VariantSummary | null): AovMetric[] {
  return s.aov.map((cell) => {
    const c = control?.aov.find((x) => x.currency === cell.currency);
    let vs: AovMetric['vs_control'] = null;
    if (c && control !== s && c.orders >= 2 && cell.orders >= 2 && c.variance !== null && cell.variance !== null) {
      const w = welchTTest(
        { n: c.orders, mean: c.sumMinor / c.orders, variance: c.variance },
        { n: cell.orders, mean: cell.sumMinor / cell.orders, variance: cell.variance },
      );
      vs = { ...comparisonOf(w), df: w.df };
    }
    return {
      currency: cell.currency,
      orders: cell.orders,
      sum_minor: cell.sumMinor,
      mean_minor: exactMeanMinor(cell.sumMinor, cell.orders),
      vs_control: vs,
    };
  });
}

/** Builds the report of one experiment from its summaries over `window`. */
export function analyseExperiment(
  definition: ExperimentDefinition,
  summaries: ExperimentSummaries,
  window: { from: Date; to: Date },
): ExperimentReport {
  const byKey = new Map(summaries.variants.map((s) => [s.variant, s]));
  const empty = (variant: string): VariantSummary => ({
    variant,
    units: 0,
    convertedUnits: 0,
    cartUnits: 0,
    bouncedUnits: 0,
    errorUnits: 0,
    payments: 0,
    failedPayments: 0,
    aov: [],
  });
  const ordered = definition.variants.map((v) => byKey.get(v.key) ?? empty(v.key));
  const control = ordered[0] as VariantSummary;
  const variants: VariantReport[] = definition.variants.map((v, i) => {
    const s = ordered[i] as VariantSummary;
    const isControl = i === 0;
    const metrics = Object.fromEntries(
      Object.entries(RATE_PARTS).map(([name, parts]) => [
        name,
        rate(parts(s).numerator, parts(s).denominator, isControl ? null : parts(control)),
      ]),
    ) as Record<Exclude<ExperimentMetric, 'aov'>, RateMetric>;
    return {
      key: v.key,
      name: v.name ?? null,
      is_control: isControl,
      weight: v.weight,
      units: s.units,
      metrics: { ...metrics, aov: aovMetrics(s, isControl ? null : control) },
    };
  });
  const srm: SampleRatioCheck = sampleRatioMismatch(
    ordered.map((s) => s.units),
    definition.variants.map((v) => v.weight),
  );
  const days = (window.to.getTime() - window.from.getTime()) / DAY_MS;
  const readiness = {
    min_runtime_reached: days >= definition.min_runtime_days,
    min_sample_reached: ordered.every((s) => s.units >= definition.min_sample_per_variant),
    max_runtime_reached: days >= definition.max_runtime_days,
  };
  return {
    window: { from: window.from.toISOString(), to: window.to.toISOString(), days: Math.round(days * 1000) / 1000 },
    srm: { chi_square: srm.chiSquare, p_value: srm.pValue, expected_units: srm.expected, mismatch: srm.mismatch },
    multi_variant_units: summaries.multiVariantUnits,
    metrics_available: summaries.metricsAvailable,
    readiness,
    primary_metric: definition.primary_metric,
    verdict: verdictOf(definition, variants, srm, readiness, ordered),
    comparisons: definition.variants.length - 1,
    guardrails: evaluateGuardrails(definition, ordered),
    variants,
  };
}

function primaryComparison(metric: ExperimentMetric, v: VariantReport): Comparison | null {
  if (metric !== 'aov') return v.metrics[metric].vs_control;
  // AOV: the currency with the most orders decides (amounts of different currencies never mix).
  const cell = [...v.metrics.aov].sort((a, b) => b.orders - a.orders)[0];
  return cell?.vs_control ?? null;
}

function verdictOf(
  definition: ExperimentDefinition,
  variants: VariantReport[],
  srm: SampleRatioCheck,
  readiness: ExperimentReport['readiness'],
  summaries: VariantSummary[],
): ExperimentReport['verdict'] {
  if (summaries.every((s) => s.units === 0)) return { decision: 'NO_DATA', winner_variant: null, reason: 'no exposures in the window' };
  if (srm.mismatch) {
    return {
      decision: 'BLOCKED_SRM',
      winner_variant: null,
      reason: `sample ratio mismatch: chi-square ${srm.chiSquare.toFixed(2)}, p = ${srm.pValue.toExponential(2)} < 0.001; fix the assignment before reading results`,
    };
  }
  if (!readiness.min_runtime_reached || !readiness.min_sample_reached) {
    return {
      decision: 'KEEP_RUNNING',
      winner_variant: null,
      reason: `needs ${definition.min_runtime_days} days and ${definition.min_sample_per_variant} units per variant; read the always-valid interval until then`,
    };
  }
  const metric = definition.primary_metric;
  const better = (c: Comparison) => (LOWER_IS_BETTER.has(metric) ? c.difference < 0 : c.difference > 0);
  const treatments = variants.slice(1).map((v) => ({ v, c: primaryComparison(metric, v) }));
  const winners = treatments
    .filter((t) => t.c?.significant && better(t.c))
    .sort((a, b) => Math.abs(b.c?.difference ?? 0) - Math.abs(a.c?.difference ?? 0));
  const best = winners[0];
  if (best) {
    return {
      decision: 'WINNER',
      winner_variant: best.v.key,
      reason: `${best.v.key} beats control on ${metric} (p = ${best.c?.p_value.toPrecision(3)})`,
    };
  }
  if (treatments.length > 0 && treatments.every((t) => t.c?.significant && !better(t.c))) {
    const controlKey = variants[0]?.key ?? 'control';
    return { decision: 'WINNER', winner_variant: controlKey, reason: `every treatment is significantly worse than control on ${metric}` };
  }
  if (readiness.max_runtime_reached) {
    return {
      decision: 'INCONCLUSIVE',
      winner_variant: null,
      reason: `no significant difference on ${metric} after ${definition.max_runtime_days} days`,
    };
  }
  return {
    decision: 'KEEP_RUNNING',
    winner_variant: null,
    reason: `no significant difference on ${metric} yet; max runtime ${definition.max_runtime_days} days`,
  };
}
