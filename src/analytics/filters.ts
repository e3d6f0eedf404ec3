import { FILTER_NAMES, type FilterName, PAYMENT_FILTER_COLUMNS, type PaymentFilters } from '../contracts/payment-filters.js';
import { z } from 'zod';
import type { RollupName } from '../warehouse/tables.js';

/** Filters of every analytics query: the payment filter vocabulary of the data contract. */
export type AnalyticsFilters = PaymentFilters;
export { FILTER_NAMES, type FilterName };

const values = z.array(z.string()).readonly().optional();
/** The filters as a typed query's parameter (`typed-query.ts`). */
export const analyticsFiltersSchema: z.ZodType<AnalyticsFilters> = z.object({
  merchant: values,
  gateway: values,
  method: values,
  region: values,
  currency: values,
  status: values,
});

/** `'a', 'b'` — a list of SQL string literals for constants of the code (never for input). */
export const sqlStrings = (list: readonly string[]): string => list.map((s) => `'${s.replaceAll("'", "''")}'`).join(', ');

/** The column each filter reads, per rollup; a filter a rollup does not have cannot apply to it. */
const COLUMNS: Record<RollupName, Partial<Record<FilterName, string>>> = {
  payments: PAYMENT_FILTER_COLUMNS,
  refunds: { merchant: 'merchant_id', gateway: 'gateway', currency: 'currency' },
  disputes: { merchant: 'merchant_id', gateway: 'gateway', currency: 'currency' },
};

/** Filters given that a rollup cannot honour (named in the response's `notes`). */
export function unappliedFilters(rollup: RollupName, filters: AnalyticsFilters): FilterName[] {
  return FILTER_NAMES.filter((f) => (filters[f]?.length ?? 0) > 0 && COLUMNS[rollup][f] === undefined);
}

/** `AND col IN ($n…)` for the filters a rollup (or a fact table with the same columns) has. */
export function filterSql(
  rollup: RollupName,
  filters: AnalyticsFilters,
  params: unknown[],
  alias = 'r',
  columns: Partial<Record<FilterName, string>> = COLUMNS[rollup],
): string {
  let sql = '';
  for (const f of FILTER_NAMES) {
    const values = filters[f];
    const column = columns[f];
    if (!values || values.length === 0 || !column) continue;
    const slots = values.map((v) => {
      params.push(v);
      return `$${params.length}`;
    });
    sql += ` AND ${alias}.${column} IN (${slots.join(', ')})`;
  }
  return sql;
}

export function notesOf(filters: AnalyticsFilters): string[] {
  const unapplied = unappliedFilters('refunds', filters);
  return unapplied.length === 0
    ? []
    : [`refund and dispute figures are not filtered by ${unapplied.join(', ')} (refunds and disputes are not recorded by them)`];
}
