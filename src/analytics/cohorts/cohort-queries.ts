import { z } from 'zod';
import { COLLECTED_STATUSES } from '../../contracts/index.js';
import type { SqlDialect } from '../../warehouse/sql-dialect.js';
import { column, defineQuery } from '../../warehouse/typed-query.js';
import { periodIndexSql } from './periods.js';

/**
 * The cohort matrix's three reads, portable SQL on both engines. Definitions (README.md):
 * - a **purchase** is a collected payment (`COLLECTED_STATUSES`: money was taken) with a
 *   customer; its **revenue** is the captured amount (`captured_minor`, else `amount_minor` for
 *   rows written before captures were kept) — what GMV counts — per currency;
 * - a **customer** is a pseudonymised id: `customer_hash` on payments, `user_hash` on behaviour
 *   events (the same keyed HMAC of the same id, so they join);
 * - the **acquisition time** is the customer's first `user.registered` event, or first purchase,
 *   ever (not only inside the range).
 */

/** Behaviour event types that may define activity (what the warehouse's `behaviour_events` holds). */
export const ACTIVITY_EVENT_TYPES = [
  'user.logged_in',
  'user.registered',
  'product.viewed',
  'product.added_to_cart',
  'checkout.started',
  'checkout.abandoned',
  'search.query',
  'search.result_clicked',
] as const;
export type ActivityEventType = (typeof ACTIVITY_EVENT_TYPES)[number];

export const COHORT_BASES = ['registration', 'first_purchase'] as const;
export type CohortBasis = (typeof COHORT_BASES)[number];

const collected = `status IN (${COLLECTED_STATUSES.map((s) => `'${s}'`).join(', ')})`;
/** What a purchase brings in, in minor units of its currency. */
export const PURCHASE_REVENUE_SQL = 'coalesce(captured_minor, amount_minor)';

export const cohortQueryParams = z.object({
  /** Period starts: cohorts are periods 0…cohorts-1, activity is read up to the last bound. */
  bounds: z.array(z.number().int()).min(2),
  cohorts: z.number().int().min(1),
  basis: z.enum(COHORT_BASES),
  /** `purchase`, or a behaviour event type. */
  activity: z.union([z.literal('purchase'), z.enum(ACTIVITY_EVENT_TYPES)]),
  /** The highest period offset to count (12 for M0…M12). */
  maxOffset: z.number().int().min(0),
});
export type CohortQueryParams = z.output<typeof cohortQueryParams>;

/** `WITH cohort(customer, c), act(customer, p[, currency, amount])`: the CTEs every read shares. */
function cohortCtes(d: SqlDialect, p: CohortQueryParams, act: 'activity' | 'revenue'): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const lit = (ms: number) => d.timestamp(ms);
  const first = p.bounds[0] as number;
  const cohortEnd = p.bounds[p.cohorts] as number;
  const last = p.bounds[p.bounds.length - 1] as number;
  const members =
    p.basis === 'registration'
      ? `SELECT user_hash AS customer, min(event_time) AS t0 FROM behaviour_events
         WHERE event_type = 'user.registered' AND user_hash IS NOT NULL AND user_hash <> '' GROUP BY user_hash`
      : `SELECT customer_hash AS customer, min(payment_time) AS t0 FROM payments
         WHERE ${collected} AND customer_hash IS NOT NULL AND customer_hash <> '' GROUP BY customer_hash`;
  let activity: string;
  const within = (t: string) => `${t} >= ${lit(first)} AND ${t} < ${lit(last)}`;
  if (act === 'revenue' || p.activity === 'purchase') {
    activity = `SELECT customer_hash AS customer, ${periodIndexSql('payment_time', p.bounds, lit)} AS p,
                       currency, ${PURCHASE_REVENUE_SQL} AS amount
                FROM payments
                WHERE ${collected} AND customer_hash IS NOT NULL AND ${within('payment_time')}`;
  } else {
    params.push(p.activity);
    activity = `SELECT user_hash AS customer, ${periodIndexSql('event_time', p.bounds, lit)} AS p
                FROM behaviour_events
                WHERE event_type = $1 AND user_hash IS NOT NULL AND ${within('event_time')}`;
  }
  const sql = `WITH members AS (${members}),
    cohort AS (
      SELECT customer, ${periodIndexSql('t0', p.bounds, lit)} AS c FROM members
      WHERE t0 >= ${lit(first)} AND t0 < ${lit(cohortEnd)}
    ),
    act AS (${activity}),
    joined AS (
      SELECT cohort.c AS c, act.p - cohort.c AS k, cohort.customer AS customer${act === 'revenue' ? ', act.currency AS currency, act.amount AS amount' : ''}
      FROM cohort JOIN act ON act.customer = cohort.customer
      WHERE act.p >= cohort.c AND act.p <= cohort.c + ${p.maxOffset}
    )`;
  return { sql, params };
}

/** Customers per cohort. */
export const cohortSizes = defineQuery({
  name: 'cohorts.sizes',
  params: cohortQueryParams,
  row: z.object({ c: column.integer, customers: column.integer }),
  sql: (d, p) => {
    const ctes = cohortCtes(d, { ...p, activity: 'purchase' }, 'activity');
    // Only the cohort CTE is read; the others are cheap to declare and keep one builder.
    return {
      sql: `${ctes.sql} SELECT c::BIGINT AS c, count(*)::BIGINT AS customers FROM cohort GROUP BY c ORDER BY c`,
      params: ctes.params,
    };
  },
});

/** Distinct active customers per cohort and period offset. */
export const cohortActiveCustomers = defineQuery({
  name: 'cohorts.active_customers',
  params: cohortQueryParams,
  row: z.object({ c: column.integer, k: column.integer, customers: column.integer }),
  sql: (d, p) => {
    const ctes = cohortCtes(d, p, 'activity');
    return {
      sql: `${ctes.sql} SELECT c::BIGINT AS c, k::BIGINT AS k, count(DISTINCT customer)::BIGINT AS customers FROM joined GROUP BY c, k ORDER BY c, k`,
      params: ctes.params,
    };
  },
});

/** Revenue of the cohort's purchases per cohort, period offset and currency, and how many customers paid. */
export const cohortRevenue = defineQuery({
  name: 'cohorts.revenue',
  params: cohortQueryParams,
  row: z.object({
    c: column.integer,
    k: column.integer,
    currency: column.text,
    amount_minor: column.integer,
    customers: column.integer,
  }),
  sql: (d, p) => {
    const ctes = cohortCtes(d, p, 'revenue');
    return {
      sql: `${ctes.sql} SELECT c::BIGINT AS c, k::BIGINT AS k, currency, sum(amount)::BIGINT AS amount_minor,
              count(DISTINCT customer)::BIGINT AS customers
            FROM joined GROUP BY c, k, currency ORDER BY c, k, currency`,
      params: ctes.params,
    };
  },
});
