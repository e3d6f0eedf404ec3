import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  DIMENSION_NAMES,
  type Dimension,
  FAILURE_GROUPS,
  TOP_METRICS,
  type TopMetric,
  queryBreakdown,
  queryFailureReasons,
  queryKpis,
  queryRefundReasons,
  queryTimeseries,
  queryTop,
} from '../../analytics/analytics-queries.js';
import { type AnalyticsQuery, analyticsQuerySchema, parseAnalyticsQuery, validationFailure } from '../../analytics/query-params.js';
import { FAILURE_CATEGORIES } from '../../contracts/index.js';
import type { Result } from '../../core/errors.js';
import type { Warehouse } from '../../warehouse/warehouse-port.js';
import { sendFailure } from '../http-errors.js';
import type { RouteDocs } from '../openapi/route-docs.js';

/**
 * `/api/v1/analytics/*`: KPIs, breakdowns, time series, reasons and top-N over the rollups
 * (docs/analytics-api.md). Each route declares who may call it in `config.access` and its OpenAPI
 * description in `config.docs`: the query schema documented is the one `withQuery` validates with.
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
const FAILURE_CATEGORY_VALUES = [...FAILURE_CATEGORIES, '(unknown)'] as const;
const failureReasonsQuery = reasonsQuery.extend({
  group: z
    .enum(FAILURE_GROUPS, { message: `expected one of ${FAILURE_GROUPS.join(', ')}` })
    .default('category')
    .describe('category (default): per failure category, each with its gateway codes; code: per gateway code with its category'),
  category: z
    .enum(FAILURE_CATEGORY_VALUES, { message: `expected one of ${FAILURE_CATEGORY_VALUES.join(', ')}` })
    .optional()
    .describe('only the failures of this category (the drill-down)'),
});
const metricNames = Object.keys(TOP_METRICS) as TopMetric[];
const topQuery = z.object({
  dimension: dimension.default('merchant'),
  n: z.coerce.number().int().min(1).max(100).default(10),
  metric: z.enum(metricNames as [TopMetric, ...TopMetric[]], { message: `expected one of ${metricNames.join(', ')}` }).default('gmv'),
});

// ── response shapes (docs/analytics-api.md), for the OpenAPI document ──────────────────────────────

/** The effective, minute-widened range as local times with offset. */
export const rangeResponse = z.object({
  from: z.string().describe('Local ISO time with offset, inclusive'),
  to: z.string().describe('Local ISO time with offset, exclusive'),
  tz: z.string(),
});
const rate = z.number().min(0).max(1).nullable().describe('In [0, 1], 6 decimals; null when the denominator is 0');
const minor = z.number().int().describe('Integer minor units of `currency`');
/** The KPI object (docs/analytics-api.md#kpi-object-kpis). */
export const kpisResponse = z.object({
  currency: z.string().describe('ISO 4217'),
  gmv_minor: minor,
  payment_count: z.number().int(),
  successful_count: z.number().int(),
  failed_count: z.number().int(),
  pending_count: z.number().int(),
  aov_minor: minor.nullable(),
  success_rate: rate,
  failure_rate: rate,
  authorized_count: z.number().int().describe('Payments that reached authorized or a later state'),
  authorization_rate: rate.describe('authorized_count / payment_count, per payment (latest state)'),
  capture_rate: rate.describe('successful_count / authorized_count: authorised payments that were captured'),
  fee_minor: minor,
  refund_count: z.number().int().nullable().describe('null where refunds cannot be attributed (method, region, status)'),
  refund_amount_minor: minor.nullable(),
  refund_rate: rate,
  refunded_minor: minor.describe("What the ledger refunded so far of the range's payments (by payment time)"),
  refund_rate_by_amount: rate.describe('refunded_minor / gmv_minor: share of the captured amount of these payments refunded'),
  dispute_count: z.number().int().nullable(),
  dispute_amount_minor: minor.nullable(),
  dispute_rate: rate,
  net_revenue_minor: minor,
});
export const ratesResponse = z
  .array(
    z.object({
      currency: z.string(),
      rate_date: z.string().nullable().describe('null for the report currency itself (rate 1)'),
      base: z.string(),
      quote: z.string(),
      rate: z.string().describe('Exact decimal'),
      inverted: z.boolean(),
    }),
  )
  .describe('The FX rates used for report_currency');
/** Filters that could not apply to some figures. */
export const notesResponse = z.array(z.string());

const lifecycleResponse = z.object({
  currency: z.string(),
  attempt_count: z.number().int().describe('failed_attempts + payments with a captured/succeeded history row'),
  failed_attempts: z.number().int().describe('History rows reporting failed'),
  attempt_success_rate: rate.describe('Per attempt (history rows); success_rate of the KPIs is per payment (latest state)'),
  time_to_capture: z.object({
    payments: z.number().int().describe('Payments with an authorized and a later captured/succeeded history row'),
    median_ms: z.number().int().nullable().describe('Nearest-rank median of authorized → captured, by the events’ times'),
    p90_ms: z.number().int().nullable().describe('Nearest-rank 90th percentile'),
  }),
});
export const kpisRouteResponse = z.object({
  range: rangeResponse,
  currencies: z.array(kpisResponse),
  lifecycle: z.array(lifecycleResponse).describe('Per currency, from the status history of the range’s payments'),
  report: z.object({ currency: z.string(), kpis: kpisResponse, rates: ratesResponse }).optional().describe('Only with report_currency'),
  notes: notesResponse,
});
const breakdownItem = kpisResponse.extend({ value: z.string() });
export const breakdownResponse = z.object({
  range: rangeResponse,
  dimension,
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  items: z.array(breakdownItem),
  rates: ratesResponse.optional(),
  notes: notesResponse,
});
const pointResponse = kpisResponse.extend({ start: z.string().describe('Local bucket start with offset') });
export const timeseriesResponse = z.object({
  range: rangeResponse,
  granularity: z.enum(['minute', 'hour', 'day', 'week', 'month']),
  buckets: z.array(z.string()),
  series: z.array(z.object({ currency: z.string(), points: z.array(pointResponse) })),
  report: z.object({ currency: z.string(), points: z.array(pointResponse), rates: ratesResponse }).optional(),
  notes: notesResponse,
});
export const reasonsResponse = z.object({
  range: rangeResponse,
  items: z.array(z.object({ reason: z.string(), currency: z.string(), count: z.number().int(), amount_minor: minor, share: rate })),
  notes: notesResponse,
});
const failureCodeCount = z.object({ code: z.string(), count: z.number().int(), amount_minor: minor, share: rate });
export const failureReasonsResponse = z.object({
  range: rangeResponse,
  group: z.enum(FAILURE_GROUPS),
  items: z.array(
    z.object({
      reason: z.string().describe('The category (group=category) or the gateway code (group=code)'),
      category: z.string().describe(`One of ${FAILURE_CATEGORY_VALUES.join(', ')}`),
      code: z.string().optional().describe('group=code: the gateway code, or the reason text when none was sent'),
      currency: z.string(),
      count: z.number().int(),
      amount_minor: minor,
      share: rate.describe('Of the currency’s failed payments'),
      codes: z
        .array(failureCodeCount)
        .optional()
        .describe('group=category: the codes in this category, most frequent first; share is of the category'),
    }),
  ),
  notes: notesResponse,
});
export const topResponse = z.object({
  range: rangeResponse,
  dimension,
  metric: z.enum(metricNames as [TopMetric, ...TopMetric[]]),
  n: z.number().int(),
  items: z.array(breakdownItem.extend({ rank: z.number().int().min(1) })),
  rates: ratesResponse.optional(),
  notes: notesResponse,
});

/**
 * The shared filters (`analyticsQuerySchema`) plus a route's own parameters, as one schema: the one
 * the handler validates with and the one its `config.docs.query` documents.
 */
function fullQuery(own: z.ZodObject) {
  return analyticsQuerySchema.extend(own.shape);
}

/** Validates the whole query (VALIDATION_FAILED with every problem), resolves the range, runs the query. */
function withQuery<S extends z.ZodObject>(
  full: z.ZodObject,
  run: (q: AnalyticsQuery, own: z.output<S>) => Promise<Result<unknown>>,
): (request: { query: unknown }, reply: FastifyReply) => Promise<unknown> {
  return async (request, reply) => {
    const parsed = full.safeParse(request.query ?? {});
    if (!parsed.success) return sendFailure(reply, validationFailure(parsed.error.issues));
    const shared = parseAnalyticsQuery(request.query);
    if (!shared.ok) return sendFailure(reply, shared.error);
    // `full` extends the route's own schema S with the shared keys (no name in common): its output holds S's.
    const result = await run(shared.value, parsed.data as z.output<S>);
    return result.ok ? result.value : sendFailure(reply, result.error);
  };
}

const COMMON =
  'Common parameters: from, to (RFC 3339 or YYYY-MM-DD in tz), tz, filters as comma lists, report_currency. See docs/analytics-api.md.';

/** The route's config: who may call it, and its docs with the query it validates. */
function analyticsConfig(docs: Omit<RouteDocs, 'query' | 'tags'> & { query: z.ZodObject }) {
  return { access: ['analyst', 'finance'] as const, docs: { tags: ['analytics'], ...docs, description: docs.description ?? COMMON } };
}

export async function registerAnalyticsRoutes(app: FastifyInstance, deps: AnalyticsRouteDeps): Promise<void> {
  const { warehouse } = deps;
  const route = <S extends z.ZodObject>(
    url: string,
    docs: Omit<RouteDocs, 'query' | 'tags'>,
    own: S,
    run: (q: AnalyticsQuery, o: z.output<S>) => Promise<Result<unknown>>,
  ) => {
    const query = fullQuery(own);
    app.get(url, { config: analyticsConfig({ ...docs, query }) }, withQuery<S>(query, run));
  };
  route(
    '/api/v1/analytics/kpis',
    { summary: 'KPIs of the range per currency (GMV, counts, rates, refunds, disputes, net revenue)', response: kpisRouteResponse },
    z.object({}),
    (q) => queryKpis(warehouse, q),
  );
  route(
    '/api/v1/analytics/breakdown',
    { summary: 'KPIs per value of a dimension and currency, paginated', response: breakdownResponse },
    breakdownQuery,
    (q, o) => queryBreakdown(warehouse, q, o),
  );
  route(
    '/api/v1/analytics/timeseries',
    { summary: 'KPIs per local time bucket (at most 5,000 points)', response: timeseriesResponse },
    timeseriesQuery,
    (q, o) => queryTimeseries(warehouse, q, o),
  );
  route(
    '/api/v1/analytics/failure-reasons',
    {
      summary: 'Failed payments per failure category (with its codes) or per gateway code, and currency',
      response: failureReasonsResponse,
    },
    failureReasonsQuery,
    (q, o) => queryFailureReasons(warehouse, q, { group: o.group, category: o.category ?? null, limit: o.limit }),
  );
  route(
    '/api/v1/analytics/refund-reasons',
    { summary: 'Refunds per reason and currency', response: reasonsResponse },
    reasonsQuery,
    (q, o) => queryRefundReasons(warehouse, q, { limit: o.limit }),
  );
  route(
    '/api/v1/analytics/top',
    { summary: 'The top n values of a dimension per currency by a metric', response: topResponse },
    topQuery,
    (q, o) => queryTop(warehouse, q, o),
  );
}
