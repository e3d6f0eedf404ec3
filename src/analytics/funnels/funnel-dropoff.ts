import { z } from 'zod';
import type { SqlDialect } from '../../warehouse/sql-dialect.js';
import { type QueryRunner, column, defineQuery, runQuery } from '../../warehouse/typed-query.js';
import { exactRatio } from './funnel-query.js';
import { CONFIRMED_STATUSES, orderPaymentsSql } from './funnel-source.js';

/**
 * Why sessions that started checkout did not end in a confirmed order: their failed payments by
 * failure category (payments.failure_category, which the channel adapters map from the gateway's
 * failure_code — src/contracts/failure-categories.ts; a code without a category counts as
 * `other`), the step at which they abandoned checkout (`checkout.abandoned`.last_step), and error
 * events (`*.error*` event types, or any event with `properties.error_code`; none in the event
 * contract yet) by `properties.error_category` or type. A session counts once per reason.
 */
export interface DropOffReason {
  kind: 'payment_failed' | 'checkout_abandoned' | 'error_event';
  reason: string;
  sessions: number;
  /** Of the sessions that started checkout and did not complete. */
  share: string | null;
}

const reasonsQuery = defineQuery({
  name: 'funnel_dropoff_reasons',
  params: z.object({ from: z.number().int(), to: z.number().int(), windowMs: z.number().int() }),
  row: z.object({ kind: column.text, reason: column.text, sessions: column.integer }),
  sql: (d: SqlDialect, p) => {
    const end = d.timestamp(p.to + p.windowMs);
    const dropped = `SELECT s.session_hash FROM (
        SELECT session_hash FROM behaviour_events
        WHERE event_type = 'checkout.started' AND session_hash IS NOT NULL
          AND event_time >= ${d.timestamp(p.from)} AND event_time < ${d.timestamp(p.to)}
        GROUP BY session_hash) s
      WHERE s.session_hash NOT IN (
        SELECT op.session_hash FROM (${orderPaymentsSql(
          `p.status IN (${CONFIRMED_STATUSES.map((s) => `'${s}'`).join(', ')}) AND p.payment_time >= ${d.timestamp(p.from)} AND p.payment_time < ${end}`,
        )}) op WHERE op.session_hash IS NOT NULL)`;
    const errorCode = d.jsonText('properties', 'error_code');
    const errorCategory = d.jsonText('properties', 'error_category');
    return {
      sql: `SELECT 'total' AS kind, '' AS reason, count(*) AS sessions FROM (${dropped}) t
        UNION ALL
        SELECT 'payment_failed' AS kind,
               COALESCE(op.failure_category, CASE WHEN op.failure_code IS NULL THEN '(unknown)' ELSE 'other' END) AS reason,
               count(DISTINCT op.session_hash) AS sessions
        FROM (${orderPaymentsSql(`p.status = 'failed' AND p.payment_time >= ${d.timestamp(p.from)} AND p.payment_time < ${end}`)}) op
        WHERE op.session_hash IN (${dropped})
        GROUP BY 1, 2
        UNION ALL
        SELECT 'checkout_abandoned' AS kind, COALESCE(${d.jsonText('properties', 'last_step')}, '(unknown)') AS reason,
               count(DISTINCT session_hash) AS sessions
        FROM behaviour_events
        WHERE event_type = 'checkout.abandoned' AND event_time >= ${d.timestamp(p.from)} AND event_time < ${end}
          AND session_hash IN (${dropped})
        GROUP BY 1, 2
        UNION ALL
        SELECT 'error_event' AS kind, COALESCE(${errorCategory}, event_type) AS reason, count(DISTINCT session_hash) AS sessions
        FROM behaviour_events
        WHERE (event_type LIKE '%error%' OR ${errorCode} IS NOT NULL)
          AND event_time >= ${d.timestamp(p.from)} AND event_time < ${end}
          AND session_hash IN (${dropped})
        GROUP BY 1, 2`,
      params: [],
    };
  },
});

/** Drop-off reasons of the sessions that started checkout in [from, to) and had no confirmed payment by to + window. */
export async function queryDropOffReasons(
  warehouse: QueryRunner,
  range: { from: number; to: number },
  windowMs: number,
): Promise<{ sessions: number; reasons: DropOffReason[] }> {
  const rows = await runQuery(warehouse, reasonsQuery, { ...range, windowMs });
  const total = rows.find((r) => r.kind === 'total')?.sessions ?? 0;
  const reasons = rows
    .filter((r) => r.kind !== 'total')
    .map((r) => ({
      kind: r.kind as DropOffReason['kind'],
      reason: r.reason,
      sessions: r.sessions,
      share: exactRatio(r.sessions, total),
    }))
    .sort((a, b) => b.sessions - a.sessions || a.kind.localeCompare(b.kind) || a.reason.localeCompare(b.reason));
  return { sessions: total, reasons };
}
