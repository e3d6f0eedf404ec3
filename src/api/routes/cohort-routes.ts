import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type CohortRequest, MAX_COHORTS, queryCohortMatrix } from '../../analytics/cohorts/cohort-matrix.js';
import { ACTIVITY_EVENT_TYPES, COHORT_BASES } from '../../analytics/cohorts/cohort-queries.js';
import { resolveRange, timeParam, timeZoneParam, validationFailure } from '../../analytics/query-params.js';
import { localBucketStarts } from '../../analytics/time-zones.js';
import { sendFailure } from '../http-errors.js';

/** `GET /api/v1/analytics/cohorts`: the retention matrix of any range (src/analytics/cohorts/README.md). */

const ACTIVITIES = ['purchase', ...ACTIVITY_EVENT_TYPES] as const;
const timeText = timeParam.describe('RFC 3339 time with offset, or YYYY-MM-DD (local midnight in tz; for to, the end of that day)');

export const cohortQuery = z.object({
  from: timeText.optional().describe('First cohort: the period holding it (default: 11 periods before to’s)'),
  to: timeText.optional().describe('Last cohort: the period holding the instant before it (default now)'),
  tz: timeZoneParam,
  period: z.enum(['month', 'week'], { message: 'expected month or week' }).default('month'),
  cohort: z.enum(COHORT_BASES, { message: `expected one of ${COHORT_BASES.join(', ')}` }).default('registration'),
  activity: z
    .enum(ACTIVITIES, { message: `expected purchase or a behaviour event type: ${ACTIVITY_EVENT_TYPES.join(', ')}` })
    .default('purchase'),
});

const cells = z.array(z.number().int().nullable()).describe('M0…M12; null for periods not started');
const rates = z.array(z.number().nullable()).describe('M0…M12 in [0, 1] (revenue: may exceed 1), 6 decimals; null when not started');
export const cohortResponse = z.object({
  period: z.enum(['month', 'week']),
  basis: z.enum(COHORT_BASES),
  activity: z.string(),
  tz: z.string(),
  as_of: z.string().describe('Now, local to tz'),
  offsets: z.array(z.number().int()),
  cohorts: z.array(
    z.object({
      start: z.string().describe('Local start of the cohort period, with offset'),
      size: z.number().int().describe('Customers acquired in the period'),
      offsets_complete: z.number().int().describe('Periods M0… that have ended'),
      customers: cells,
      rates,
      revenue: z.array(
        z.object({
          currency: z.string(),
          amounts_minor: cells.describe('Revenue per period in integer minor units'),
          paying_customers: cells,
          rates: rates.describe('Revenue of Mk / revenue of M0'),
        }),
      ),
    }),
  ),
  summary: z.array(
    z.object({
      offset: z.number().int(),
      cohorts: z.number().int().describe('Cohorts whose period Mk has ended'),
      cohort_customers: z.number().int(),
      active_customers: z.number().int(),
      rate: z.number().nullable(),
    }),
  ),
  revenue_summary: z.array(
    z.object({
      offset: z.number().int(),
      currency: z.string(),
      cohorts: z.number().int(),
      base_minor: z.number().int(),
      amount_minor: z.number().int(),
      rate: z.number().nullable(),
    }),
  ),
});

export async function registerCohortRoutes(app: FastifyInstance, deps: { warehouse: Parameters<typeof queryCohortMatrix>[0] }) {
  app.get(
    '/api/v1/analytics/cohorts',
    {
      config: {
        access: ['analyst', 'finance'],
        docs: {
          summary: 'Retention by acquisition cohort: customers and revenue per period M0…M12, and the M1/M3/M6 summary',
          description: `Cohorts are the local months (or ISO weeks) overlapping from/to, each whole, at most ${MAX_COHORTS.month} months or ${MAX_COHORTS.week} weeks (TOO_MANY_POINTS). A customer joins the cohort of their first user.registered event (cohort=registration) or first collected payment (cohort=first_purchase) and is retained in Mk with at least one activity in that period: a collected payment (activity=purchase) or a behaviour event of that type. Revenue (captured amounts of collected payments, per currency) is reported beside, as a share of M0. Definitions: src/analytics/cohorts/README.md.`,
          tags: ['analytics'],
          query: cohortQuery,
          response: cohortResponse,
        },
      },
    },
    async (request, reply) => {
      const parsed = cohortQuery.safeParse(request.query ?? {});
      if (!parsed.success) return sendFailure(reply, validationFailure(parsed.error.issues));
      const q = parsed.data;
      const now = Date.now();
      const range = resolveRange(
        { ...(q.from === undefined ? {} : { from: q.from }), ...(q.to === undefined ? {} : { to: q.to }), tz: q.tz },
        now,
      );
      if (!range.ok) return sendFailure(reply, range.error);
      const to = range.value.to;
      let from = range.value.from;
      if (q.from === undefined) {
        // Without from: the twelve periods up to to's (resolveRange's own default is 30 days).
        const back = (q.period === 'month' ? 366 : 84) * 86_400_000;
        const starts = localBucketStarts(q.tz, q.period, to - back, to, 60);
        from = starts[Math.max(0, starts.length - 12)] ?? to - back;
      }
      const r: CohortRequest = { from, to, tz: q.tz, period: q.period, basis: q.cohort, activity: q.activity, now };
      const result = await queryCohortMatrix(deps.warehouse, r);
      return result.ok ? { ...result.value, tz: q.tz } : sendFailure(reply, result.error);
    },
  );
}
