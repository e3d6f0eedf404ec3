import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  DIMENSION_NAMES,
  type Dimension,
  TOP_METRICS,
  type TopMetric,
  queryBreakdown,
  queryKpis,
  queryReasons,
  queryTimeseries,
  queryTop,
} from '../../analytics/analytics-queries.js';
import { type AnalyticsQuery, parseAnalyticsQuery, validationFailure } from '../../analytics/query-params.js';
import type { Result } from '../../core/errors.js';
import type { Warehouse } from '../../warehouse/warehouse-port.js';
import { sendFailure } from '../http-errors.js';

/**
 * `/api/v1/analytics/*`: KPIs, breakdowns, time series, reasons and top-N over the rollups
 * (docs/analytics-api.md). Each route declares the role it needs in `config.role` for the access hook.
 */
export interface AnalyticsRouteDeps {
  warehouse: Warehouse;
}

const dimension = z.enum(DIMENSION_NAMES as [Dimension, ...Dimension[]], {
  message: `expected one of ${DIMENSION_NAMES.join(', ')}`,
});
const breakdownQuery = z.object({
  dimension,
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
const timeseriesQuery = z.object({
  granularity: z
    .enum(['minute', 'hour', 'day', 'week', 'month'], { message: 'expected one of minute, hour, day, week, month' })
    .default('day'),
});
const reasonsQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(20) });
const metricNames = Object.keys(TOP_METRICS) as TopMetric[];
const topQuery = z.object({
  dimension: dimension.default('merchant'),
  n: z.coerce.number().int().min(1).max(100).default(10),
  metric: z.enum(metricNames as [TopMetric, ...TopMetric[]], { message: `expected one of ${metricNames.join(', ')}` }).default('gmv'),
});

/** The shared filters plus a route's own parameters; answers VALIDATION_FAILED with every problem. */
function withQuery<S extends z.ZodType>(
  schema: S,
  run: (q: AnalyticsQuery, own: z.output<S>) => Promise<Result<unknown>>,
): (request: { query: unknown }, reply: FastifyReply) => Promise<unknown> {
  return async (request, reply) => {
    const own = schema.safeParse(request.query ?? {});
    if (!own.success) return sendFailure(reply, validationFailure(own.error.issues));
    const shared = parseAnalyticsQuery(request.query);
    if (!shared.ok) return sendFailure(reply, shared.error);
    const result = await run(shared.value, own.data);
    return result.ok ? result.value : sendFailure(reply, result.error);
  };
}

const ANALYST = { access: ['analyst', 'finance'] as const };

export async function registerAnalyticsRoutes(app: FastifyInstance, deps: AnalyticsRouteDeps): Promise<void> {
  const { warehouse } = deps;
  const none = z.object({});
  app.get(
    '/api/v1/analytics/kpis',
    { config: ANALYST },
    withQuery(none, (q) => queryKpis(warehouse, q)),
  );
  app.get(
    '/api/v1/analytics/breakdown',
    { config: ANALYST },
    withQuery(breakdownQuery, (q, o) => queryBreakdown(warehouse, q, o)),
  );
  app.get(
    '/api/v1/analytics/timeseries',
    { config: ANALYST },
    withQuery(timeseriesQuery, (q, o) => queryTimeseries(warehouse, q, o)),
  );
  app.get(
    '/api/v1/analytics/failure-reasons',
    { config: ANALYST },
    withQuery(reasonsQuery, (q, o) => queryReasons(warehouse, q, { kind: 'failure', limit: o.limit })),
  );
  app.get(
    '/api/v1/analytics/refund-reasons',
    { config: ANALYST },
    withQuery(reasonsQuery, (q, o) => queryReasons(warehouse, q, { kind: 'refund', limit: o.limit })),
  );
  app.get(
    '/api/v1/analytics/top',
    { config: ANALYST },
    withQuery(topQuery, (q, o) => queryTop(warehouse, q, o)),
  );
}
