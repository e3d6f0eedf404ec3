import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { timeParam, timeZoneParam, validationFailure } from '../../analytics/query-params.js';
import { type RfmMoney, rfmOverview, rfmSegmentCustomers } from '../../analytics/rfm/rfm.js';
import { SEGMENTS } from '../../analytics/rfm/rfm-scores.js';
import { startOfLocalDate } from '../../analytics/time-zones.js';
import { ErrorCode, type Result, err, failure, ok } from '../../core/errors.js';
import { isKnownCurrency } from '../../core/money.js';
import type { QueryRunner } from '../../warehouse/typed-query.js';
import { sendFailure } from '../http-errors.js';
import { ratesResponse } from './analytics-routes.js';

/** `GET /api/v1/analytics/rfm` and `/rfm/customers`: RFM segments (src/analytics/rfm/README.md). */

const currency = z
  .string()
  .transform((s) => s.toUpperCase())
  .refine(isKnownCurrency, { message: 'expected an ISO 4217 currency code such as INR or USD' });
export const rfmQuery = z.object({
  as_of: timeParam
    .optional()
    .describe('Score as of this instant (RFC 3339) or the end of this local date; default now. Not in the future.'),
  tz: timeZoneParam,
  currency: currency.optional().describe('M counts orders in this currency only (default: the server’s DEFAULT_CURRENCY)'),
  report_currency: currency.optional().describe('M counts every currency converted into this one with the uploaded FX rates'),
});
export const rfmCustomersQuery = rfmQuery.extend({
  segment: z.enum(SEGMENTS, { message: `expected one of ${SEGMENTS.join(', ')}` }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
});

const segment = z.enum(SEGMENTS);
const segmentOrNone = z.enum([...SEGMENTS, 'none']);
const scored = z.object({
  customer: z.string().nullable().describe('Personal (HMAC pseudonym of the customer id): null unless admin'),
  recency_days: z.number().int(),
  orders: z.number().int(),
  monetary_minor: z.number().int().describe('Integer minor units of `currency`'),
  r: z.number().int().min(1).max(5),
  f: z.number().int().min(1).max(5),
  m: z.number().int().min(1).max(5),
  segment,
});
const head = {
  as_of: z.string(),
  window: z.object({ from: z.string(), to: z.string() }).describe('The 365 days before as_of, local to tz'),
  currency: z.string().describe('The currency of M'),
  rates: ratesResponse.optional(),
};
export const rfmResponse = z.object({
  ...head,
  customers: z.number().int().describe('Customers with at least one order in the window'),
  segments: z.array(
    z.object({
      segment,
      customers: z.number().int(),
      share: z.number().nullable(),
      orders: z.number().int(),
      monetary_minor: z.number().int(),
    }),
  ),
  movement: z.object({
    from_as_of: z.string().describe('as_of one week earlier'),
    items: z
      .array(z.object({ from: segmentOrNone, to: segmentOrNone, customers: z.number().int() }))
      .describe('Customers per (segment a week ago, segment now); none = no order in that window; empty cells left out'),
  }),
});
export const rfmCustomersResponse = z.object({
  ...head,
  segment,
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  masked: z.array(z.string()).describe('Fields nulled for this caller'),
  items: z.array(scored),
});

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function resolveAsOf(q: { as_of?: string | undefined; tz: string }, now: number): Result<number> {
  if (q.as_of === undefined) return ok(now);
  const at = DATE.test(q.as_of)
    ? startOfLocalDate(q.tz, new Date(Date.parse(`${q.as_of}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10))
    : Date.parse(q.as_of);
  if (at > now)
    return err(failure(ErrorCode.VALIDATION_FAILED, 'as_of: must not be in the future (a date means the end of that local day)'));
  if (at < Date.UTC(1971, 0, 1)) return err(failure(ErrorCode.VALIDATION_FAILED, 'as_of: must be after 1971-01-01'));
  return ok(at);
}

function moneyOf(q: { currency?: string | undefined; report_currency?: string | undefined }, fallback: string): Result<RfmMoney> {
  if (q.currency && q.report_currency) {
    return err(
      failure(
        ErrorCode.VALIDATION_FAILED,
        'currency, report_currency: give one — currency counts one currency, report_currency converts all',
      ),
    );
  }
  return ok(q.report_currency ? { kind: 'report', currency: q.report_currency } : { kind: 'currency', currency: q.currency ?? fallback });
}

const isAdmin = (request: FastifyRequest) => request.access?.roles.includes('admin') ?? false;

export async function registerRfmRoutes(app: FastifyInstance, deps: { warehouse: QueryRunner; defaultCurrency: string }) {
  const prepare = <S extends typeof rfmQuery | typeof rfmCustomersQuery>(schema: S, query: unknown) => {
    const parsed = schema.safeParse(query ?? {});
    if (!parsed.success) return err(validationFailure(parsed.error.issues));
    const q = parsed.data as z.output<S>;
    const asOf = resolveAsOf(q, Date.now());
    if (!asOf.ok) return asOf;
    const money = moneyOf(q, deps.defaultCurrency);
    if (!money.ok) return money;
    return ok({ q, asOf: asOf.value, money: money.value });
  };
  const description =
    'Customers with at least one order (collected payment) in the 365 days before as_of, scored 1–5 by quintiles on recency, frequency and monetary value (equal values share a score), in segments by the written precedence: champions, loyal, new, potential_loyalists, at_risk, lost, others. See src/analytics/rfm/README.md.';

  app.get(
    '/api/v1/analytics/rfm',
    {
      config: {
        access: ['analyst', 'finance'],
        docs: {
          summary: 'RFM segment sizes and the week-over-week movement between segments',
          description,
          tags: ['analytics'],
          query: rfmQuery,
          response: rfmResponse,
        },
      },
    },
    async (request, reply) => {
      const p = prepare(rfmQuery, request.query);
      if (!p.ok) return sendFailure(reply, p.error);
      const { q, asOf, money } = p.value;
      const result = await rfmOverview(deps.warehouse, { asOf, tz: q.tz, money });
      return result.ok ? result.value : sendFailure(reply, result.error);
    },
  );

  app.get(
    '/api/v1/analytics/rfm/customers',
    {
      config: {
        access: ['analyst', 'finance'],
        audit: true,
        docs: {
          summary: 'The customers of one RFM segment, best first (monetary, then frequency, then recency), paged',
          description: `${description} The customer id (an HMAC pseudonym) is null unless the caller is admin. Audited.`,
          tags: ['analytics'],
          query: rfmCustomersQuery,
          response: rfmCustomersResponse,
        },
      },
    },
    async (request, reply) => {
      const p = prepare(rfmCustomersQuery, request.query);
      if (!p.ok) return sendFailure(reply, p.error);
      const { q, asOf, money } = p.value;
      const result = await rfmSegmentCustomers(deps.warehouse, { asOf, tz: q.tz, money }, q.segment, q.limit, q.offset);
      if (!result.ok) return sendFailure(reply, result.error);
      const { items, total, ...rest } = result.value;
      const admin = isAdmin(request);
      request.auditRows = items.length;
      return {
        ...rest,
        segment: q.segment,
        total,
        limit: q.limit,
        offset: q.offset,
        masked: admin ? [] : ['customer'],
        items: items.map((c) => ({ ...c, customer: admin ? c.customer : null })),
      };
    },
  );
}
