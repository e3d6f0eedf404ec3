import type { SqlExecutor } from './store-port.js';

/** The ledger's payments of one UTC day and currency (`payment_service.payments`). */
export interface LedgerDayCount {
  /** `YYYY-MM-DD` of `payment_date` (UTC). */
  day: string;
  currency: string;
  count: number;
  amountMinor: number;
  /** Of those, recorded (`created_at`) at or after `recentSince`. */
  recentCount: number;
  recentAmountMinor: number;
}

/**
 * The ledger's payments per UTC day and currency with `from ≤ payment_date < to`, and how many of
 * each cell were recorded since `recentSince` (what data quality counts as possibly in flight).
 */
export async function countLedgerPaymentsByDay(
  db: SqlExecutor,
  window: { from: Date; to: Date; recentSince: Date },
): Promise<LedgerDayCount[]> {
  const { rows } = await db.query<{ day: string; currency: string; n: number; amount: number; recent_n: number; recent_amount: number }>(
    `SELECT to_char(payment_date, 'YYYY-MM-DD') AS day, currency, count(*)::bigint AS n, sum(amount_minor)::bigint AS amount,
            count(*) FILTER (WHERE created_at >= $3)::bigint AS recent_n,
            coalesce(sum(amount_minor) FILTER (WHERE created_at >= $3), 0)::bigint AS recent_amount
     FROM payment_service.payments WHERE payment_date >= $1 AND payment_date < $2 GROUP BY 1, 2`,
    [window.from.toISOString(), window.to.toISOString(), window.recentSince.toISOString()],
  );
  return rows.map((r) => ({
    day: r.day,
    currency: r.currency,
    count: Number(r.n),
    amountMinor: Number(r.amount),
    recentCount: Number(r.recent_n),
    recentAmountMinor: Number(r.recent_amount),
  }));
}
