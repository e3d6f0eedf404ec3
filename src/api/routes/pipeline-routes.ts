import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ErrorCode, failure } from '../../core/errors.js';
import type { AnalyticsConsumer } from '../../pipeline/analytics-consumer.js';
import { dataProductDescriptor, dataQualityReport } from '../../pipeline/data-quality.js';
import { type MerchantDirectory, merchantSchema, parseMerchantsCsv, validateMerchants } from '../../pipeline/merchant-dimension.js';
import type { EventIntake } from '../../sources/events/event-intake.js';
import { replayCaptureDeadLetters } from '../../sources/events/replay-capture.js';
import { type DeadLetter, type DeadLetterStage, listDeadLetters } from '../../store/dead-letter-table.js';
import type { SqlExecutor } from '../../store/store-port.js';
import type { Warehouse } from '../../warehouse/warehouse-port.js';
import { sendFailure } from '../http-errors.js';
import { addStrictCsvParser } from '../body-parsers.js';

/**
 * The pipeline's operations surface: data quality and the data product descriptor, dead letters
 * (list, replay) and the merchant dimension (load, list). Registered by the process that runs the
 * analytics consumer (it owns the warehouse file).
 */
export interface PipelineRouteDeps {
  store: SqlExecutor;
  /** The bare warehouse: data quality, dead letters, merchants, ad-hoc SQL. */
  warehouse: Warehouse;
  /** The same warehouse timed for the query SLO: what the analytics API and the live feed read. */
  servedWarehouse: Warehouse;
  analytics: AnalyticsConsumer;
  merchants: MerchantDirectory;
  /** p95 of the served queries over the SLO window. */
  queryLatency: () => { p95_ms: number | null; samples: number };
  dataProductOwner: string;
  /** Replays capture-stage dead letters; null when this process runs no intake. */
  eventIntake: EventIntake | null;
}

const qualityQuery = z.object({ days: z.coerce.number().int().min(1).max(366).default(7) });
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

// ── response shapes, for the OpenAPI document (src/pipeline/data-quality.ts, src/store/dead-letter-table.ts) ──

const ms = z.number().nullable().describe('Milliseconds; null without samples');
const qualityResponse = z.object({
  window: z.object({ from: z.string(), to: z.string(), days: z.number().int() }).describe('Whole UTC days, to exclusive'),
  conservation: z.object({
    ok: z.boolean(),
    rows: z.array(
      z.object({
        day: z.string(),
        currency: z.string(),
        ledger_count: z.number().int(),
        ledger_amount_minor: z.number().int(),
        warehouse_count: z.number().int(),
        warehouse_amount_minor: z.number().int(),
        in_flight_count: z.number().int().describe('Ledger payments of the cell not in the warehouse yet, recorded within grace_ms'),
        ok: z.boolean(),
      }),
    ),
    ledger: z.object({ count: z.number().int(), amount_minor_by_currency: z.record(z.string(), z.number().int()) }),
    warehouse: z.object({ count: z.number().int(), amount_minor_by_currency: z.record(z.string(), z.number().int()) }),
    in_flight: z.number().int().describe('Recorded payments not in the warehouse yet (ledger − warehouse over the balanced cells)'),
    grace_ms: z.number().int().describe('How long a payment may be in flight before its absence is a mismatch (the SLO window)'),
    status_only: z.number().int().describe('Payments the warehouse knows only from a status event'),
  }),
  freshness: z.object({
    p50_ms: ms,
    p95_ms: ms,
    max_ms: ms,
    samples: z.number().int().describe('Events applied in the last 5 minutes'),
    backfill_excluded: z.number().int().describe('Events applied in the last 5 minutes that happened > 1 h before they were recorded'),
    last_applied_at: z.string().nullable(),
  }),
  dead_letters: z.object({
    open: z.number().int(),
    replayed: z.number().int(),
    by_code: z.array(z.object({ stage: z.string(), code: z.string(), open: z.number().int(), replayed: z.number().int() })),
  }),
  duplicates_dropped: z.object({ since_start: z.number().int() }),
  consumer: z.object({ state: z.string(), applied_since_start: z.number().int(), last_error: z.string().nullable() }).nullable(),
});
const dataProductResponse = z.object({
  name: z.string(),
  description: z.string(),
  owner: z.string(),
  domain: z.string(),
  output_ports: z.array(z.object({ kind: z.string(), description: z.string() })),
  tables: z.array(z.object({ name: z.string(), description: z.string(), columns: z.array(z.string()) })),
  schemas: z.array(z.object({ type: z.string(), version: z.number().int(), latest: z.boolean(), dataschema: z.string(), url: z.string() })),
  personal_data: z.string(),
  slos: z.array(
    z.object({
      name: z.string(),
      objective: z.string(),
      target: z.number(),
      unit: z.string(),
      measured: z.number().nullable(),
      met: z.boolean().nullable(),
      how: z.string(),
    }),
  ),
  measured_at: z.string(),
});
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
const merchantsLoaded = z.object({
  merchants: z.number().int(),
  payments_updated: z.number().int(),
  settlements_updated: z.number().int(),
});
const merchantsList = z.object({
  items: z.array(
    z.object({
      merchant_id: z.string(),
      name: z.string(),
      category: z.string().nullable(),
      settlement_cycle: z.string().nullable(),
      region: z.string().nullable(),
      country: z.string().nullable(),
      updated_at: z.string(),
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

function invalid(issues: z.core.$ZodIssue[], where: string) {
  const list = issues.map((i) => ({ field: i.path.join('.') || where, message: i.message }));
  return failure(ErrorCode.VALIDATION_FAILED, list.map((i) => `${i.field}: ${i.message}`).join('; '), { issues: list });
}

export async function registerPipelineRoutes(app: FastifyInstance, deps: PipelineRouteDeps): Promise<void> {
  app.get(
    '/api/v1/data-quality',
    {
      config: {
        access: ['analyst', 'finance'],
        docs: {
          summary: 'Ledger vs warehouse per day and currency, freshness, dead letters',
          tags: ['pipeline'],
          query: qualityQuery,
          response: qualityResponse,
        },
      },
    },
    async (request, reply) => {
      const q = qualityQuery.safeParse(request.query);
      if (!q.success) return sendFailure(reply, invalid(q.error.issues, 'query'));
      return dataQualityReport(deps, { days: q.data.days });
    },
  );

  app.get(
    '/api/v1/data-product',
    {
      config: {
        access: ['analyst', 'finance'],
        docs: {
          summary: 'The data product descriptor: owner, tables, schemas, SLOs',
          tags: ['pipeline'],
          response: dataProductResponse,
        },
      },
    },
    async (request) => {
      const base = `${request.protocol}://${request.host}`;
      return dataProductDescriptor({ ...deps, owner: deps.dataProductOwner, baseUrl: base });
    },
  );

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
      if (!q.success) return sendFailure(reply, invalid(q.error.issues, 'query'));
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
      if (!body.success) return sendFailure(reply, invalid(body.error.issues, 'body'));
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

  addStrictCsvParser(app);
  app.put(
    '/api/v1/merchants',
    {
      config: {
        access: ['admin'],
        docs: {
          summary: 'Load the merchant dimension (all rows or none); back-fills stored payments',
          tags: ['pipeline'],
          description:
            'A JSON array of merchants, or a text/csv file with a header row of the same fields (merchant_id and name required).',
          body: z.array(merchantSchema),
          bodyContentTypes: ['application/json', 'text/csv'],
          response: merchantsLoaded,
        },
      },
    },
    async (request, reply) => {
      const parsed =
        typeof request.body === 'string'
          ? parseMerchantsCsv(request.body)
          : Array.isArray(request.body)
            ? validateMerchants(request.body)
            : {
                ok: false as const,
                error: failure(ErrorCode.VALIDATION_FAILED, 'send a JSON array of merchants or a text/csv file with a header row'),
              };
      if (!parsed.ok) return sendFailure(reply, parsed.error);
      return deps.merchants.load(parsed.value);
    },
  );

  app.get(
    '/api/v1/merchants',
    {
      config: { access: ['analyst', 'finance'], docs: { summary: 'The merchant dimension', tags: ['pipeline'], response: merchantsList } },
    },
    async () => ({
      items: await deps.warehouse.query(
        'SELECT merchant_id, name, category, settlement_cycle, region, country, updated_at FROM merchants ORDER BY merchant_id',
      ),
    }),
  );
}
