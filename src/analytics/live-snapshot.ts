import { z } from 'zod';
import { COLLECTED_STATUSES } from '../contracts/index.js';
import { type QueryRunner, column, defineQuery, runQuery } from '../warehouse/typed-query.js';
import { ratio } from './decimal.js';
import { sqlStrings } from './filters.js';
import { localDateOf, offsetAt } from './time-zones.js';

/**
 * The numbers of the live feed (`GET /api/v1/live`, src/api/live/live-feed.ts) for one time zone:
 * today's GMV and counts from the minute rollup (any offset, half-hour zones included, since
 * buckets are UTC minutes), payments per minute over the last 15 complete minutes, and the latest
 * failures from the payments table.
 */
export interface LiveSnapshot {
  at: string;
  tz: string;
  /** Local calendar day in `tz` and its start as a UTC instant. */
  today: { date: string; from: string };
  /** Succeeded and captured amounts today, per currency, in minor units (field names as in analytics' KPIs). */
  gmv: { currency: string; gmv_minor: number; payment_count: number }[];
  /** Payments per minute over the last 15 complete minutes (UTC minute starts), oldest first. */
  transactions_per_minute: { minute: string; payment_count: number }[];
  /** Succeeded or captured ÷ (those + failed) today, rounded to 6 places as analytics does; null before the first settled outcome. */
  success_rate: number | null;
  counts: { payment_count: number; successful_count: number; failed_count: number; pending_count: number };
  latest_failures: {
    reference_number: string;
    amount_minor: number | null;
    currency: string | null;
    gateway: string | null;
    payment_method: string | null;
    merchant_id: string | null;
    failure_code: string | null;
    failure_reason: string | null;
    at: string | null;
  }[];
}

/** Payments that took the payer's money, as the KPIs count them: GMV is their captured amount. */
const SUCCESS: readonly string[] = COLLECTED_STATUSES;

const since = z.object({ from: z.date() });

const collectedSince = defineQuery({
  name: 'live_collected_by_currency',
  params: since,
  row: z.object({ currency: column.text, amount_minor: column.integer, payments: column.integer }),
  sql: (d, p) => ({
    sql: `SELECT currency, sum(captured_minor)::BIGINT AS amount_minor, sum(payments)::BIGINT AS payments FROM payments_by_minute
       WHERE bucket >= ${d.timestampParam(1)} AND status IN (${sqlStrings(SUCCESS)}) GROUP BY currency ORDER BY currency`,
    params: [p.from],
  }),
});

const paymentsByStatusSince = defineQuery({
  name: 'live_payments_by_status',
  params: since,
  row: z.object({ status: column.text, payments: column.integer }),
  sql: (d, p) => ({
    sql: `SELECT status, sum(payments)::BIGINT AS payments FROM payments_by_minute WHERE bucket >= ${d.timestampParam(1)} GROUP BY status`,
    params: [p.from],
  }),
});

const paymentsPerMinute = defineQuery({
  name: 'live_payments_per_minute',
  params: z.object({ from: z.date(), to: z.date() }),
  row: z.object({ minute: column.instant, payments: column.integer }),
  sql: (d, p) => ({
    sql: `SELECT bucket AS minute, sum(payments)::BIGINT AS payments FROM payments_by_minute
       WHERE bucket >= ${d.timestampParam(1)} AND bucket < ${d.timestampParam(2)} GROUP BY bucket`,
    params: [p.from, p.to],
  }),
});

const latestFailures = defineQuery({
  name: 'live_latest_failures',
  params: z.object({ limit: z.number().int().positive() }),
  row: z.object({
    reference_number: column.text,
    amount_minor: column.nullableInteger,
    currency: column.nullableText,
    gateway: column.nullableText,
    payment_method: column.nullableText,
    merchant_id: column.nullableText,
    failure_code: column.nullableText,
    failure_reason: column.nullableText,
    at: column.nullableInstant,
  }),
  sql: (_d, p) => ({
    sql: `SELECT reference_number, amount_minor, currency, gateway, payment_method, merchant_id, failure_code, failure_reason, status_time AS at
       FROM payments WHERE status = 'failed' ORDER BY status_time DESC NULLS LAST LIMIT ${p.limit}`,
    params: [],
  }),
});

/** The live numbers of the local day holding `at` in `tz`. */
export async function computeLiveSnapshot(warehouse: QueryRunner, tz: string, at: Date): Promise<LiveSnapshot> {
  const { date, from } = localDayStart(tz, at);
  const minuteNow = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
  const seriesFrom = new Date(minuteNow.getTime() - 15 * 60_000);
  const [byCurrency, byStatus, perMinute, failures] = await Promise.all([
    runQuery(warehouse, collectedSince, { from }),
    runQuery(warehouse, paymentsByStatusSince, { from }),
    runQuery(warehouse, paymentsPerMinute, { from: seriesFrom, to: minuteNow }),
    runQuery(warehouse, latestFailures, { limit: 10 }),
  ]);
  const count = (s: readonly string[]) => byStatus.filter((r) => s.includes(r.status)).reduce((n, r) => n + r.payments, 0);
  const succeeded = count(SUCCESS);
  const failed = count(['failed']);
  const total = count(byStatus.map((r) => r.status));
  const minutes = new Map(perMinute.map((r) => [r.minute.getTime(), r.payments]));
  const series: LiveSnapshot['transactions_per_minute'] = [];
  for (let t = seriesFrom.getTime(); t < minuteNow.getTime(); t += 60_000)
    series.push({ minute: new Date(t).toISOString(), payment_count: minutes.get(t) ?? 0 });
  return {
    at: at.toISOString(),
    tz,
    today: { date, from: from.toISOString() },
    gmv: byCurrency.map((r) => ({ currency: r.currency, gmv_minor: r.amount_minor, payment_count: r.payments })),
    transactions_per_minute: series,
    success_rate: ratio(succeeded, succeeded + failed),
    counts: { payment_count: total, successful_count: succeeded, failed_count: failed, pending_count: total - succeeded - failed },
    latest_failures: failures.map((f) => ({ ...f, at: f.at ? f.at.toISOString() : null })),
  };
}

/** The UTC instant at which the local day holding `at` starts in `tz`, and that local date. */
export function localDayStart(tz: string, at: Date): { date: string; from: Date } {
  const date = localDateOf(tz, at.getTime());
  const midnightAsUtc = Date.parse(`${date}T00:00:00Z`);
  const guess = midnightAsUtc - offsetAt(tz, at.getTime());
  // A DST change between midnight and now: use the offset in force at midnight.
  return { date, from: new Date(midnightAsUtc - offsetAt(tz, guess)) };
}
