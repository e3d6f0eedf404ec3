/**
 * The experiment lifecycle (issue 12 §4): DRAFT → RUNNING → WINNER_DECLARED | INCONCLUSIVE →
 * COMPLETED (the rollout recorded). A running experiment may be PAUSED (payment-failure guardrail,
 * or by hand) and resumed, or STOPPED (error-rate or latency guardrail, or by hand); a stopped
 * experiment can only be completed (rolling out control). Every change is an
 * `experiment.status_changed` event and an audit row.
 */
export const EXPERIMENT_STATUSES = ['DRAFT', 'RUNNING', 'PAUSED', 'STOPPED', 'WINNER_DECLARED', 'INCONCLUSIVE', 'COMPLETED'] as const;
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number];

export const EXPERIMENT_TRANSITIONS: Readonly<Record<ExperimentStatus, readonly ExperimentStatus[]>> = {
  DRAFT: ['RUNNING'],
  RUNNING: ['PAUSED', 'STOPPED', 'WINNER_DECLARED', 'INCONCLUSIVE'],
  PAUSED: ['RUNNING', 'STOPPED'],
  STOPPED: ['COMPLETED'],
  WINNER_DECLARED: ['COMPLETED'],
  INCONCLUSIVE: ['COMPLETED'],
  COMPLETED: [],
};

export const canChangeExperimentStatus = (from: ExperimentStatus, to: ExperimentStatus): boolean =>
  EXPERIMENT_TRANSITIONS[from].includes(to);

/** Who or what changed a status. */
export const EXPERIMENT_CHANGE_ACTORS = ['user', 'analysis', 'guardrail'] as const;
export type ExperimentChangeActor = (typeof EXPERIMENT_CHANGE_ACTORS)[number];
