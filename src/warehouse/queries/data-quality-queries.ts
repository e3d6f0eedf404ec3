import { z } from 'zod';
import { column, defineQuery } from '../typed-query.js';

/**
 * The warehouse's side of the data-quality report (`pipeline/data-quality.ts`): the ledger's
 * payments as the warehouse holds them, per UTC day and currency, and the payments it knows only
 * from a status event.
 */

/** Ledger payments (`in_ledger`) per UTC day (`YYYY-MM-DD`) and currency with `from ≤ payment_time < to`. */
export const warehousePaymentsByDay = defineQuery({
  name: 'data_quality.warehouse_payments_by_day',
  params: z.object({ from: z.date(), to: z.date() }),
  row: z.object({ day: column.text, currency: column.text, n: column.integer, amount: column.integer }),
  sql: (d, p) => ({
    sql: `SELECT ${d.utcDate('payment_time')} AS day, currency, count(*)::BIGINT AS n, COALESCE(sum(amount_minor), 0)::BIGINT AS amount
          FROM payments WHERE in_ledger AND payment_time >= ${d.timestampParam(1)} AND payment_time < ${d.timestampParam(2)}
          GROUP BY day, currency`,
    params: [p.from, p.to],
  }),
});

/** How many payments the warehouse knows only from a status event (their `payment.recorded` has not arrived). */
export const statusOnlyPaymentCount = defineQuery({
  name: 'data_quality.status_only_payments',
  params: z.object({}),
  row: z.object({ n: column.integer }),
  sql: () => ({ sql: 'SELECT count(*)::BIGINT AS n FROM payments WHERE NOT in_ledger', params: [] }),
});
