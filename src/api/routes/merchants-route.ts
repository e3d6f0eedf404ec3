import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ErrorCode, failure } from '../../core/errors.js';
import { type MerchantDirectory, merchantSchema, parseMerchantsCsv, validateMerchants } from '../../pipeline/merchant-dimension.js';
import { listMerchants } from '../../warehouse/queries/merchant-queries.js';
import { runQuery } from '../../warehouse/typed-query.js';
import type { Warehouse } from '../../warehouse/warehouse-port.js';
import { addStrictCsvParser } from '../body-parsers.js';
import { sendFailure } from '../http-errors.js';

export interface MerchantRouteDeps {
  warehouse: Warehouse;
  merchants: MerchantDirectory;
}

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

/**
 * `PUT /api/v1/merchants` (load the merchant dimension from JSON or CSV, all rows or none) and
 * `GET /api/v1/merchants` (list it). Adds the strict `text/csv` parser to the scope it is given.
 */
export async function registerMerchantRoutes(app: FastifyInstance, deps: MerchantRouteDeps): Promise<void> {
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
    async () => ({ items: await runQuery(deps.warehouse, listMerchants, {}) }),
  );
}
