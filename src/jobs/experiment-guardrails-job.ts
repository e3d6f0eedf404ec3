import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  type ExperimentDefinition,
  type ExperimentStatus,
  type GuardrailVerdict,
  evaluateGuardrails,
  experimentDefinitionSchema,
  experimentStatusChangedEvent,
} from '../contracts/index.js';
import { analyseExperiment } from '../analytics/experiments/analysis.js';
import { changeExperimentStatus, listExperiments } from '../store/experiment-store.js';
import type { OperationalStore } from '../store/store-port.js';
import { readExperimentSummaries } from '../warehouse/queries/experiment-queries.js';
import type { QueryRunner } from '../warehouse/typed-query.js';

/** One experiment's result in a run. */
export interface GuardrailRunItem {
  key: string;
  name: string;
  verdict: GuardrailVerdict;
  /**
   * What the run did: STOPPED / PAUSED (a guardrail fired), WINNER_DECLARED / INCONCLUSIVE (the
   * analysis reached a verdict), or null (nothing to do, or the status changed meanwhile).
   */
  applied: 'STOPPED' | 'PAUSED' | 'WINNER_DECLARED' | 'INCONCLUSIVE' | null;
  /** The analysis verdict's decision when no guardrail fired (WINNER, INCONCLUSIVE, KEEP_RUNNING…). */
  decision: string | null;
}

export interface GuardrailRunSummary {
  run_id: string;
  at: string;
  checked: number;
  stopped: number;
  paused: number;
  /** Experiments the run concluded (WINNER_DECLARED or INCONCLUSIVE). */
  concluded: number;
  experiments: GuardrailRunItem[];
}

/**
 * Hourly: every RUNNING experiment's guardrails (contracts/experiment-guardrails.ts) over its
 * window so far; a fired guardrail stops (error rate, latency) or pauses (payment failures) it.
 * When none fired, the analysis (analytics/experiments) decides: once the minimum runtime and
 * sample are reached a significant primary metric declares the winner, and at the maximum runtime
 * without one the experiment is INCONCLUSIVE (an SRM blocks both). Each change is a status change
 * with its `experiment.status_changed` event and audit row (actor `guardrail` or `analysis`,
 * method `JOB`). Idempotent: a changed experiment is not RUNNING at the next run.
 */
export function createExperimentGuardrailsJob(deps: {
  store: OperationalStore;
  warehouse: QueryRunner;
  logger: Logger;
  now?: () => Date;
}): { readonly name: string; run(): Promise<GuardrailRunSummary> } {
  const now = deps.now ?? (() => new Date());
  return {
    name: 'experiment-guardrails',
    async run() {
      const at = now();
      const runId = randomUUID();
      const items: GuardrailRunItem[] = [];
      for (const row of await listExperiments(deps.store, ['RUNNING'])) {
        const parsed = experimentDefinitionSchema.safeParse(row.definition);
        if (!parsed.success) {
          deps.logger.error({ job: 'experiment-guardrails', experiment: row.key }, 'stored definition no longer validates; skipped');
          continue;
        }
        const definition: ExperimentDefinition = parsed.data;
        const summaries = await readExperimentSummaries(deps.warehouse, {
          experimentId: row.key,
          from: row.started_at ?? at,
          to: at,
          unitType: definition.unit_type,
          variants: definition.variants.map((v) => v.key),
        });
        const verdict = evaluateGuardrails(definition, summaries.variants);
        const apply = async (
          to: 'STOPPED' | 'PAUSED' | 'WINNER_DECLARED' | 'INCONCLUSIVE',
          actor: 'guardrail' | 'analysis',
          reason: string,
          winner: string | null = null,
        ) => {
          const result = await changeExperimentStatus(deps.store, {
            key: row.key,
            from: ['RUNNING'],
            to,
            actor,
            actorKeyId: null,
            reason,
            winnerVariant: winner,
            event: (from) => {
              const event = experimentStatusChangedEvent(randomUUID(), {
                experiment_key: row.key,
                from_status: from as ExperimentStatus,
                to_status: to,
                actor,
                reason,
                winner_variant: winner,
                changed_at: at.toISOString(),
              });
              return { id: event.id, type: event.type, subject: event.subject, payload: event };
            },
            audit: {
              keyId: null,
              keyName: 'experiment-guardrails job',
              role: null,
              method: 'JOB',
              path: `/jobs/experiment-guardrails/${row.key}`,
              requestId: runId,
              ip: '',
            },
          });
          return result.ok ? to : null;
        };
        let applied: GuardrailRunItem['applied'] = null;
        let decision: string | null = null;
        if (verdict.action && verdict.reason) {
          applied = await apply(verdict.action === 'STOP' ? 'STOPPED' : 'PAUSED', 'guardrail', verdict.reason);
        } else {
          const report = analyseExperiment(definition, summaries, { from: row.started_at ?? at, to: at });
          decision = report.verdict.decision;
          if (report.verdict.decision === 'WINNER') {
            applied = await apply('WINNER_DECLARED', 'analysis', report.verdict.reason, report.verdict.winner_variant);
          } else if (report.verdict.decision === 'INCONCLUSIVE') {
            applied = await apply('INCONCLUSIVE', 'analysis', report.verdict.reason);
          }
        }
        items.push({ key: row.key, name: row.name, verdict, applied, decision });
      }
      const summary: GuardrailRunSummary = {
        run_id: runId,
        at: at.toISOString(),
        checked: items.length,
        stopped: items.filter((i) => i.applied === 'STOPPED').length,
        paused: items.filter((i) => i.applied === 'PAUSED').length,
        concluded: items.filter((i) => i.applied === 'WINNER_DECLARED' || i.applied === 'INCONCLUSIVE').length,
        experiments: items,
      };
      deps.logger.info(
        {
          job: 'experiment-guardrails',
          run_id: runId,
          checked: summary.checked,
          stopped: summary.stopped,
          paused: summary.paused,
          concluded: summary.concluded,
        },
        'experiment guardrails checked',
      );
      return summary;
    },
  };
}

/** The run as Markdown: one section per experiment, one row per check. */
export function guardrailReportMarkdown(summary: GuardrailRunSummary): string {
  const lines = [
    `# Experiment guardrails — ${summary.at}`,
    '',
    `${summary.checked} running checked; ${summary.stopped} stopped, ${summary.paused} paused, ${summary.concluded} concluded.`,
    '',
  ];
  for (const e of summary.experiments) {
    lines.push(`## ${e.name} (\`${e.key}\`)${e.applied ? ` — **${e.applied}**` : ''}`, '');
    lines.push('| guardrail | variant | status | detail |', '|---|---|---|---|');
    for (const c of e.verdict.checks) lines.push(`| ${c.guardrail} | ${c.variant} | ${c.status} | ${c.detail} |`);
    lines.push('');
  }
  return lines.join('\n');
}
