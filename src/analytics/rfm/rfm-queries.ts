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

const windowParams = z.object({ asOfMs: z.number().int(), currency: z.string() });

/**
 * The scoring in SQL, for one currency (the API's default path): per customer R, F, M and the
 * segment, with the tie policy of rfm-scores.ts — score = 1 + ⌊5·W/N⌋ with W the customers
 * strictly worse, i.e. `rank() − 1` in worst-first order — written as integer comparisons
 * (`5·W < j·N`), and the segments' precedence as one CASE. Only aggregates leave the warehouse:
 * pulling a million customers into JavaScript cost ~20 s (bench/cohorts.bench.ts).
 */
function scoredSql(d: SqlDialectLike, asOfMs: number, currencyParam: string): string {
  const to = d.timestamp(asOfMs);
  const from = d.timestamp(asOfMs - 365 * 86_400_000);
  const score = (w: string) =>
    `CASE WHEN 5 * ${w} < n THEN 1 WHEN 5 * ${w} < 2 * n THEN 2 WHEN 5 * ${w} < 3 * n THEN 3 WHEN 5 * ${w} < 4 * n THEN 4 ELSE 5 END`;
  return `(
    SELECT customer, orders, monetary_minor, recency_days, r, f, m,
      CASE WHEN r >= 4 AND f >= 4 AND m >= 4 THEN 'champions'
           WHEN r >= 3 AND f >= 3 THEN 'loyal'
           WHEN r >= 4 AND f = 1 THEN 'new'
           WHEN r >= 4 AND f >= 2 AND m <= 2 THEN 'potential_loyalists'
           WHEN r <= 2 AND f >= 3 THEN 'at_risk'
           WHEN r = 1 AND f = 1 THEN 'lost'
           ELSE 'others' END AS segment
    FROM (
      SELECT customer, orders, monetary_minor, recency_days,
        ${score('wr')} AS r, ${score('wf')} AS f, ${score('wm')} AS m
      FROM (
        SELECT customer, orders, monetary_minor, recency_days, count(*) OVER () AS n,
          rank() OVER (ORDER BY recency_days DESC) - 1 AS wr,
          rank() OVER (ORDER BY orders) - 1 AS wf,
          rank() OVER (ORDER BY monetary_minor) - 1 AS wm
        FROM (
          SELECT customer_hash AS customer, count(*)::BIGINT AS orders, sum(${PURCHASE_REVENUE_SQL})::BIGINT AS monetary_minor,
            floor((${asOfMs} - ${d.epochMs('max(payment_time)')}) / 86400000)::BIGINT AS recency_days
          FROM payments
          WHERE ${collected} AND customer_hash IS NOT NULL AND customer_hash <> ''
            AND payment_time >= ${from} AND payment_time < ${to} AND currency = ${currencyParam}
          GROUP BY customer_hash
        ) per
      ) ranked
    ) scored
  )`;
}
type SqlDialectLike = Parameters<Parameters<typeof defineQuery>[0]['sql']>[0];

/** Every scored customer (tests compare it with the TypeScript scoring). */
const scoredRow = z.object({
  customer: column.text,
  orders: column.integer,
  monetary_minor: column.integer,
  recency_days: column.integer,
  r: column.integer,
  f: column.integer,
  m: column.integer,
  segment: column.text,
});

export const rfmScoredCustomers = defineQuery({
  name: 'rfm.scored_customers',
  params: windowParams,
  row: z.object({
    customer: column.text,
    orders: column.integer,
    monetary_minor: column.integer,
    recency_days: column.integer,
    r: column.integer,
    f: column.integer,
    m: column.integer,
    segment: column.text,
  }),
  sql: (d, p) => ({ sql: `SELECT * FROM ${scoredSql(d, p.asOfMs, '$1')} s ORDER BY customer`, params: [p.currency] }),
});

/** Customers, orders and revenue per segment. */
export const rfmSegmentSizes = defineQuery({
  name: 'rfm.segment_sizes',
  params: windowParams,
  row: z.object({ segment: column.text, customers: column.integer, orders: column.integer, monetary_minor: column.integer }),
  sql: (d, p) => ({
    sql: `SELECT segment, count(*)::BIGINT AS customers, sum(orders)::BIGINT AS orders, sum(monetary_minor)::BIGINT AS monetary_minor
          FROM ${scoredSql(d, p.asOfMs, '$1')} s GROUP BY segment`,
    params: [p.currency],
  }),
});

/** Customers per (segment a week before, segment now); 'none' for no order in that window. */
export const rfmMovement = defineQuery({
  name: 'rfm.movement',
  params: windowParams.extend({ beforeMs: z.number().int() }),
  row: z.object({ from_segment: column.text, to_segment: column.text, customers: column.integer }),
  sql: (d, p) => ({
    sql: `SELECT coalesce(was, 'none') AS from_segment, coalesce(now_, 'none') AS to_segment, count(*)::BIGINT AS customers
          FROM (
            SELECT customer, max(was) AS was, max(now_) AS now_ FROM (
              SELECT customer, segment AS was, CAST(NULL AS VARCHAR) AS now_ FROM ${scoredSql(d, p.beforeMs, '$1')} a
              UNION ALL
              SELECT customer, CAST(NULL AS VARCHAR) AS was, segment AS now_ FROM ${scoredSql(d, p.asOfMs, '$1')} b
            ) u GROUP BY customer
          ) pairs
          GROUP BY coalesce(was, 'none'), coalesce(now_, 'none')`,
    params: [p.currency],
  }),
});

/** One segment's customers, best first (its size comes from rfmSegmentSizes). */
export const rfmSegmentPage = defineQuery({
  name: 'rfm.segment_page',
  params: windowParams.extend({ segment: z.string(), limit: z.number().int().min(1), offset: z.number().int().min(0) }),
  row: scoredRow,
  sql: (d, p) => ({
    sql: `SELECT * FROM ${scoredSql(d, p.asOfMs, '$1')} s WHERE segment = $2
          ORDER BY monetary_minor DESC, orders DESC, recency_days ASC, customer LIMIT ${p.limit} OFFSET ${p.offset}`,
    params: [p.currency, p.segment],
  }),
});
