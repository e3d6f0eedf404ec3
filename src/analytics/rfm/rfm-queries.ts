import { z } from 'zod';
import { COLLECTED_STATUSES } from '../../contracts/index.js';
import { column, defineQuery } from '../../warehouse/typed-query.js';
import { PURCHASE_REVENUE_SQL } from '../cohorts/cohort-queries.js';

const collected = `status IN (${COLLECTED_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/**
 * Per customer and currency over [from, to): orders (collected payments), revenue (their captured
 * amounts) and the instant of the last one. `currency` null reads every currency.
 */
export const rfmPerCustomer = defineQuery({
  name: 'rfm.per_customer',
  params: z.object({ from: z.date(), to: z.date(), currency: z.string().nullable() }),
  row: z.object({
    customer: column.text,
    currency: column.text,
    orders: column.integer,
    revenue_minor: column.integer,
    last_ms: column.integer,
  }),
  sql: (d, p) => {
    const params: unknown[] = [p.from, p.to];
    let where = `${collected} AND customer_hash IS NOT NULL AND customer_hash <> ''
      AND payment_time >= ${d.timestampParam(1)} AND payment_time < ${d.timestampParam(2)}`;
    if (p.currency !== null) {
      params.push(p.currency);
      where += ' AND currency = $3';
    }
    return {
      sql: `SELECT customer_hash AS customer, currency, count(*)::BIGINT AS orders,
              sum(${PURCHASE_REVENUE_SQL})::BIGINT AS revenue_minor, ${d.epochMs('max(payment_time)')} AS last_ms
            FROM payments WHERE ${where}
            GROUP BY customer_hash, currency`,
      params,
    };
  },
});
