import { z } from 'zod';
import { dataschemaOf, defineEventContract } from '../event-contract.js';
import { EXPERIMENT_CHANGE_ACTORS, EXPERIMENT_STATUSES } from '../experiment-lifecycle.js';
import { anyText, text, timestamp } from '../fields.js';

export const experimentStatusChangedV1 = defineEventContract({
  type: 'experiment.status_changed',
  version: 1,
  description:
    "An experiment's status changed (started, paused, stopped by a guardrail, winner declared, inconclusive, completed with its rollout); emitted by Payscope in the same transaction as the change.",
  subject: 'the experiment key',
  data: z.strictObject({
    experiment_key: text(100),
    from_status: z.enum(EXPERIMENT_STATUSES),
    to_status: z.enum(EXPERIMENT_STATUSES),
    actor: z.enum(EXPERIMENT_CHANGE_ACTORS).describe('user (API), analysis (a verdict) or guardrail (the hourly job).'),
    reason: anyText(1000).describe('Why, in words: the guardrail that fired with its numbers, or the caller’s note.'),
    rollout_variant: text(100).nullish().describe('The variant rolled out to everyone (COMPLETED only).'),
    winner_variant: text(100).nullish().describe('The winning variant (WINNER_DECLARED only).'),
    changed_at: timestamp(),
  }),
  piiFields: [],
  freeFormFields: ['reason'],
  keyFields: ['experiment_key', 'from_status', 'to_status', 'actor'],
  example: {
    experiment_key: 'exp_one_tap_checkout',
    from_status: 'RUNNING',
    to_status: 'STOPPED',
    actor: 'guardrail',
    reason: 'error rate of one_tap 4.1 % > 2 × control 1.2 %',
    changed_at: '2026-12-03T10:00:00Z',
  },
});
export type ExperimentStatusChangedV1 = z.output<typeof experimentStatusChangedV1.data>;

/**
 * The `experiment.status_changed` CloudEvent of one change; the caller stores it in the outbox in
 * the same transaction as the change (store/experiment-store.ts `changeExperimentStatus`).
 */
export function experimentStatusChangedEvent(
  id: string,
  data: ExperimentStatusChangedV1,
): {
  specversion: '1.0';
  id: string;
  source: string;
  type: 'experiment.status_changed';
  time: string;
  subject: string;
  datacontenttype: string;
  dataschema: string;
  data: ExperimentStatusChangedV1;
} {
  return {
    specversion: '1.0',
    id,
    source: '/payscope/experiments',
    type: 'experiment.status_changed',
    time: data.changed_at,
    subject: data.experiment_key,
    datacontenttype: 'application/json',
    dataschema: dataschemaOf('experiment.status_changed', 1),
    data,
  };
}
