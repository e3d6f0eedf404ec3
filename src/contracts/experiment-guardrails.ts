import type { ExperimentDefinition } from './experiment-definition.js';

/**
 * When a running experiment must be stopped or paused (issue 12 §4), evaluated hourly by the
 * guardrails job and shown in the analysis. Each guardrail compares every treatment with control
 * and may fire only when both sides reached its minimum sample:
 *
 * - **error rate** — units with an error (an error event, or a technical payment failure:
 *   issuer_unavailable / other) ÷ exposed units. Fires when a treatment's rate exceeds
 *   `error_rate_ratio` × control's; control's rate is taken as at least 1 ÷ its units, so a control
 *   without errors does not make a single error fire it. Action: STOP.
 * - **payment failure rate** — failed ÷ all payments of the units' orders after exposure. Fires when
 *   a treatment's rate exceeds control's by more than `payment_failure_points` percentage points.
 *   Action: PAUSE.
 * - **p95 latency** — no event in the data contract carries a latency (checkout and payment events
 *   have business times only), so this guardrail reports `unavailable` until one does; the
 *   threshold (`p95_latency_ms`, +200 ms) is kept in the definition.
 */

export interface GuardrailInput {
  variant: string;
  units: number;
  errorUnits: number;
  payments: number;
  failedPayments: number;
}

export type GuardrailName = 'error_rate' | 'payment_failure_rate' | 'p95_latency';
export type GuardrailAction = 'STOP' | 'PAUSE';

export interface GuardrailCheck {
  guardrail: GuardrailName;
  variant: string;
  status: 'ok' | 'fired' | 'insufficient_sample' | 'unavailable';
  control_value: number | null;
  variant_value: number | null;
  /** The value the variant must exceed to fire. */
  threshold: number | null;
  action: GuardrailAction;
  detail: string;
}

export interface GuardrailVerdict {
  checks: GuardrailCheck[];
  /** STOP beats PAUSE; null when nothing fired. */
  action: GuardrailAction | null;
  reason: string | null;
}

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;

/** Evaluates the definition's guardrails on per-variant figures (the first variant of the definition is control). */
export function evaluateGuardrails(definition: ExperimentDefinition, figures: readonly GuardrailInput[]): GuardrailVerdict {
  const g = definition.guardrails;
  const byKey = new Map(figures.map((f) => [f.variant, f]));
  const zero = (variant: string): GuardrailInput => ({ variant, units: 0, errorUnits: 0, payments: 0, failedPayments: 0 });
  const controlKey = definition.variants[0]?.key ?? 'control';
  const control = byKey.get(controlKey) ?? zero(controlKey);
  const checks: GuardrailCheck[] = [];
  for (const v of definition.variants.slice(1)) {
    const t = byKey.get(v.key) ?? zero(v.key);
    // Error rate: ratio to control.
    if (control.units < g.min_units_per_variant || t.units < g.min_units_per_variant) {
      checks.push({
        guardrail: 'error_rate',
        variant: v.key,
        status: 'insufficient_sample',
        control_value: control.units > 0 ? control.errorUnits / control.units : null,
        variant_value: t.units > 0 ? t.errorUnits / t.units : null,
        threshold: null,
        action: 'STOP',
        detail: `needs ${g.min_units_per_variant} units per variant (control ${control.units}, ${v.key} ${t.units})`,
      });
    } else {
      const c = control.errorUnits / control.units;
      const x = t.errorUnits / t.units;
      const threshold = g.error_rate_ratio * Math.max(c, 1 / control.units);
      const fired = x > threshold;
      checks.push({
        guardrail: 'error_rate',
        variant: v.key,
        status: fired ? 'fired' : 'ok',
        control_value: c,
        variant_value: x,
        threshold,
        action: 'STOP',
        detail: `error rate of ${v.key} ${pct(x)} ${fired ? '>' : '≤'} ${g.error_rate_ratio} × control ${pct(c)}`,
      });
    }
    // Payment failure rate: points above control.
    if (control.payments < g.min_payments_per_variant || t.payments < g.min_payments_per_variant) {
      checks.push({
        guardrail: 'payment_failure_rate',
        variant: v.key,
        status: 'insufficient_sample',
        control_value: control.payments > 0 ? control.failedPayments / control.payments : null,
        variant_value: t.payments > 0 ? t.failedPayments / t.payments : null,
        threshold: null,
        action: 'PAUSE',
        detail: `needs ${g.min_payments_per_variant} payments per variant (control ${control.payments}, ${v.key} ${t.payments})`,
      });
    } else {
      const c = control.failedPayments / control.payments;
      const x = t.failedPayments / t.payments;
      const threshold = c + g.payment_failure_points / 100;
      const fired = x > threshold;
      checks.push({
        guardrail: 'payment_failure_rate',
        variant: v.key,
        status: fired ? 'fired' : 'ok',
        control_value: c,
        variant_value: x,
        threshold,
        action: 'PAUSE',
        detail: `payment failure rate of ${v.key} ${pct(x)} ${fired ? '>' : '≤'} control ${pct(c)} + ${g.payment_failure_points} pts`,
      });
    }
    checks.push({
      guardrail: 'p95_latency',
      variant: v.key,
      status: 'unavailable',
      control_value: null,
      variant_value: null,
      threshold: null,
      action: 'STOP',
      detail: `no event carries a latency yet; +${g.p95_latency_ms} ms would stop the experiment`,
    });
  }
  const fired = checks.filter((c) => c.status === 'fired');
  const stop = fired.find((c) => c.action === 'STOP');
  const first = stop ?? fired[0];
  return { checks, action: first?.action ?? null, reason: first ? `guardrail ${first.guardrail}: ${first.detail}` : null };
}
