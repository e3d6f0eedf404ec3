import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ExperimentReport } from '../../analytics/experiments/analysis.js';
import { reportExperiment, reportMarkdown } from '../../analytics/experiments/experiment-report.js';
import {
  EXPERIMENT_STATUSES,
  type ExperimentDefinition,
  type ExperimentStatus,
  assignVariant,
  experimentDefinitionSchema,
  experimentStatusChangedEvent,
} from '../../contracts/index.js';
import { ErrorCode, failure } from '../../core/errors.js';
import {
  type ExperimentRow,
  changeExperimentStatus,
  deleteDraftExperiment,
  findExperiment,
  insertExperiment,
  listExperiments,
  listStatusChanges,
  updateExperiment,
} from '../../store/experiment-store.js';
import type { OperationalStore } from '../../store/store-port.js';
import type { Warehouse } from '../../warehouse/warehouse-port.js';
import { sendFailure } from '../http-errors.js';
import { validationFailure } from '../openapi/route-docs.js';

/**
 * `/api/v1/experiments` (issue 12 §4): definitions (CRUD), the lifecycle (start, pause, resume,
 * stop, complete — each an `experiment.status_changed` event in the outbox and an audit row, in one
 * transaction), sticky assignment, and the analysis from the warehouse. Role analyst (the growth
 * team); the assignment also takes ingest keys (the services that show the variants).
 */

const experimentView = z.object({
  key: z.string(),
  name: z.string(),
  status: z.enum(EXPERIMENT_STATUSES),
  version: z.number().int().describe('Increases with each edit; send it back as expected_version to refuse a lost update'),
  definition: z.record(z.string(), z.unknown()).describe('The definition as validated, defaults filled'),
  started_at: z.string().nullable(),
  ended_at: z.string().nullable(),
  winner_variant: z.string().nullable(),
  rollout_variant: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
const listResponse = z.object({ items: z.array(experimentView) });
const keyParams = z.object({ key: z.string().min(1).max(100).describe('The experiment key') });
const updateBody = z.object({ definition: z.unknown(), expected_version: z.int().min(1).optional() });
const changeBody = z
  .strictObject({
    reason: z.string().trim().max(1000).optional().describe('Why (kept in the event and the history)'),
    started_at: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('start only: when it began, if it ran before Payscope recorded it (≤ 365 days ago, not in the future)'),
    rollout_variant: z
      .string()
      .max(100)
      .optional()
      .describe('complete only: the variant rolled out to everyone (default: the winner, else control)'),
  })
  .default({});
const assignmentQuery = z.object({ unit_id: z.string().min(1).max(255).describe('The randomisation unit (session id, user id…)') });
const assignmentResponse = z.object({
  experiment_key: z.string(),
  unit_id: z.string(),
  variant: z.string(),
  bucket: z.number().int().min(0).max(9999),
  in_experiment: z.boolean().describe('True while RUNNING; otherwise the variant is what to show (control, or the rollout once completed)'),
  status: z.enum(EXPERIMENT_STATUSES),
});
const analysisQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional().describe('Default: started_at (or 30 days ago for a draft)'),
  to: z.iso.datetime({ offset: true }).optional().describe('Default: ended_at, else now'),
  format: z.enum(['json', 'markdown']).default('json').describe('markdown: the summary report as text/markdown'),
});
const historyResponse = z.object({
  items: z.array(
    z.object({
      from_status: z.string(),
      to_status: z.string(),
      actor: z.string(),
      reason: z.string(),
      event_id: z.string(),
      changed_at: z.string(),
    }),
  ),
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function experimentViewOf(row: ExperimentRow): z.infer<typeof experimentView> {
  return {
    key: row.key,
    name: row.name,
    status: row.status as ExperimentStatus,
    version: row.version,
    definition: row.definition as Record<string, unknown>,
    started_at: iso(row.started_at),
    ended_at: iso(row.ended_at),
    winner_variant: row.winner_variant,
    rollout_variant: row.rollout_variant,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

const sameVariants = (a: ExperimentDefinition, b: ExperimentDefinition) =>
  a.unit_type === b.unit_type &&
  a.variants.length === b.variants.length &&
  a.variants.every((v, i) => v.key === b.variants[i]?.key && v.weight === b.variants[i]?.weight);

interface Transition {
  path: string;
  to: ExperimentStatus;
  from: readonly ExperimentStatus[];
  summary: string;
}
const TRANSITIONS: readonly Transition[] = [
  { path: 'start', to: 'RUNNING', from: ['DRAFT'], summary: 'Start a DRAFT: exposures count from started_at' },
  { path: 'pause', to: 'PAUSED', from: ['RUNNING'], summary: 'Pause a running experiment (assignment answers control)' },
  { path: 'resume', to: 'RUNNING', from: ['PAUSED'], summary: 'Resume a paused experiment' },
  { path: 'stop', to: 'STOPPED', from: ['RUNNING', 'PAUSED'], summary: 'Stop an experiment early (assignment answers control)' },
  {
    path: 'conclude',
    to: 'WINNER_DECLARED',
    from: ['RUNNING'],
    summary: 'Apply the analysis verdict now: WINNER_DECLARED or INCONCLUSIVE (refused while it says KEEP_RUNNING or BLOCKED_SRM)',
  },
  {
    path: 'complete',
    to: 'COMPLETED',
    from: ['WINNER_DECLARED', 'INCONCLUSIVE', 'STOPPED'],
    summary: 'Record the rollout and close the experiment',
  },
];

function windowOf(row: ExperimentRow, q: { from?: string | undefined; to?: string | undefined }, now: Date): { from: Date; to: Date } {
  const to = q.to ? new Date(q.to) : (row.ended_at ?? now);
  const from = q.from ? new Date(q.from) : (row.started_at ?? new Date(to.getTime() - 30 * 86_400_000));
  return { from, to };
}

/** Registers `/api/v1/experiments/*`. */
export async function registerExperimentRoutes(
  app: FastifyInstance,
  deps: { store: OperationalStore; warehouse: Warehouse | null; now?: () => Date },
): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const notFound = (reply: FastifyReply, key: string) =>
    sendFailure(reply, failure(ErrorCode.NOT_FOUND, `no experiment '${key}'; GET /api/v1/experiments lists them`));
  const loadKey = async (request: FastifyRequest, reply: FastifyReply): Promise<ExperimentRow | null> => {
    const p = keyParams.safeParse(request.params);
    if (!p.success) {
      await sendFailure(reply, validationFailure(p.error.issues, 'path'));
      return null;
    }
    const row = await findExperiment(deps.store, p.data.key);
    if (!row) await notFound(reply, p.data.key);
    return row;
  };

  app.get(
    '/api/v1/experiments',
    { config: { access: ['analyst'], docs: { summary: 'List experiments, newest first', tags: ['experiments'], response: listResponse } } },
    async () => ({ items: (await listExperiments(deps.store)).map(experimentViewOf) }),
  );

  app.post(
    '/api/v1/experiments',
    {
      config: {
        access: ['analyst'],
        docs: {
          summary: 'Create an experiment (DRAFT)',
          description:
            'Defaults: primary metric checkout_completion_rate, secondary aov/bounce_rate/error_rate, 14–28 days, 10,000 units per variant, guardrails (error rate 2× control, payment failures +1 point, p95 latency +200 ms, 1,000 units). The first variant is the control; weights are basis points summing to 10,000.',
          tags: ['experiments'],
          body: experimentDefinitionSchema,
          status: 201,
          response: experimentView,
        },
      },
    },
    async (request, reply) => {
      const body = experimentDefinitionSchema.safeParse(request.body ?? {});
      if (!body.success) return sendFailure(reply, validationFailure(body.error.issues, 'body'));
      const row = await insertExperiment(deps.store, { key: body.data.key, name: body.data.name, definition: body.data });
      if (!row)
        return sendFailure(reply, failure(ErrorCode.EXPERIMENT_CONFLICT, `experiment key '${body.data.key}' is taken; choose another key`));
      request.log.info({ experiment: row.key, by_key: request.access?.keyId }, 'experiment created');
      return reply.code(201).send(experimentViewOf(row));
    },
  );

  app.get(
    '/api/v1/experiments/:key',
    {
      config: {
        access: ['analyst'],
        docs: { summary: 'One experiment', tags: ['experiments'], params: keyParams, response: experimentView },
      },
    },
    async (request, reply) => {
      const row = await loadKey(request, reply);
      return row ? experimentViewOf(row) : reply;
    },
  );

  app.put(
    '/api/v1/experiments/:key',
    {
      config: {
        access: ['analyst'],
        docs: {
          summary: 'Replace the definition (key fixed); once started, variants, weights and unit type are fixed too',
          tags: ['experiments'],
          params: keyParams,
          body: updateBody,
          response: experimentView,
        },
      },
    },
    async (request, reply) => {
      const row = await loadKey(request, reply);
      if (!row) return reply;
      const body = updateBody.safeParse(request.body ?? {});
      if (!body.success) return sendFailure(reply, validationFailure(body.error.issues, 'body'));
      const def = experimentDefinitionSchema.safeParse(body.data.definition);
      if (!def.success) return sendFailure(reply, validationFailure(def.error.issues, 'definition'));
      if (def.data.key !== row.key)
        return sendFailure(reply, failure(ErrorCode.VALIDATION_FAILED, `definition.key: must stay '${row.key}'`));
      if (row.status === 'COMPLETED')
        return sendFailure(reply, failure(ErrorCode.EXPERIMENT_CONFLICT, 'a COMPLETED experiment cannot change', { status: row.status }));
      if (row.status !== 'DRAFT' && !sameVariants(row.definition as ExperimentDefinition, def.data)) {
        return sendFailure(
          reply,
          failure(
            ErrorCode.EXPERIMENT_CONFLICT,
            'variants, weights and unit type are fixed once an experiment started (units would change variant); create a new experiment',
            {
              status: row.status,
            },
          ),
        );
      }
      const updated = await updateExperiment(deps.store, row.key, {
        name: def.data.name,
        definition: def.data,
        expectedVersion: body.data.expected_version,
      });
      if (!updated)
        return sendFailure(
          reply,
          failure(ErrorCode.EXPERIMENT_CONFLICT, `expected_version ${body.data.expected_version} is stale; read it again`),
        );
      return experimentViewOf(updated);
    },
  );

  app.delete(
    '/api/v1/experiments/:key',
    {
      config: {
        access: ['analyst'],
        docs: { summary: 'Delete a DRAFT', tags: ['experiments'], params: keyParams, response: z.object({ key: z.string() }) },
      },
    },
    async (request, reply) => {
      const row = await loadKey(request, reply);
      if (!row) return reply;
      if (!(await deleteDraftExperiment(deps.store, row.key))) {
        return sendFailure(
          reply,
          failure(ErrorCode.EXPERIMENT_CONFLICT, 'only a DRAFT can be deleted; stop and complete it instead', { status: row.status }),
        );
      }
      return { key: row.key };
    },
  );

  for (const t of TRANSITIONS) {
    app.post(
      `/api/v1/experiments/:key/${t.path}`,
      {
        config: {
          access: ['analyst'],
          docs: { summary: t.summary, tags: ['experiments'], params: keyParams, body: changeBody, response: experimentView },
        },
      },
      async (request, reply) => {
        const row = await loadKey(request, reply);
        if (!row) return reply;
        const body = changeBody.safeParse(request.body ?? {});
        if (!body.success) return sendFailure(reply, validationFailure(body.error.issues, 'body'));
        const definition = row.definition as ExperimentDefinition;
        const at = now();
        let to = t.to;
        let winner: string | null = null;
        let rollout: string | null = null;
        let startedAt: Date | null = null;
        let reason = body.data.reason ?? `${t.path} by ${request.access?.keyName ?? 'a key'}`;
        if (t.path === 'start' && body.data.started_at) {
          startedAt = new Date(body.data.started_at);
          if (startedAt > at || at.getTime() - startedAt.getTime() > 365 * 86_400_000) {
            return sendFailure(
              reply,
              failure(ErrorCode.VALIDATION_FAILED, 'started_at: must be in the last 365 days and not in the future'),
            );
          }
        }
        if (t.path === 'conclude') {
          if (!deps.warehouse)
            return sendFailure(
              reply,
              failure(
                ErrorCode.SERVICE_UNAVAILABLE,
                'this process has no warehouse; ask a process with roles api and analytics (or role api on a shared ClickHouse)',
              ),
            );
          const report = await reportExperiment(deps.warehouse, definition, windowOf(row, {}, at));
          if (report.verdict.decision === 'WINNER') {
            winner = report.verdict.winner_variant;
          } else if (report.verdict.decision === 'INCONCLUSIVE') {
            to = 'INCONCLUSIVE';
          } else {
            return sendFailure(
              reply,
              failure(ErrorCode.EXPERIMENT_CONFLICT, `no verdict yet: ${report.verdict.decision} — ${report.verdict.reason}`, {
                status: row.status,
              }),
            );
          }
          reason = body.data.reason ?? report.verdict.reason;
        }
        if (t.path === 'complete') {
          rollout = body.data.rollout_variant ?? row.winner_variant ?? definition.variants[0]?.key ?? null;
          if (!definition.variants.some((v) => v.key === rollout)) {
            return sendFailure(reply, failure(ErrorCode.VALIDATION_FAILED, `rollout_variant: '${rollout}' is not a variant of ${row.key}`));
          }
        }
        const result = await changeExperimentStatus(deps.store, {
          key: row.key,
          from: t.from,
          to,
          actor: t.path === 'conclude' ? 'analysis' : 'user',
          actorKeyId: request.access?.keyId ?? null,
          reason,
          winnerVariant: winner,
          rolloutVariant: rollout,
          startedAt,
          event: (from) => {
            const event = experimentStatusChangedEvent(randomUUID(), {
              experiment_key: row.key,
              from_status: from as ExperimentStatus,
              to_status: to,
              actor: t.path === 'conclude' ? 'analysis' : 'user',
              reason,
              rollout_variant: rollout,
              winner_variant: winner,
              changed_at: at.toISOString(),
            });
            return { id: event.id, type: event.type, subject: event.subject, payload: event };
          },
          audit: {
            keyId: request.access?.keyId ?? null,
            keyName: request.access?.keyName ?? null,
            role: request.access?.role ?? null,
            method: request.method,
            path: request.url.split('?')[0] ?? request.url,
            requestId: request.id,
            ip: request.ip,
          },
        });
        if (!result.ok) {
          return sendFailure(
            reply,
            failure(
              ErrorCode.EXPERIMENT_CONFLICT,
              `cannot ${t.path} an experiment that is ${result.current}; allowed from ${t.from.join(' or ')}`,
              {
                status: result.current,
              },
            ),
          );
        }
        request.log.info({ experiment: row.key, from: result.from, to, by_key: request.access?.keyId }, 'experiment status changed');
        return experimentViewOf(result.experiment);
      },
    );
  }

  app.get(
    '/api/v1/experiments/:key/history',
    {
      config: {
        access: ['analyst'],
        docs: { summary: 'Every status change, oldest first', tags: ['experiments'], params: keyParams, response: historyResponse },
      },
    },
    async (request, reply) => {
      const row = await loadKey(request, reply);
      if (!row) return reply;
      const items = await listStatusChanges(deps.store, row.key);
      return {
        items: items.map((c) => ({
          from_status: c.from_status,
          to_status: c.to_status,
          actor: c.actor,
          reason: c.reason,
          event_id: c.event_id,
          changed_at: c.changed_at.toISOString(),
        })),
      };
    },
  );

  app.get(
    '/api/v1/experiments/:key/assignment',
    {
      config: {
        access: ['ingest', 'analyst'],
        docs: {
          summary: 'The sticky variant of a unit (also in the X-Experiment-Variant header)',
          description:
            'bucket = FNV-1a-32(decimal string of FNV-1a-32("<key>:<unit_id>")) mod 10000; variants own consecutive bucket ranges by weight in their listed order (src/contracts/experiment-assignment.ts). While not RUNNING the answer is control (COMPLETED: the rollout variant) with in_experiment false.',
          tags: ['experiments'],
          params: keyParams,
          query: assignmentQuery,
          response: assignmentResponse,
        },
      },
    },
    async (request, reply) => {
      const row = await loadKey(request, reply);
      if (!row) return reply;
      const q = assignmentQuery.safeParse(request.query);
      if (!q.success) return sendFailure(reply, validationFailure(q.error.issues, 'query'));
      const definition = row.definition as ExperimentDefinition;
      const assigned = assignVariant(row.key, definition.variants, q.data.unit_id);
      const running = row.status === 'RUNNING';
      const variant = running
        ? assigned.variant.key
        : row.status === 'COMPLETED' && row.rollout_variant
          ? row.rollout_variant
          : (definition.variants[0]?.key ?? assigned.variant.key);
      reply.header('x-experiment-variant', variant);
      return {
        experiment_key: row.key,
        unit_id: q.data.unit_id,
        variant,
        bucket: assigned.bucket,
        in_experiment: running,
        status: row.status as ExperimentStatus,
      };
    },
  );

  app.get(
    '/api/v1/experiments/:key/analysis',
    {
      config: {
        access: ['analyst'],
        docs: {
          summary:
            'Per-variant metrics with fixed-horizon and always-valid 95 % intervals, SRM check, readiness and verdict (format=markdown: the summary report)',
          description:
            'Definitions of every metric: src/analytics/experiments/README.md. Money: AOV per currency as sum_minor, orders and an exact mean_minor string.',
          tags: ['experiments'],
          params: keyParams,
          query: analysisQuery,
        },
      },
    },
    async (request, reply) => {
      const row = await loadKey(request, reply);
      if (!row) return reply;
      const q = analysisQuery.safeParse(request.query);
      if (!q.success) return sendFailure(reply, validationFailure(q.error.issues, 'query'));
      if (!deps.warehouse)
        return sendFailure(
          reply,
          failure(
            ErrorCode.SERVICE_UNAVAILABLE,
            'this process has no warehouse; ask a process with roles api and analytics (or role api on a shared ClickHouse)',
          ),
        );
      const window = windowOf(row, q.data, now());
      if (window.from >= window.to) return sendFailure(reply, failure(ErrorCode.VALIDATION_FAILED, 'from: must be before to'));
      const definition = row.definition as ExperimentDefinition;
      const report: ExperimentReport = await reportExperiment(deps.warehouse, definition, window);
      if (q.data.format === 'markdown') {
        return reply
          .type('text/markdown; charset=utf-8')
          .send(reportMarkdown({ key: row.key, name: row.name, status: row.status, hypothesis: definition.hypothesis }, report));
      }
      return { experiment: experimentViewOf(row), ...report };
    },
  );
}
