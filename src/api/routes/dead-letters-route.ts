import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ErrorCode, failure } from '../../core/errors.js';
import type { AnalyticsConsumer } from '../../pipeline/analytics-consumer.js';
import type { EventIntake } from '../../sources/events/event-intake.js';
import { replayCaptureDeadLetters } from '../../sources/events/replay-capture.js';
import { type DeadLetter, type DeadLetterStage, listDeadLetters } from '../../store/dead-letter-table.js';
import type { SqlExecutor } from '../../store/store-port.js';
import { sendFailure } from '../http-errors.js';
import { validationFailure } from '../openapi/route-docs.js';

export interface DeadLetterRouteDeps {
  store: SqlExecutor;
  /** Replays analytics-stage dead letters. */
  analytics: Pick<AnalyticsConsumer, 'replayDeadLetters'>;
  /** Replays capture-stage dead letters; null when this process runs no intake. */
  eventIntake: EventIntake | null;
}

const deadLetterQuery = z.object({
  stage: z
    .enum(['capture', 'analytics', 'ledger'])
    .optional()
    .describe('ledger: deliveries the ledger kept for review (AMOUNT_CONFLICT, REFUND_CURRENCY_MISMATCH, REFUND_EXCEEDS_CAPTURED)'),
  include_replayed: z.enum(['true', 'false']).default('false'),
  after_id: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const replayBody = z
  .strictObject({
    stage: z.enum(['analytics', 'capture']).default('analytics'),
    ids: z.array(z.number().int().min(1)).min(1).max(10_000).optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
  })
  .default({ stage: 'analytics' });

// Response shapes, for the OpenAPI document (src/store/dead-letter-table.ts).
const deadLettersResponse = z.object({
  items: z.array(
    z.object({
      id: z.number().int(),
      stage: z.enum(['capture', 'analytics', 'ledger']),
      origin: z.string(),
      event_id: z.string().nullable(),
      event_type: z.string().nullable(),
      partition: z.number().int().nullable(),
      offset: z.number().int().nullable(),
      payload: z.string().describe('The bytes as received (personal fields not pseudonymised)'),
      error_code: z.string(),
      error_message: z.string(),
      details: z.unknown().optional(),
      attempts: z.number().int(),
      created_at: z.string(),
      last_attempt_at: z.string(),
      replayed_at: z.string().nullable(),
    }),
  ),
  next_after_id: z.number().int().nullable().describe('Pass as after_id for the next page; null on the last page'),
});
const replayResponse = z.object({
  replayed: z.number().int(),
  still_failing: z.number().int(),
  ids: z.array(
    z.object({
      id: z.number().int(),
      outcome: z.enum(['applied', 'accepted', 'duplicate', 'dead_letter']).describe('applied (analytics) or accepted (capture)'),
      error: z.string().optional(),
    }),
  ),
});
/** A dead letter in the API's snake_case, like every other response. */
function deadLetterView(l: DeadLetter) {
  return {
    id: l.id,
    stage: l.stage,
    origin: l.origin,
    event_id: l.eventId,
    event_type: l.eventType,
    partition: l.partition,
    offset: l.offset,
    payload: l.payload,
    error_code: l.errorCode,
    error_message: l.errorMessage,
    ...(l.details === undefined ? {} : { details: l.details }),
    attempts: l.attempts,
    created_at: l.createdAt.toISOString(),
    last_attempt_at: l.lastAttemptAt.toISOString(),
    replayed_at: l.replayedAt?.toISOString() ?? null,
  };
}

/**
 * `GET /api/v1/dead-letters` (list, paged by id) and `POST /api/v1/dead-letters/replay` (re-run
 * open letters of the analytics or capture stage).
 */
export async function registerDeadLetterRoutes(app: FastifyInstance, deps: DeadLetterRouteDeps): Promise<void> {
  // Dead letters hold raw payloads (personal fields not yet pseudonymised): admins only, audited.
  app.get(
    '/api/v1/dead-letters',
    {
      config: {
        access: ['admin'],
        audit: true,
        docs: {
          summary: 'Events the pipeline could not use, with their error and raw payload',
          tags: ['pipeline'],
          query: deadLetterQuery,
          response: deadLettersResponse,
        },
      },
    },
    async (request, reply) => {
      const q = deadLetterQuery.safeParse(request.query);
      if (!q.success) return sendFailure(reply, validationFailure(q.error.issues, 'query'));
      const items = await listDeadLetters(deps.store, {
        ...(q.data.stage ? { stage: q.data.stage as DeadLetterStage } : {}),
        includeReplayed: q.data.include_replayed === 'true',
        ...(q.data.after_id !== undefined ? { afterId: q.data.after_id } : {}),
        limit: q.data.limit,
      });
      const last = items.at(-1);
      request.auditRows = items.length;
      return { items: items.map(deadLetterView), next_after_id: items.length === q.data.limit && last ? last.id : null };
    },
  );

  app.post(
    '/api/v1/dead-letters/replay',
    {
      config: {
        access: ['admin'],
        docs: {
          summary: 'Re-run open dead letters (stage analytics or capture)',
          tags: ['pipeline'],
          body: replayBody,
          response: replayResponse,
        },
      },
    },
    async (request, reply) => {
      const body = replayBody.safeParse(request.body ?? {});
      if (!body.success) return sendFailure(reply, validationFailure(body.error.issues, 'body'));
      const options = { ...(body.data.ids ? { ids: body.data.ids } : {}), ...(body.data.limit ? { limit: body.data.limit } : {}) };
      if (body.data.stage === 'analytics') return deps.analytics.replayDeadLetters(options);
      if (!deps.eventIntake) {
        return sendFailure(
          reply,
          failure(ErrorCode.SERVICE_UNAVAILABLE, 'this process runs no event intake (role ingest); replay capture dead letters there'),
        );
      }
      return replayCaptureDeadLetters(deps.store, deps.eventIntake, options);
    },
  );
}
