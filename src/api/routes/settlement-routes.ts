import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { analyticsQuerySchema, parseAnalyticsQuery } from '../../analytics/query-params.js';
import { querySettlementTiles } from '../../analytics/settlement-tiles.js';
import type { Warehouse } from '../../warehouse/warehouse-port.js';
import { sendFailure } from '../http-errors.js';
import { rangeResponse, ratesResponse } from './analytics-routes.js';

// ── the tiles' shapes (docs/analytics-api.md#settlement-tiles), for the OpenAPI document ──────────

const minor = z.number().int().describe('Integer minor units of `currency`');
const rate = z.number().min(0).max(1).nullable().describe('In [0, 1], 6 decimals; null when the denominator is 0');
const byStage = z.object({ UNBATCHED: minor, PENDING: minor, RECONCILED: minor });
const unsettledMerchant = z.object({
  rank: z.number().int().min(1),
  merchant_id: z.string(),
  merchant_name: z.string().nullable(),
  settlement_cycle: z.string().nullable(),
  currency: z.string(),
  unsettled_minor: minor,
  unsettled_count: z.number().int(),
  by_stage: byStage,
  oldest_payment_time: z.string().nullable(),
});
const perCurrency = <T extends z.ZodRawShape>(shape: T) => z.array(z.object({ currency: z.string(), ...shape }));

export const settlementTilesResponse = z.object({
  range: rangeResponse,
  as_of: z.string().describe('Now, local to tz'),
  tiles: z.object({
    gmv: perCurrency({ gmv_minor: minor }),
    transactions: perCurrency({ count: z.number().int() }),
    settled_amount: perCurrency({ settled_minor: minor, settled_count: z.number().int() }),
    pending_amount: perCurrency({ pending_minor: minor, by_stage: byStage }),
    settlement_rate: perCurrency({ by_amount: rate, by_count: rate }),
    settlement_lag: z.object({
      by_currency: perCurrency({
        average_days: z.number().nullable(),
        label: z.string().nullable().describe('T+N, N the rounded average'),
        samples: z.number().int(),
      }),
      by_settlement_cycle: z.array(
        z.object({ settlement_cycle: z.string(), samples: z.number().int(), average_days: z.number().nullable() }),
      ),
    }),
    gmv_by_payment_mode: z.array(z.object({ payment_method: z.string(), currency: z.string(), gmv_minor: minor, count: z.number().int() })),
    hourly_settlement_rate: perCurrency({
      points: z.array(z.object({ start: z.string(), gmv_minor: minor, settled_minor: minor, settlement_rate: rate })),
    }),
    top_unsettled_merchants: z.array(unsettledMerchant),
  }),
  report: z
    .object({
      currency: z.string(),
      rates: ratesResponse,
      tiles: z.object({
        gmv_minor: minor,
        transactions: z.number().int(),
        settled_minor: minor,
        settled_count: z.number().int(),
        pending_minor: minor,
        by_stage: byStage,
        settlement_rate: z.object({ by_amount: rate, by_count: rate }),
        gmv_by_payment_mode: z.array(z.object({ payment_method: z.string(), gmv_minor: minor, count: z.number().int() })),
        hourly_settlement_rate: z.array(z.object({ start: z.string(), gmv_minor: minor, settled_minor: minor, settlement_rate: rate })),
        top_unsettled_merchants: z.array(unsettledMerchant),
      }),
    })
    .optional()
    .describe('With report_currency: the amount tiles converted, each currency total half-even with the rate of the last local date'),
});

/** `/api/v1/settlement/*`: the nine settlement tiles (docs/analytics-api.md#settlement-tiles). */
export async function registerSettlementRoutes(app: FastifyInstance, deps: { warehouse: Warehouse }): Promise<void> {
  app.get(
    '/api/v1/settlement/tiles',
    {
      config: {
        access: ['finance'],
        docs: {
          summary: 'The nine settlement tiles: GMV, settled and pending amounts, settlement rate and lag, trend, top unsettled merchants',
          description:
            'Over the successful payments of the range (at most 744 local hours, else TOO_MANY_POINTS), per currency. Same filters as the analytics routes (`parseAnalyticsQuery`); `report_currency` adds `report`: the amount tiles converted with the uploaded FX rates (FX_RATE_MISSING when a currency has none). See docs/analytics-api.md#settlement-tiles.',
          tags: ['settlement'],
          query: analyticsQuerySchema,
          response: settlementTilesResponse,
        },
      },
    },
    async (request, reply) => {
      const q = parseAnalyticsQuery(request.query);
      if (!q.ok) return sendFailure(reply, q.error);
      const result = await querySettlementTiles(deps.warehouse, q.value);
      return result.ok ? result.value : sendFailure(reply, result.error);
    },
  );
}
