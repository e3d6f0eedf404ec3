/**
 * Experiments (issue 12 §4): each definition with its lifecycle status, and every status change
 * (the experiment.status_changed events also go to the outbox in the same transaction).
 *
 * - `experiments.definition`: the validated definition (variants and weights, target, metrics,
 *   runtimes, guardrails) as JSON; `key` and `status` are columns because they are looked up.
 * - `experiment_status_changes`: append-only; who (user key, the analysis or a guardrail), why.
 */
export const up = `
CREATE TABLE payment_service.experiments (
  id BIGSERIAL PRIMARY KEY,
  key VARCHAR(100) NOT NULL UNIQUE,
  name VARCHAR(200) NOT NULL,
  status VARCHAR(20) NOT NULL DEFAULT 'DRAFT'
    CHECK (status IN ('DRAFT', 'RUNNING', 'PAUSED', 'STOPPED', 'WINNER_DECLARED', 'INCONCLUSIVE', 'COMPLETED')),
  definition JSONB NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  started_at TIMESTAMPTZ,
  ended_at TIMESTAMPTZ,
  winner_variant VARCHAR(100),
  rollout_variant VARCHAR(100),
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_experiments_status ON payment_service.experiments (status);

CREATE TABLE payment_service.experiment_status_changes (
  id BIGSERIAL PRIMARY KEY,
  experiment_key VARCHAR(100) NOT NULL REFERENCES payment_service.experiments (key) ON DELETE CASCADE,
  from_status VARCHAR(20) NOT NULL,
  to_status VARCHAR(20) NOT NULL,
  actor VARCHAR(20) NOT NULL CHECK (actor IN ('user', 'analysis', 'guardrail')),
  actor_key_id BIGINT,
  reason TEXT NOT NULL,
  event_id VARCHAR(255) NOT NULL,
  changed_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_experiment_status_changes_key ON payment_service.experiment_status_changes (experiment_key, id);
`;
