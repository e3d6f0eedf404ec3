import { useState } from 'react';
import { Async, Empty } from '../components/states';
import { Card, Tile } from '../components/tile';
import { formatCount, formatDateTime, humanise } from '../format';
import { useApi } from '../hooks';

/** `GET /api/v1/experiments` (src/api/routes/experiments-routes.ts). */
interface Experiment {
  key: string;
  name: string;
  status: string;
  started_at: string | null;
  ended_at: string | null;
  winner_variant: string | null;
  rollout_variant: string | null;
  definition: { hypothesis?: string; primary_metric?: string };
}

interface Interval {
  lower: number;
  upper: number;
}
interface Comparison {
  difference: number;
  ci: Interval;
  sequential_ci: Interval;
  relative_lift: number | null;
  p_value: number;
  significant: boolean;
}
interface RateMetric {
  value: number | null;
  numerator: number;
  denominator: number;
  vs_control: Comparison | null;
}
interface AovMetric {
  currency: string;
  orders: number;
  mean_minor: string;
  vs_control: Comparison | null;
}
type RateName = 'checkout_completion_rate' | 'add_to_cart_rate' | 'bounce_rate' | 'error_rate' | 'payment_failure_rate';
const RATES: RateName[] = ['checkout_completion_rate', 'add_to_cart_rate', 'bounce_rate', 'error_rate', 'payment_failure_rate'];

/** `GET /api/v1/experiments/:key/analysis` (src/analytics/experiments/analysis.ts). */
interface Analysis {
  window: { from: string; to: string; days: number };
  srm: { chi_square: number; p_value: number; expected_units: number[]; mismatch: boolean };
  multi_variant_units: number;
  readiness: { min_runtime_reached: boolean; min_sample_reached: boolean; max_runtime_reached: boolean };
  primary_metric: string;
  verdict: { decision: string; winner_variant: string | null; reason: string };
  guardrails: {
    action: string | null;
    reason: string | null;
    checks: { guardrail: string; variant: string; status: string; detail: string }[];
  };
  variants: {
    key: string;
    name: string | null;
    is_control: boolean;
    weight: number;
    units: number;
    metrics: Record<RateName, RateMetric> & { aov: AovMetric[] };
  }[];
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(2)} %`);
const pts = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}`;
const interval = (i: Interval, scale = 100) => `[${(i.lower * scale).toFixed(2)}, ${(i.upper * scale).toFixed(2)}]`;

export function ExperimentsPage() {
  const list = useApi<{ items: Experiment[] }>('/api/v1/experiments', {}, 30_000);
  const [selected, setSelected] = useState<string | null>(null);
  return (
    <div className="page">
      <h1>Experiments</h1>
      <Async state={list} what="the experiments">
        {(r) =>
          r.items.length === 0 ? (
            <Empty>No experiments yet: POST /api/v1/experiments defines one.</Empty>
          ) : (
            <>
              <Card title="All experiments" testId="experiments-list">
                <table className="table">
                  <thead>
                    <tr>
                      <th>Experiment</th>
                      <th>Status</th>
                      <th>Primary metric</th>
                      <th>Started</th>
                      <th>Outcome</th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.items.map((e) => (
                      <tr key={e.key} className={(selected ?? r.items[0]?.key) === e.key ? 'selected' : undefined}>
                        <td>
                          <button type="button" className="link" onClick={() => setSelected(e.key)} data-testid={`experiment-${e.key}`}>
                            {e.name}
                          </button>
                          <div className="muted">{e.key}</div>
                        </td>
                        <td>
                          <span
                            className={`badge ${e.status === 'RUNNING' ? 'good' : e.status === 'STOPPED' ? 'bad' : ''}`}
                            data-testid={`status-${e.key}`}
                          >
                            {e.status}
                          </span>
                        </td>
                        <td>{humanise(e.definition.primary_metric ?? '')}</td>
                        <td>{formatDateTime(e.started_at)}</td>
                        <td>
                          {e.rollout_variant ? `rolled out ${e.rollout_variant}` : e.winner_variant ? `winner ${e.winner_variant}` : '—'}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Card>
              <ExperimentDetail key={selected ?? r.items[0]?.key} experimentKey={selected ?? (r.items[0]?.key as string)} />
            </>
          )
        }
      </Async>
    </div>
  );
}

function ExperimentDetail(props: { experimentKey: string }) {
  const state = useApi<Analysis>(`/api/v1/experiments/${encodeURIComponent(props.experimentKey)}/analysis`, {}, 60_000);
  return (
    <Async state={state} what="the analysis">
      {(a) => (
        <>
          {a.srm.mismatch && (
            <div className="card srm-warning" role="alert" data-testid="srm-warning">
              Sample ratio mismatch (chi-square {a.srm.chi_square.toFixed(1)}, p = {a.srm.p_value.toExponential(1)} &lt; 0.001): the split
              does not match the weights, so no verdict may be drawn. Check the assignment and exposure logging.
            </div>
          )}
          <div className="tiles tiles-4">
            <Tile
              testId="exp-verdict"
              label="Verdict"
              value={humanise(a.verdict.decision.toLowerCase())}
              sub={a.verdict.reason}
              tone={a.verdict.decision === 'WINNER' ? 'good' : a.verdict.decision === 'BLOCKED_SRM' ? 'bad' : 'neutral'}
            />
            <Tile
              testId="exp-units"
              label="Units"
              value={formatCount(a.variants.reduce((s, v) => s + v.units, 0))}
              sub={`${a.window.days.toFixed(1)} days · ${formatCount(a.multi_variant_units)} in two variants excluded`}
            />
            <Tile
              testId="exp-srm"
              label="Sample ratio"
              value={a.srm.mismatch ? 'Mismatch' : 'OK'}
              tone={a.srm.mismatch ? 'bad' : 'good'}
              sub={`p = ${a.srm.p_value.toPrecision(3)}`}
            />
            <Tile
              testId="exp-guardrails"
              label="Guardrails"
              value={a.guardrails.action ?? 'OK'}
              tone={a.guardrails.action ? 'bad' : 'good'}
              sub={
                a.guardrails.reason ??
                `${a.guardrails.checks.filter((c) => c.status === 'insufficient_sample').length} waiting for their minimum sample; p95 latency unavailable`
              }
            />
          </div>
          {RATES.map((m) => (
            <Card key={m} title={`${humanise(m)}${m === a.primary_metric ? ' (primary)' : ''}`} testId={`metric-${m}`}>
              <table className="table" data-testid={m === a.primary_metric ? 'variant-table' : undefined}>
                <thead>
                  <tr>
                    <th>Variant</th>
                    <th>Units</th>
                    <th>Rate</th>
                    <th>Δ vs control (pts)</th>
                    <th>95 % CI (pts)</th>
                    <th title="Valid however often you look (GrowthBook's confidence sequence)">Always-valid CI (pts)</th>
                    <th>Lift</th>
                    <th>p</th>
                  </tr>
                </thead>
                <tbody>
                  {a.variants.map((v) => {
                    const x = v.metrics[m];
                    const c = x.vs_control;
                    return (
                      <tr key={v.key} style={c?.significant ? { fontWeight: 600 } : undefined}>
                        <td>
                          {v.name ?? v.key}
                          {v.is_control && <span className="muted"> · control</span>}
                        </td>
                        <td>{formatCount(x.denominator)}</td>
                        <td>{pct(x.value)}</td>
                        <td>{c ? pts(c.difference) : '—'}</td>
                        <td>{c ? interval(c.ci) : '—'}</td>
                        <td>{c ? interval(c.sequential_ci) : '—'}</td>
                        <td>{c?.relative_lift === null || c === null ? '—' : pct(c.relative_lift)}</td>
                        <td>{c ? c.p_value.toPrecision(3) : '—'}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </Card>
          ))}
          <Card title="Average order value (minor units, per currency)" testId="metric-aov">
            <table className="table">
              <thead>
                <tr>
                  <th>Variant</th>
                  <th>Currency</th>
                  <th>Orders</th>
                  <th>Mean (minor)</th>
                  <th>Δ vs control</th>
                  <th>95 % CI</th>
                  <th>p (Welch)</th>
                </tr>
              </thead>
              <tbody>
                {a.variants.flatMap((v) =>
                  v.metrics.aov.map((x) => (
                    <tr key={`${v.key}-${x.currency}`}>
                      <td>{v.name ?? v.key}</td>
                      <td>{x.currency}</td>
                      <td>{formatCount(x.orders)}</td>
                      <td>{x.mean_minor}</td>
                      <td>{x.vs_control ? x.vs_control.difference.toFixed(2) : '—'}</td>
                      <td>{x.vs_control ? interval(x.vs_control.ci, 1) : '—'}</td>
                      <td>{x.vs_control ? x.vs_control.p_value.toPrecision(3) : '—'}</td>
                    </tr>
                  )),
                )}
              </tbody>
            </table>
          </Card>
        </>
      )}
    </Async>
  );
}
