import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type DataQualityDeps, dataQualityReport } from '../../pipeline/data-quality.js';
import { sendFailure } from '../http-errors.js';
import { validationFailure } from '../openapi/route-docs.js';

const qualityQuery = z.object({ days: z.coerce.number().int().min(1).max(366).default(7) });

// The response, for the OpenAPI document (its type: DataQualityReport in src/pipeline/data-quality.ts).
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

/** `GET /api/v1/data-quality`: ledger vs warehouse per day and currency, freshness, dead letters, duplicates. */
export async function registerDataQualityRoutes(app: FastifyInstance, deps: DataQualityDeps): Promise<void> {
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
      if (!q.success) return sendFailure(reply, validationFailure(q.error.issues, 'query'));
      return dataQualityReport(deps, { days: q.data.days });
    },
  );
}
