import type { FastifyInstance } from 'fastify';
import { parseAnalyticsQuery } from '../../analytics/query-params.js';
import { querySettlementTiles } from '../../analytics/settlement-tiles.js';
import type { Warehouse } from '../../warehouse/warehouse-port.js';
import { sendFailure } from '../http-errors.js';

/** `/api/v1/settlement/*`: the nine settlement tiles (docs/analytics-api.md#settlement-tiles). */
export async function registerSettlementRoutes(app: FastifyInstance, deps: { warehouse: Warehouse }): Promise<void> {
  app.get('/api/v1/settlement/tiles', { config: { access: ['finance'] } }, async (request, reply) => {
    const q = parseAnalyticsQuery(request.query);
    if (!q.ok) return sendFailure(reply, q.error);
    const result = await querySettlementTiles(deps.warehouse, q.value);
    return result.ok ? result.value : sendFailure(reply, result.error);
  });
}
