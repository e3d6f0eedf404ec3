import { readExperimentSummaries } from '../../warehouse/queries/experiment-queries.js';
import type { ExperimentDefinition } from '../../contracts/experiment-definition.js';
import type { QueryRunner } from '../../warehouse/typed-query.js';
import { type ExperimentReport, analyseExperiment } from './analysis.js';

/** Reads the summaries of an experiment over its window and analyses them. */
export async function reportExperiment(
  warehouse: QueryRunner,
  definition: ExperimentDefinition,
  window: { from: Date; to: Date },
): Promise<ExperimentReport> {
  const summaries = await readExperimentSummaries(warehouse, {
    experimentId: definition.key,
    from: window.from,
    to: window.to,
    unitType: definition.unit_type,
    variants: definition.variants.map((v) => v.key),
  });
  return analyseExperiment(definition, summaries, window);
}

const pct = (x: number | null | undefined, digits = 2) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(digits)} %`);
const pts = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)} pts`;

/** The summary report as Markdown: status, verdict, SRM, and one table per metric with both intervals. */
export function reportMarkdown(e: { key: string; name: string; status: string; hypothesis: string }, r: ExperimentReport): string {
  const lines: string[] = [];
  lines.push(`# ${e.name} (\`${e.key}\`)`, '');
  if (e.hypothesis) lines.push(`> ${e.hypothesis}`, '');
  lines.push(`- Status: **${e.status}**`);
  lines.push(`- Window: ${r.window.from} → ${r.window.to} (${r.window.days} days)`);
  lines.push(
    `- Verdict: **${r.verdict.decision}**${r.verdict.winner_variant ? ` — winner \`${r.verdict.winner_variant}\`` : ''}: ${r.verdict.reason}`,
  );
  lines.push(
    `- Sample ratio: chi-square ${r.srm.chi_square.toFixed(2)}, p = ${r.srm.p_value.toPrecision(3)}${r.srm.mismatch ? ' — **MISMATCH: no verdict may be drawn**' : ' (ok)'}`,
  );
  if (r.multi_variant_units > 0) lines.push(`- ${r.multi_variant_units} units saw more than one variant and are excluded`);
  lines.push('');
  const metrics = ['checkout_completion_rate', 'add_to_cart_rate', 'bounce_rate', 'error_rate', 'payment_failure_rate'] as const;
  for (const m of metrics) {
    lines.push(`## ${m}${m === r.primary_metric ? ' (primary)' : ''}`, '');
    lines.push('| variant | units | rate | vs control | 95 % CI | always-valid CI | p |', '|---|---|---|---|---|---|---|');
    for (const v of r.variants) {
      const x = v.metrics[m];
      const c = x.vs_control;
      lines.push(
        `| ${v.key}${v.is_control ? ' (control)' : ''} | ${x.denominator} | ${pct(x.value)} | ${c ? `${pts(c.difference)} (${pct(c.relative_lift, 1)})` : '—'} | ${c ? `${pts(c.ci.lower)} … ${pts(c.ci.upper)}` : '—'} | ${c ? `${pts(c.sequential_ci.lower)} … ${pts(c.sequential_ci.upper)}` : '—'} | ${c ? c.p_value.toPrecision(3) : '—'} |`,
      );
    }
    lines.push('');
  }
  lines.push(
    '## aov (minor units, per currency)',
    '',
    '| variant | currency | orders | mean | vs control | 95 % CI | p |',
    '|---|---|---|---|---|---|---|',
  );
  for (const v of r.variants) {
    for (const a of v.metrics.aov) {
      const c = a.vs_control;
      lines.push(
        `| ${v.key} | ${a.currency} | ${a.orders} | ${a.mean_minor} | ${c ? c.difference.toFixed(2) : '—'} | ${c ? `${c.ci.lower.toFixed(2)} … ${c.ci.upper.toFixed(2)}` : '—'} | ${c ? c.p_value.toPrecision(3) : '—'} |`,
      );
    }
  }
  lines.push('');
  return lines.join('\n');
}
