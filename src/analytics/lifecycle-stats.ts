import { z } from 'zod';
import { type QueryRunner, column, defineQuery, runQuery } from '../warehouse/typed-query.js';
import { ratio } from './decimal.js';
import { type AnalyticsFilters, analyticsFiltersSchema, filterSql } from './filters.js';

/**
 * What only the status history can tell, for the payments of a range (by payment time, the KPIs'
 * filters on their latest state), per currency:
 * - attempts: every history row reporting `failed` is a failed attempt; a payment with a row
 *   reporting `captured` or `succeeded` is one successful attempt. `attempt_success_rate` is thus
 *   per attempt, where the KPIs' `success_rate` is per payment (latest state).
 * - time to capture: from the first `authorized` row to the first `captured`/`succeeded` row of
 *   a payment, by the events' own (gateway) times, for payments with both and the capture not
 *   earlier. Quantiles are nearest-rank: the ⌈q·n⌉-th smallest duration (the dialect's quantileDisc),
 *   a duration that occurred, in whole milliseconds.
 * Read from the fact tables (not rollups): a range of many days reads that many days of history.
 */
export interface LifecycleStats {
  currency: string;
  attempt_count: number;
  failed_attempts: number;
  attempt_success_rate: number | null;
  time_to_capture: { payments: number; median_ms: number | null; p90_ms: number | null };
}

const lifecycleStats = defineQuery({
  name: 'lifecycle_stats',
  params: z.object({ from: z.number().int(), to: z.number().int(), filters: analyticsFiltersSchema }),
  row: z.object({
    currency: column.text,
    failed: column.integer,
    succeeded: column.integer,
    timed: column.integer,
    median_ms: column.nullableInteger,
    p90_ms: column.nullableInteger,
  }),
  sql: (d, p) => {
    const params: unknown[] = [];
    const filter = filterSql('payments', p.filters, params, 'p');
    const sql = `WITH per_payment AS (
       SELECT p.currency, p.reference_number,
              ${d.countIf("h.status = 'failed'")} AS failed,
              ${d.minIf('h.event_time', "h.status = 'authorized'")} AS authorized_at,
              ${d.minIf('h.event_time', "h.status IN ('captured', 'succeeded')")} AS captured_at
       FROM payments p JOIN payment_status_history h ON h.reference_number = p.reference_number
       WHERE p.payment_time >= ${d.timestamp(p.from)} AND p.payment_time < ${d.timestamp(p.to)}${filter}
       GROUP BY ALL
     ), timed AS (
       SELECT *, CASE WHEN captured_at >= authorized_at THEN ${d.epochMs('captured_at')} - ${d.epochMs('authorized_at')} END AS capture_ms
       FROM per_payment
     )
     SELECT currency, sum(failed)::BIGINT AS failed, count(captured_at)::BIGINT AS succeeded, count(capture_ms)::BIGINT AS timed,
            ${d.quantileDisc('capture_ms', 0.5)} AS median_ms, ${d.quantileDisc('capture_ms', 0.9)} AS p90_ms
     FROM timed GROUP BY currency ORDER BY currency`;
    return { sql, params };
  },
});

export async function queryLifecycleStats(
  warehouse: QueryRunner,
  range: { from: number; to: number },
  filters: AnalyticsFilters,
): Promise<LifecycleStats[]> {
  const rows = await runQuery(warehouse, lifecycleStats, { from: range.from, to: range.to, filters });
  return rows.map((r) => ({
    currency: r.currency,
    attempt_count: r.failed + r.succeeded,
    failed_attempts: r.failed,
    attempt_success_rate: ratio(r.succeeded, r.failed + r.succeeded),
    time_to_capture: { payments: r.timed, median_ms: r.median_ms, p90_ms: r.p90_ms },
  }));
}
