import { z } from 'zod';
import { column, defineQuery } from '../typed-query.js';

/** Every merchant of the dimension, by id: what the consumer enriches with and `GET /api/v1/merchants` lists. */
export const listMerchants = defineQuery({
  name: 'merchants.list',
  params: z.object({}),
  row: z.object({
    merchant_id: column.text,
    name: column.text,
    category: column.nullableText,
    settlement_cycle: column.nullableText,
    region: column.nullableText,
    country: column.nullableText,
    updated_at: column.instant,
  }),
  sql: () => ({
    sql: 'SELECT merchant_id, name, category, settlement_cycle, region, country, updated_at FROM merchants ORDER BY merchant_id',
    params: [],
  }),
});

export type MerchantRow = z.output<typeof listMerchants.row>;
