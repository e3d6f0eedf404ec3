import type { FastifyInstance } from 'fastify';
import { listFxRates, parseFxRatesCsv, storeFxRates } from '../../analytics/fx-rates.js';
import { ErrorCode, failure } from '../../core/errors.js';
import type { Warehouse } from '../../warehouse/warehouse-port.js';
import { sendFailure } from '../http-errors.js';

/** `PUT /api/v1/fx-rates` (CSV `date,base,quote,rate`, all rows or none) and `GET /api/v1/fx-rates`. */
export async function registerFxRateRoutes(app: FastifyInstance, deps: { warehouse: Warehouse }): Promise<void> {
  if (!app.hasContentTypeParser('text/csv')) {
    app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  }
  app.put('/api/v1/fx-rates', { config: { access: ['finance'] } }, async (request, reply) => {
    if (typeof request.body !== 'string') {
      return sendFailure(reply, failure(ErrorCode.VALIDATION_FAILED, 'send text/csv with the header date,base,quote,rate'));
    }
    const parsed = parseFxRatesCsv(request.body);
    if (!parsed.ok) return sendFailure(reply, parsed.error);
    return storeFxRates(deps.warehouse, parsed.value);
  });
  app.get('/api/v1/fx-rates', { config: { access: ['analyst', 'finance'] } }, async () => ({ items: await listFxRates(deps.warehouse) }));
}
