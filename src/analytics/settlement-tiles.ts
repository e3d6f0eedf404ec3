import { ErrorCode, type Result, err, failure, ok } from '../core/errors.js';
import { COLLECTED_STATUSES } from '../pipeline/facts.js';
import type { Warehouse } from '../warehouse/warehouse-port.js';
import { ratio } from './decimal.js';
import { type AnalyticsFilters, filterSql } from './filters.js';
import { type AnalyticsQuery, rangeView } from './query-params.js';
import { readTotals } from './rollup-query.js';
import { formatLocal, localBucketStarts, offsetSegments } from './time-zones.js';

/**
 * The nine settlement tiles (`GET /api/v1/settlement/tiles`). A payment's settlement stage is its
 * batch's current status (PENDING → RECONCILED → SETTLED), or `UNBATCHED` before any batch lists
 * it; tiles 1–6, 8 and 9 read the successful payments of the range from the `payments` facts
 * (the stage is not in the rollups), tile 7 reads the payments rollups. Exact definitions:
 * docs/analytics-api.md#settlement-tiles.
 */

export const MAX_TREND_HOURS = 744;
const TOP_MERCHANTS = 10;

const ts = (ms: number) => `TIMESTAMP '${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}'`;
const COLLECTED_SQL = COLLECTED_STATUSES.map((s) => `'${s}'`).join(', ');

/** The payment's local date in the zone, as SQL: the offsets in force over the range as a CASE (no per-row zone lookup). */
function localDateSql(tz: string, from: number, to: number, column: string): string {
  const segments = offsetSegments(tz, from, to);
  if (segments.length === 1) return `CAST(${column} + to_milliseconds(${segments[0]?.offsetMs}) AS DATE)`;
  const cases = segments
    .slice(1)
    .map((s, i) => `WHEN ${column} < ${ts(s.from)} THEN ${segments[i]?.offsetMs}`)
    .join(' ');
  return `CAST(${column} + to_milliseconds(CASE ${cases} ELSE ${segments.at(-1)?.offsetMs} END) AS DATE)`;
}

const PAYMENT_COLUMNS = {
  merchant: 'merchant_id',
  gateway: 'gateway',
  method: 'payment_method',
  region: 'region',
  currency: 'currency',
  status: 'status',
} as const;

/** Dimension filters on raw payment rows: NULL stands for '(unknown)', as in the rollups. */
function paymentFilterSql(filters: AnalyticsFilters, params: unknown[]): string {
  return filterSql('payments', filters, params, 'p', PAYMENT_COLUMNS).replace(/p\.(\w+) IN/g, "coalesce(p.$1, '(unknown)') IN");
}

export async function querySettlementTiles(
  warehouse: Warehouse,
  q: AnalyticsQuery,
  now = Date.now(),
): Promise<Result<Record<string, unknown>>> {
  const { from, to, tz } = q.range;
  const hours = localBucketStarts(tz, 'hour', from, to, MAX_TREND_HOURS);
  if (hours.length > MAX_TREND_HOURS) {
    return err(
      failure(
        ErrorCode.TOO_MANY_POINTS,
        `the hourly settlement-rate trend allows at most ${MAX_TREND_HOURS} hours (31 days); shorten from/to`,
        {
          max_points: MAX_TREND_HOURS,
        },
      ),
    );
  }
  const params: unknown[] = [];
  const filter = paymentFilterSql(q.filters, params);
  const base = `WITH base AS (
      SELECT p.currency, p.amount_minor, p.merchant_id, p.merchant_name, p.settlement_cycle, p.payment_time,
             coalesce(s.status, p.settlement_status, 'UNBATCHED') AS stage, s.settlement_date,
             ${localDateSql(tz, from, to, 'p.payment_time')} AS local_date
      FROM payments p LEFT JOIN settlements s ON s.batch_id = p.settlement_batch_id
      WHERE p.payment_time >= ${ts(from)} AND p.payment_time < ${ts(to)} AND p.status IN (${COLLECTED_SQL})${filter})`;

  const totals = await warehouse.query<Record<string, number | string | null>>(
    `${base}
     SELECT currency, count(*)::BIGINT AS transactions, sum(amount_minor)::BIGINT AS gmv_minor,
       coalesce(sum(amount_minor) FILTER (WHERE stage = 'SETTLED'), 0)::BIGINT AS settled_minor,
       count(*) FILTER (WHERE stage = 'SETTLED')::BIGINT AS settled_count,
       coalesce(sum(amount_minor) FILTER (WHERE stage = 'RECONCILED'), 0)::BIGINT AS reconciled_minor,
       coalesce(sum(amount_minor) FILTER (WHERE stage = 'PENDING'), 0)::BIGINT AS batch_pending_minor,
       coalesce(sum(amount_minor) FILTER (WHERE stage = 'UNBATCHED'), 0)::BIGINT AS unbatched_minor,
       count(*) FILTER (WHERE stage = 'SETTLED' AND settlement_date IS NOT NULL)::BIGINT AS lag_samples,
       sum(date_diff('day', local_date, settlement_date)) FILTER (WHERE stage = 'SETTLED' AND settlement_date IS NOT NULL)::BIGINT AS lag_days_sum
     FROM base GROUP BY currency ORDER BY currency`,
    params,
  );
  const lagByCycle = await warehouse.query<{ settlement_cycle: string; settled_count: number; lag_days_sum: number }>(
    `${base}
     SELECT coalesce(settlement_cycle, '(unknown)') AS settlement_cycle, count(*)::BIGINT AS settled_count,
       sum(date_diff('day', local_date, settlement_date))::BIGINT AS lag_days_sum
     FROM base WHERE stage = 'SETTLED' AND settlement_date IS NOT NULL GROUP BY 1 ORDER BY 1`,
    params,
  );
  const quarterHours = await warehouse.query<{ q: Date; currency: string; gmv_minor: number; settled_minor: number }>(
    `${base}
     SELECT time_bucket(INTERVAL 15 MINUTE, payment_time) AS q, currency, sum(amount_minor)::BIGINT AS gmv_minor,
       coalesce(sum(amount_minor) FILTER (WHERE stage = 'SETTLED'), 0)::BIGINT AS settled_minor
     FROM base GROUP BY ALL`,
    params,
  );
  const unsettled = await warehouse.query<Record<string, number | string | Date | null>>(
    `${base}
     SELECT coalesce(merchant_id, '(unknown)') AS merchant_id, currency, any_value(merchant_name) AS merchant_name,
       any_value(settlement_cycle) AS settlement_cycle, sum(amount_minor)::BIGINT AS unsettled_minor, count(*)::BIGINT AS unsettled_count,
       coalesce(sum(amount_minor) FILTER (WHERE stage = 'UNBATCHED'), 0)::BIGINT AS unbatched_minor,
       coalesce(sum(amount_minor) FILTER (WHERE stage = 'PENDING'), 0)::BIGINT AS pending_minor,
       coalesce(sum(amount_minor) FILTER (WHERE stage = 'RECONCILED'), 0)::BIGINT AS reconciled_minor,
       min(payment_time) AS oldest_payment_time
     FROM base WHERE stage <> 'SETTLED' GROUP BY ALL ORDER BY currency, unsettled_minor DESC, merchant_id`,
    params,
  );
  const modeCells = await readTotals(warehouse, [{ from, to }], q.filters, { payments: 'payment_method' });

  const n = (v: unknown) => Number(v ?? 0);
  // Hourly trend: quarter hours folded into local hours (local hours start on UTC quarter hours).
  const hourIndex = (t: number) => {
    let lo = 0;
    let hi = hours.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((hours[mid] as number) <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const trendCurrencies = [...new Set(quarterHours.map((r) => r.currency))].sort();
  const trend = trendCurrencies.map((currency) => {
    const points = hours.map((h) => ({
      start: formatLocal(tz, h),
      gmv_minor: 0,
      settled_minor: 0,
      settlement_rate: null as number | null,
    }));
    for (const r of quarterHours.filter((x) => x.currency === currency)) {
      const p = points[hourIndex(r.q.getTime())] as (typeof points)[number];
      p.gmv_minor += n(r.gmv_minor);
      p.settled_minor += n(r.settled_minor);
    }
    for (const p of points) p.settlement_rate = ratio(p.settled_minor, p.gmv_minor);
    return { currency, points };
  });

  const perCurrency = (pick: (r: Record<string, number | string | null>) => Record<string, unknown>) =>
    totals.map((r) => ({ currency: r.currency as string, ...pick(r) }));
  const topUnsettled = [...new Set(unsettled.map((r) => r.currency as string))].flatMap((currency) =>
    unsettled
      .filter((r) => r.currency === currency)
      .slice(0, TOP_MERCHANTS)
      .map((r, i) => ({
        rank: i + 1,
        merchant_id: r.merchant_id,
        merchant_name: r.merchant_name,
        settlement_cycle: r.settlement_cycle,
        currency,
        unsettled_minor: n(r.unsettled_minor),
        unsettled_count: n(r.unsettled_count),
        by_stage: { UNBATCHED: n(r.unbatched_minor), PENDING: n(r.pending_minor), RECONCILED: n(r.reconciled_minor) },
        oldest_payment_time: r.oldest_payment_time ? formatLocal(tz, (r.oldest_payment_time as Date).getTime()) : null,
      })),
  );
  const lagOf = (sum: number, count: number) => (count === 0 ? null : Math.round((sum / count) * 100) / 100);

  return ok({
    range: rangeView(q.range),
    as_of: formatLocal(tz, now),
    tiles: {
      gmv: perCurrency((r) => ({ gmv_minor: n(r.gmv_minor) })),
      transactions: perCurrency((r) => ({ count: n(r.transactions) })),
      settled_amount: perCurrency((r) => ({ settled_minor: n(r.settled_minor), settled_count: n(r.settled_count) })),
      pending_amount: perCurrency((r) => ({
        pending_minor: n(r.gmv_minor) - n(r.settled_minor),
        by_stage: { UNBATCHED: n(r.unbatched_minor), PENDING: n(r.batch_pending_minor), RECONCILED: n(r.reconciled_minor) },
      })),
      settlement_rate: perCurrency((r) => ({
        by_amount: ratio(n(r.settled_minor), n(r.gmv_minor)),
        by_count: ratio(n(r.settled_count), n(r.transactions)),
      })),
      settlement_lag: {
        by_currency: perCurrency((r) => {
          const days = lagOf(n(r.lag_days_sum), n(r.lag_samples));
          return { average_days: days, label: days === null ? null : `T+${Math.round(days)}`, samples: n(r.lag_samples) };
        }),
        by_settlement_cycle: lagByCycle.map((c) => ({
          settlement_cycle: c.settlement_cycle,
          samples: n(c.settled_count),
          average_days: lagOf(n(c.lag_days_sum), n(c.settled_count)),
        })),
      },
      gmv_by_payment_mode: modeCells
        .filter((c) => c.totals.gmv_minor !== 0 || c.totals.successful_count !== 0)
        .map((c) => ({ payment_method: c.value, currency: c.currency, gmv_minor: c.totals.gmv_minor, count: c.totals.successful_count }))
        .sort(
          (a, b) => a.currency.localeCompare(b.currency) || b.gmv_minor - a.gmv_minor || a.payment_method.localeCompare(b.payment_method),
        ),
      hourly_settlement_rate: trend,
      top_unsettled_merchants: topUnsettled,
    },
  });
}
