import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { BREAKDOWNS, type FunnelDefinition, STANDARD_FUNNEL, funnelDefinitionSchema } from '../../analytics/funnels/funnel-definition.js';
import { queryFunnelReport } from '../../analytics/funnels/funnel-report.js';
import { analyticsQuerySchema, resolveRange, timeZoneParam, validationFailure } from '../../analytics/query-params.js';
import { formatLocal } from '../../analytics/time-zones.js';
import { ErrorCode, failure } from '../../core/errors.js';
import { deleteFunnel, findFunnel, latestFunnelSnapshot, listFunnels, saveFunnel } from '../../store/funnel-tables.js';
import type { OperationalStore } from '../../store/store-port.js';
import type { Warehouse } from '../../warehouse/warehouse-port.js';
import { sendFailure } from '../http-errors.js';
import { rangeResponse } from './analytics-routes.js';

/**
 * `/api/v1/analytics/funnels`: the standard purchase funnel or a saved or posted definition over a
 * range, with an optional breakdown, a second range to compare and checkout drop-off reasons; and
 * the saved definitions (src/analytics/funnels/README.md).
 */
export interface FunnelRouteDeps {
  warehouse: Warehouse;
  store: OperationalStore;
}

const DATE_OR_TIME = 'RFC 3339 time with offset or a date YYYY-MM-DD (local midnight in tz; to: the end of that day)';
// The shared analytics time parameter (RFC 3339 with offset, or a date), optional.
const time = analyticsQuerySchema.shape.from.describe(DATE_OR_TIME);
const funnelRef = z.string().refine((s) => s === 'standard' || /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s), {
  message: 'expected standard or the id of a saved funnel (a UUID)',
});
const reportParams = {
  from: time.describe(`Start of the range (default: 7 days before to); ${DATE_OR_TIME}`),
  to: time.describe('End of the range, exclusive (default: now)'),
  tz: timeZoneParam,
  compare_from: time.describe('Start of a second range to compare (with compare_to)'),
  compare_to: time,
  breakdown: z.enum(BREAKDOWNS, { message: `expected one of ${BREAKDOWNS.join(', ')}` }).optional(),
};
const getQuery = z.object({
  funnel: funnelRef.default('standard').describe('standard (default) or a saved funnel id'),
  ...reportParams,
  dropoff_reasons: z.enum(['true', 'false'], { message: 'expected true or false' }).default('true'),
});
const postBody = z
  .object({
    funnel: funnelRef.optional().describe('standard or a saved funnel id (or give definition)'),
    definition: z.unknown().optional().describe('An ad-hoc funnel definition (see FunnelDefinition)'),
    ...reportParams,
    dropoff_reasons: z.boolean().default(true),
  })
  .refine((b) => !(b.funnel !== undefined && b.definition !== undefined), { message: 'give funnel or definition, not both' });
const saveBody = z.object({ name: z.string().trim().min(1).max(100), definition: z.unknown() });
const idParams = z.object({ id: z.uuid({ message: 'expected a funnel id (UUID)' }) });

// ── responses ───────────────────────────────────────────────────────────────────────────────────
const fraction = z.string().nullable().describe('A fraction 0…1 as decimal text with 4 places, half-even from exact counts; null when 0/0');
const stepResponse = z.object({
  index: z.number().int(),
  label: z.string(),
  event: z.string(),
  entered: z.number().int(),
  converted: z.number().int(),
  conversion_from_previous: fraction,
  conversion_from_first: fraction,
  dropped_off: z.number().int(),
  drop_off_rate: fraction,
  median_time_to_convert_ms: z.number().nullable(),
  mean_time_to_convert_ms: z.string().nullable().describe('Exact mean, 1 decimal'),
});
const countsResponse = z.object({ units: z.number().int(), steps: z.array(stepResponse) });
const breakdownRows = z.array(countsResponse.extend({ value: z.string().nullable() })).nullable();
const definitionResponse = z.record(z.string(), z.unknown()).describe('The funnel definition as validated (defaults filled in)');
const alertResponse = z.object({
  computed_at: z.string(),
  range: z.object({ from: z.string(), to: z.string() }),
  drop_off: fraction,
  baseline: fraction,
  points_above_baseline: z.string().nullable(),
  flagged: z.boolean().describe('Cart → checkout drop-off of the last 24 h more than 5 points above its 7-day baseline'),
});
export const funnelReportResponse = z.object({
  funnel: z.object({ id: z.string(), name: z.string(), definition: definitionResponse }),
  range: rangeResponse,
  totals: countsResponse,
  breakdown: breakdownRows,
  compare: z.object({ range: rangeResponse, totals: countsResponse, breakdown: breakdownRows }).nullable(),
  dropoff_reasons: z
    .object({
      sessions: z.number().int().describe('Sessions that started checkout in the range and have no confirmed payment'),
      reasons: z.array(
        z.object({
          kind: z.enum(['payment_failed', 'checkout_abandoned', 'error_event']),
          reason: z.string(),
          sessions: z.number().int(),
          share: fraction,
        }),
      ),
    })
    .nullable(),
  alert: alertResponse.nullable().describe('Standard funnel only: the latest hourly snapshot'),
});
export const savedFunnelResponse = z.object({
  id: z.string(),
  name: z.string(),
  definition: definitionResponse,
  created_by: z.string().nullable(),
  created_at: z.string(),
});
export const savedFunnelsResponse = z.object({ items: z.array(savedFunnelResponse), standard: definitionResponse });

function parseDefinition(input: unknown, where: string) {
  const parsed = funnelDefinitionSchema.safeParse(input);
  if (parsed.success) return { ok: true as const, value: parsed.data };
  return {
    ok: false as const,
    error: validationFailure(parsed.error.issues.map((i) => ({ ...i, path: [where, ...i.path] }))),
  };
}

export async function registerFunnelRoutes(app: FastifyInstance, deps: FunnelRouteDeps): Promise<void> {
  const report = async (input: z.output<typeof getQuery> | z.output<typeof postBody>, definitionInput: unknown, reply: FastifyReply) => {
    const DAY = 86_400_000;
    const range = resolveRange({ to: input.to, from: input.from ?? undefined, tz: input.tz });
    if (!range.ok) return sendFailure(reply, range.error);
    const main = input.from === undefined ? { ...range.value, from: range.value.to - 7 * DAY } : range.value;
    if ((input.compare_from === undefined) !== (input.compare_to === undefined)) {
      return sendFailure(
        reply,
        failure(ErrorCode.VALIDATION_FAILED, 'compare_from and compare_to go together: give both or neither', {
          issues: [{ field: input.compare_from === undefined ? 'compare_from' : 'compare_to', message: 'needs its pair' }],
        }),
      );
    }
    let compare: { from: number; to: number; tz: string } | undefined;
    if (input.compare_from !== undefined && input.compare_to !== undefined) {
      const c = resolveRange({ from: input.compare_from, to: input.compare_to, tz: input.tz });
      if (!c.ok) return sendFailure(reply, c.error);
      compare = c.value;
    }
    // Timestamp literals hold years 1970…9999; a range (plus a 90-day window) outside them is bad input.
    const outside = [main, ...(compare ? [compare] : [])].find((r) => r.from < 0 || r.to + 90 * DAY >= Date.UTC(9999, 0, 1));
    if (outside) {
      return sendFailure(
        reply,
        failure(ErrorCode.VALIDATION_FAILED, 'the range must lie between 1970 and 9998', {
          issues: [{ field: 'from', message: 'out of range' }],
        }),
      );
    }
    let funnel: { id: string; name: string; definition: FunnelDefinition };
    if (definitionInput !== undefined) {
      const def = parseDefinition(definitionInput, 'definition');
      if (!def.ok) return sendFailure(reply, def.error);
      funnel = { id: 'ad-hoc', name: 'ad hoc', definition: def.value };
    } else {
      const ref = 'funnel' in input && input.funnel ? input.funnel : 'standard';
      if (ref === 'standard') funnel = { id: 'standard', name: 'Standard purchase funnel', definition: STANDARD_FUNNEL };
      else {
        const saved = await findFunnel(deps.store, ref);
        if (!saved)
          return sendFailure(
            reply,
            failure(ErrorCode.FUNNEL_NOT_FOUND, `no saved funnel ${ref}; GET /api/v1/analytics/funnels/definitions lists them`),
          );
        const def = parseDefinition(saved.definition, 'definition');
        if (!def.ok) return sendFailure(reply, def.error);
        funnel = { id: saved.id, name: saved.name, definition: def.value };
      }
    }
    const result = await queryFunnelReport(deps.warehouse, {
      definition: funnel.definition,
      range: main,
      compare,
      breakdown: input.breakdown,
      dropOffReasons: input.dropoff_reasons === true || input.dropoff_reasons === 'true',
    });
    const view = (r: { from: number; to: number }) => ({
      from: formatLocal(input.tz, r.from),
      to: formatLocal(input.tz, r.to),
      tz: input.tz,
    });
    const snapshot = funnel.id === 'standard' ? await latestFunnelSnapshot(deps.store) : null;
    return {
      funnel,
      range: view(main),
      totals: result.totals,
      breakdown: result.breakdown,
      compare:
        result.compare && compare ? { range: view(compare), totals: result.compare.totals, breakdown: result.compare.breakdown } : null,
      dropoff_reasons: result.dropoff_reasons,
      alert: snapshot
        ? {
            computed_at: snapshot.computed_at,
            range: { from: snapshot.range_from, to: snapshot.range_to },
            drop_off: snapshot.cart_checkout_drop_off,
            baseline: snapshot.baseline_drop_off,
            points_above_baseline:
              (snapshot.result as { alert?: { points_above_baseline?: string | null } } | null)?.alert?.points_above_baseline ?? null,
            flagged: snapshot.flagged,
          }
        : null,
    };
  };

  const docs = {
    tags: ['analytics'],
    response: funnelReportResponse,
  };
  app.get(
    '/api/v1/analytics/funnels',
    {
      config: {
        access: ['analyst', 'finance'],
        docs: {
          ...docs,
          summary: 'A funnel (standard purchase funnel or a saved one) per step, with breakdown, comparison and drop-off reasons',
          description:
            'Steps must start in [from, to) (default: the last 7 days); later steps may follow until to + the conversion window. See src/analytics/funnels/README.md for the modes, windows, exclusions and how each step maps to stored data.',
          query: getQuery,
        },
      },
    },
    async (request, reply) => {
      const q = getQuery.safeParse(request.query ?? {});
      if (!q.success) return sendFailure(reply, validationFailure(q.error.issues));
      return report(q.data, undefined, reply);
    },
  );
  app.post(
    '/api/v1/analytics/funnels',
    {
      config: {
        access: ['analyst', 'finance'],
        docs: {
          ...docs,
          summary: 'An ad-hoc funnel definition (or a saved one) over a range, with breakdown, comparison and drop-off reasons',
          body: postBody,
        },
      },
    },
    async (request, reply) => {
      const b = postBody.safeParse(request.body ?? {});
      if (!b.success) return sendFailure(reply, validationFailure(b.error.issues, 'body'));
      return report(b.data, b.data.definition, reply);
    },
  );
  app.get(
    '/api/v1/analytics/funnels/definitions',
    {
      config: {
        access: ['analyst', 'finance'],
        docs: { tags: ['analytics'], summary: 'Saved funnel definitions, and the standard one', response: savedFunnelsResponse },
      },
    },
    async () => ({ items: await listFunnels(deps.store), standard: STANDARD_FUNNEL }),
  );
  app.post(
    '/api/v1/analytics/funnels/definitions',
    {
      config: {
        access: ['analyst'],
        docs: {
          tags: ['analytics'],
          summary: 'Save a funnel definition under a unique name',
          body: saveBody,
          response: savedFunnelResponse,
          status: 201,
        },
      },
    },
    async (request, reply) => {
      const b = saveBody.safeParse(request.body ?? {});
      if (!b.success) return sendFailure(reply, validationFailure(b.error.issues, 'body'));
      const def = parseDefinition(b.data.definition, 'definition');
      if (!def.ok) return sendFailure(reply, def.error);
      const saved = await saveFunnel(deps.store, { name: b.data.name, definition: def.value, createdBy: request.access?.keyName ?? null });
      if (!saved.ok) return sendFailure(reply, failure(ErrorCode.FUNNEL_NAME_TAKEN, `a saved funnel is already named '${b.data.name}'`));
      return reply.code(201).send(saved.funnel);
    },
  );
  app.delete(
    '/api/v1/analytics/funnels/definitions/:id',
    {
      config: {
        access: ['analyst'],
        docs: {
          tags: ['analytics'],
          summary: 'Delete a saved funnel definition',
          params: idParams,
          response: z.object({ id: z.string() }),
        },
      },
    },
    async (request, reply) => {
      const p = idParams.safeParse(request.params);
      if (!p.success) return sendFailure(reply, validationFailure(p.error.issues, 'path'));
      if (!(await deleteFunnel(deps.store, p.data.id)))
        return sendFailure(reply, failure(ErrorCode.FUNNEL_NOT_FOUND, `no saved funnel ${p.data.id}`));
      return { id: p.data.id };
    },
  );
}
