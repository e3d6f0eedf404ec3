import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { listFxRates, parseFxRatesCsv, storeFxRates } from '../../analytics/fx-rates.js';
import { ErrorCode, failure } from '../../core/errors.js';
import type { Warehouse } from '../../warehouse/warehouse-port.js';
import { addStrictCsvParser } from '../body-parsers.js';
import { sendFailure } from '../http-errors.js';

/** The body as documented: the CSV itself is checked row by row by `parseFxRatesCsv`. */
const fxRatesCsv = z
  .string()
  .describe(
    'CSV with the header date,base,quote,rate; `2026-11-07,USD,INR,83.2512` means 1 USD = 83.2512 INR on that date. All rows or none; a new upload replaces the same (date, base, quote).',
  );
export const fxRatesLoaded = z.object({ loaded: z.number().int().describe('Rows stored') });
export const fxRatesList = z.object({
  items: z.array(
    z.object({
      date: z.string().describe('YYYY-MM-DD'),
      base: z.string().describe('ISO 4217'),
      quote: z.string().describe('ISO 4217'),
      rate: z.string().describe('Exact decimal: 1 base = rate quote'),
    }),
  ),
});

/** A year of daily rates for a few hundred pairs; the server's default limit is sized for one webhook. */
export const FX_RATES_MAX_BODY_BYTES = 5 * 1024 * 1024;

/** `PUT /api/v1/fx-rates` (CSV `date,base,quote,rate`, all rows or none) and `GET /api/v1/fx-rates`. */
export async function registerFxRateRoutes(app: FastifyInstance, deps: { warehouse: Warehouse }): Promise<void> {
  if (!app.hasContentTypeParser('text/csv')) {
    addStrictCsvParser(app, { bodyLimit: FX_RATES_MAX_BODY_BYTES });
  }
  // This route's limit and content type differ from the webhooks': say so in the messages.
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendFailure(
        reply,
        failure(ErrorCode.PAYLOAD_TOO_LARGE, `the CSV is larger than ${FX_RATES_MAX_BODY_BYTES} bytes; split it into several uploads`),
      );
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return sendFailure(
        reply,
        failure(
          ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          `content-type '${request.headers['content-type'] ?? ''}' is not accepted; send text/csv with the header date,base,quote,rate`,
        ),
      );
    }
    throw error; // the server's handler maps the rest
  });
  app.put(
    '/api/v1/fx-rates',
    {
      bodyLimit: FX_RATES_MAX_BODY_BYTES,
      config: {
        access: ['finance'],
        docs: {
          summary: 'Upload FX rates (CSV date,base,quote,rate), all rows or none',
          tags: ['analytics'],
          body: fxRatesCsv,
          bodyContentTypes: ['text/csv'],
          response: fxRatesLoaded,
        },
      },
    },
    async (request, reply) => {
      if (!deps.warehouse.writable) {
        return sendFailure(
          reply,
          failure(
            ErrorCode.SERVICE_UNAVAILABLE,
            'this process reads the warehouse only (role api on a shared ClickHouse); upload FX rates to the process with role analytics',
          ),
        );
      }
      if (typeof request.body !== 'string') {
        return sendFailure(reply, failure(ErrorCode.VALIDATION_FAILED, 'send text/csv with the header date,base,quote,rate'));
      }
      const parsed = parseFxRatesCsv(request.body);
      if (!parsed.ok) return sendFailure(reply, parsed.error);
      return storeFxRates(deps.warehouse, parsed.value);
    },
  );
  app.get(
    '/api/v1/fx-rates',
    {
      config: {
        access: ['analyst', 'finance'],
        docs: { summary: 'The uploaded FX rates', tags: ['analytics'], response: fxRatesList },
      },
    },
    async () => ({ items: await listFxRates(deps.warehouse) }),
  );
}
