import { z } from 'zod';
import { BUCKETS } from './experiment-assignment.js';

/**
 * An experiment's definition (issue 12 §4): what is tested on whom, what decides it and what stops
 * it. The first variant is the control. Weights are basis points summing to 10,000 (the assignment
 * buckets), so a split is exact and an edit that keeps order and weights keeps every unit's variant.
 */

export const EXPERIMENT_METRICS = [
  'checkout_completion_rate',
  'add_to_cart_rate',
  'bounce_rate',
  'error_rate',
  'payment_failure_rate',
  'aov',
] as const;
export type ExperimentMetric = (typeof EXPERIMENT_METRICS)[number];

export const EXPERIMENT_UNIT_TYPES = ['session', 'user', 'customer', 'device', 'merchant'] as const;

const key = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,99}$/, { error: 'must be 1–100 characters of a-z, 0-9, _ . - starting with a letter or digit' });

export const variantSchema = z.strictObject({
  key,
  name: z.string().trim().min(1).max(200).optional(),
  weight: z.int().min(1).max(BUCKETS).describe('Basis points of traffic; all variants sum to 10,000.'),
});

export const guardrailsSchema = z
  .strictObject({
    error_rate_ratio: z.number().gt(1).max(100).default(2).describe('Stop when a variant’s error rate exceeds this multiple of control’s.'),
    payment_failure_points: z
      .number()
      .gt(0)
      .max(100)
      .default(1)
      .describe('Pause when a variant’s payment failure rate exceeds control’s by this many points.'),
    p95_latency_ms: z
      .int()
      .min(1)
      .max(600_000)
      .default(200)
      .describe('Stop when a variant’s p95 latency exceeds control’s by this many ms (needs latency data).'),
    min_units_per_variant: z
      .int()
      .min(1)
      .max(10_000_000)
      .default(1000)
      .describe('Exposed units each variant needs before a guardrail may fire.'),
    min_payments_per_variant: z
      .int()
      .min(1)
      .max(10_000_000)
      .default(200)
      .describe('Payments each variant needs before the payment-failure guardrail may fire.'),
  })
  .describe('Thresholds evaluated hourly; each fires only after its minimum sample.');

export const experimentDefinitionSchema = z
  .strictObject({
    key: key.describe('Stable id used in exposures (experiment_id) and the assignment hash; never changes.'),
    name: z.string().trim().min(1).max(200),
    hypothesis: z.string().trim().max(4000).default(''),
    unit_type: z.enum(EXPERIMENT_UNIT_TYPES).default('session'),
    variants: z.array(variantSchema).min(2).max(10).describe('The first variant is the control.'),
    target: z
      .strictObject({
        audience: z.string().trim().max(500).default('all visitors'),
        countries: z
          .array(z.string().regex(/^[A-Z]{2}$/))
          .max(250)
          .default([]),
        device_types: z.array(z.string().max(50)).max(20).default([]),
      })
      .default({ audience: 'all visitors', countries: [], device_types: [] })
      .describe('Who is eligible; the sender enforces it before asking for an assignment.'),
    primary_metric: z.enum(EXPERIMENT_METRICS).default('checkout_completion_rate'),
    secondary_metrics: z.array(z.enum(EXPERIMENT_METRICS)).max(EXPERIMENT_METRICS.length).default(['aov', 'bounce_rate', 'error_rate']),
    min_runtime_days: z.int().min(1).max(365).default(14),
    max_runtime_days: z.int().min(1).max(365).default(28),
    min_sample_per_variant: z.int().min(1).max(100_000_000).default(10_000),
    guardrails: guardrailsSchema.default(guardrailsSchema.parse({})),
  })
  .superRefine((d, ctx) => {
    const sum = d.variants.reduce((s, v) => s + v.weight, 0);
    if (sum !== BUCKETS)
      ctx.addIssue({ code: 'custom', path: ['variants'], message: `weights must sum to ${BUCKETS} basis points; they sum to ${sum}` });
    const keys = new Set(d.variants.map((v) => v.key));
    if (keys.size !== d.variants.length) ctx.addIssue({ code: 'custom', path: ['variants'], message: 'variant keys must be unique' });
    if (d.max_runtime_days < d.min_runtime_days) {
      ctx.addIssue({ code: 'custom', path: ['max_runtime_days'], message: 'must be at least min_runtime_days' });
    }
  });

export type ExperimentDefinitionInput = z.input<typeof experimentDefinitionSchema>;
export type ExperimentDefinition = z.output<typeof experimentDefinitionSchema>;
export type ExperimentVariant = z.output<typeof variantSchema>;
export type ExperimentGuardrails = z.output<typeof guardrailsSchema>;
