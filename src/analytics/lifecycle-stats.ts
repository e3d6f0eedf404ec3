import type { Warehouse } from '../warehouse/warehouse-port.js';
import { ratio } from './decimal.js';
import { type AnalyticsFilters, filterSql } from './filters.js';

/**
 * What only the status history can tell, for the payments of a range (by payment time, the KPIs'
 * filters on their latest state), per currency:
 * - attempts: every history row reporting `failed` is a failed attempt; a payment with a row
 *   reporting `captured` or `succeeded` is one successful attempt. `attempt_success_rate` is thus
 *   per attempt, where the KPIs' `success_rate` is per payment (latest state).
 * - time to capture: from the first `authorized` row to the first `captured`/`succeeded` row of
 *   a payment, by the events' own (gateway) times, for payments with both and the capture not
 *   earlier. Quantiles are nearest-rank: the ⌈q·n⌉-th smallest duration (DuckDB quantile_disc),
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

const ts = (ms: number) => `TIMESTAMP '${new Date(ms).toISOString().slice(0, 23).replace('T', ' ')}'`;

export async function queryLifecycleStats(
  warehouse: Warehouse,
  range: { from: number; to: number },
  filters: AnalyticsFilters,
): Promise<LifecycleStats[]> {
  const params: unknown[] = [];
  const filter = filterSql('payments', filters, params, 'p');
  const rows = await warehouse.query<{
    currency: string;
    failed: number;
    succeeded: number;
    timed: number;
    median_ms: number | null;
    p90_ms: number | null;
  }>(
    `WITH per_payment AS (
       SELECT p.currency, p.reference_number,
              count(*) FILTER (WHERE h.status = 'failed') AS failed,
              min(h.event_time) FILTER (WHERE h.status = 'authorized') AS authorized_at,
              min(h.event_time) FILTER (WHERE h.status IN ('captured', 'succeeded')) AS captured_at
       FROM payments p JOIN payment_status_history h ON h.reference_number = p.reference_number
       WHERE p.payment_time >= ${ts(range.from)} AND p.payment_time < ${ts(range.to)}${filter}
       GROUP BY ALL
     ), timed AS (
       SELECT *, CASE WHEN captured_at >= authorized_at THEN epoch_ms(captured_at) - epoch_ms(authorized_at) END AS capture_ms
       FROM per_payment
     )
     SELECT currency, sum(failed)::BIGINT AS failed, count(captured_at)::BIGINT AS succeeded, count(capture_ms)::BIGINT AS timed,
            quantile_disc(capture_ms, 0.5)::BIGINT AS median_ms, quantile_disc(capture_ms, 0.9)::BIGINT AS p90_ms
     FROM timed GROUP BY currency ORDER BY currency`,
    params,
  );
  return rows.map((r) => {
    const failed = Number(r.failed);
    const succeeded = Number(r.succeeded);
    return {
      currency: r.currency,
      attempt_count: failed + succeeded,
      failed_attempts: failed,
      attempt_success_rate: ratio(succeeded, failed + succeeded),
      time_to_capture: {
        payments: Number(r.timed),
        median_ms: r.median_ms === null ? null : Number(r.median_ms),
        p90_ms: r.p90_ms === null ? null : Number(r.p90_ms),
      },
    };
  });
}
