import { describe, expect, it } from 'vitest';
import { experimentDefinitionSchema } from '../../contracts/experiment-definition.js';
import type { ExperimentSummaries, VariantSummary } from '../../warehouse/queries/experiment-queries.js';
import { analyseExperiment, exactMeanMinor } from './analysis.js';
import { twoProportionZTest } from './statistics.js';

const definition = experimentDefinitionSchema.parse({
  key: 'exp',
  name: 'exp',
  variants: [
    { key: 'control', weight: 5000 },
    { key: 'b', weight: 5000 },
  ],
  min_sample_per_variant: 1000,
});
const variant = (key: string, units: number, converted: number): VariantSummary => ({
  variant: key,
  units,
  convertedUnits: converted,
  cartUnits: 0,
  bouncedUnits: 0,
  errorUnits: 0,
  payments: 0,
  failedPayments: 0,
  aov: [],
});
const summaries = (a: VariantSummary, b: VariantSummary): ExperimentSummaries => ({
  variants: [a, b],
  multiVariantUnits: 0,
  metricsAvailable: true,
});
const days = (n: number) => ({ from: new Date('2026-11-01T00:00:00Z'), to: new Date(Date.parse('2026-11-01T00:00:00Z') + n * 86_400_000) });

describe('analyseExperiment', () => {
  it('declares the significant treatment the winner once runtime and sample are reached', () => {
    const r = analyseExperiment(definition, summaries(variant('control', 5000, 3550), variant('b', 5000, 3950)), days(15));
    expect(r.verdict).toMatchObject({ decision: 'WINNER', winner_variant: 'b' });
    const direct = twoProportionZTest({ units: 5000, conversions: 3550 }, { units: 5000, conversions: 3950 });
    expect(r.variants[1]?.metrics.checkout_completion_rate.vs_control?.p_value).toBe(direct.pValue);
  });

  it('keeps running before the minimum runtime, however significant', () => {
    expect(
      analyseExperiment(definition, summaries(variant('control', 5000, 3550), variant('b', 5000, 3950)), days(13)).verdict.decision,
    ).toBe('KEEP_RUNNING');
  });

  it('is inconclusive at the maximum runtime without significance', () => {
    expect(
      analyseExperiment(definition, summaries(variant('control', 5000, 3550), variant('b', 5000, 3560)), days(28)).verdict.decision,
    ).toBe('INCONCLUSIVE');
  });

  it('blocks any verdict on a sample ratio mismatch (p < 0.001)', () => {
    const r = analyseExperiment(definition, summaries(variant('control', 5000, 3550), variant('b', 5600, 4400)), days(20));
    expect(r.srm.mismatch).toBe(true);
    expect(r.verdict.decision).toBe('BLOCKED_SRM');
  });

  it('gives the mean of minor units exactly, half-even to 2 decimals', () => {
    expect(exactMeanMinor(10, 3)).toBe('3.33');
    expect(exactMeanMinor(1, 8)).toBe('0.12'); // 0.125 → 0.12 (half to even)
    expect(exactMeanMinor(3, 8)).toBe('0.38'); // 0.375 → 0.38
    expect(exactMeanMinor(9_007_199_254_740_991, 2)).toBe('4503599627370495.50');
  });
});
