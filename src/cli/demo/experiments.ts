import { type ExperimentDefinitionInput, assignVariant } from '../../contracts/index.js';

/**
 * The demo shop's two experiments, defined in Payscope at the start of the backfill (and started
 * at the history's first day) so the Experiments page has definitions to go with the exposures the
 * sessions send. Variants come from the same sticky hash the assignment endpoint answers with.
 * The demo's 30 days hold a few thousand sessions per variant, so its minimum sample is 1,000
 * per variant instead of the product default of 10,000 (which a demo would never reach).
 */
export const DEMO_EXPERIMENTS = [
  {
    key: 'exp_one_tap_checkout',
    name: 'One-tap UPI pay button at checkout',
    hypothesis: 'A one-tap UPI button on the payment step lifts checkout completion (the demo builds in 71 % → 79 %).',
    unit_type: 'session',
    variants: [
      { key: 'control', name: 'Current payment step', weight: 5000 },
      { key: 'one_tap', name: 'One-tap UPI', weight: 5000 },
    ],
    primary_metric: 'checkout_completion_rate',
    min_sample_per_variant: 1000,
  },
  {
    key: 'exp_reco_carousel',
    name: 'Recommendations carousel on product pages',
    hypothesis: 'A carousel of related products lifts add-to-cart (the demo builds in 43 % → 48 %).',
    unit_type: 'session',
    variants: [
      { key: 'control', name: 'No carousel', weight: 5000 },
      { key: 'carousel', name: 'Carousel', weight: 5000 },
    ],
    primary_metric: 'add_to_cart_rate',
    secondary_metrics: ['checkout_completion_rate', 'aov', 'bounce_rate'],
    min_sample_per_variant: 1000,
  },
] as const satisfies readonly ExperimentDefinitionInput[];

/** The demo session's variant and bucket in one of the demo experiments. */
export function demoVariant(key: (typeof DEMO_EXPERIMENTS)[number]['key'], sessionId: string): { variant: string; bucket: number } {
  const experiment = DEMO_EXPERIMENTS.find((e) => e.key === key);
  if (!experiment) throw new Error(`no demo experiment ${key}`);
  const a = assignVariant<{ key: string; weight: number }>(key, experiment.variants, sessionId);
  return { variant: a.variant.key, bucket: a.bucket };
}
