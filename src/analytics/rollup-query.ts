import { z } from 'zod';
import { COLLECTED_STATUSES } from '../contracts/index.js';
import type { SqlDialect } from '../warehouse/sql-dialect.js';
import { GRAINS, type RollupName, rollupTable } from '../warehouse/tables.js';
import { type QueryRunner, type WarehouseQuery, column, defineQuery, runQuery } from '../warehouse/typed-query.js';
import { type AnalyticsFilters, analyticsFiltersSchema, filterSql } from './filters.js';
import { type Totals, addTotals, emptyTotals } from './kpis.js';
import { type Segment, coverRange } from './range-plan.js';

/**
 * Reading totals from the rollups for a list of buckets (UTC instants), optionally grouped by one
 * dimension. Each bucket is cut into rollup segments (`coverRange`); one SQL statement per rollup
 * reads every segment's rows (a UNION ALL branch each) and sums them per bucket index.
 */

export interface Bucket {
  from: number;
  to: number;
}

/** A breakdown dimension: its column in each rollup (absent where the rollup lacks it). */
export interface GroupBy {
  payments: string;
  refunds?: string;
  disputes?: string;
}

export interface Cell {
  index: number;
  /** The dimension value; '' when not grouped. */
  value: string;
  currency: string;
  totals: Totals;
}

/** SQL summing `measures` of `rollup` per bucket index (and `group` as `group_value`, `extra`, and currency). */
export function rollupSql(
  dialect: SqlDialect,
  rollup: RollupName,
  segments: readonly (Segment & { index: number })[],
  select: { group: string | null; extra: readonly string[]; measures: readonly string[] },
  filters: AnalyticsFilters,
  params: unknown[],
  where = '',
): string {
  const keys = [...(select.group ? [`r.${select.group} AS group_value`] : []), 'r.currency', ...select.extra.map((e) => `r.${e}`)];
  const filter = filterSql(rollup, filters, params);
  // One branch per segment with its own tight bucket bounds: DuckDB skips every other row group by
  // min/max. (A range join per grain bounded by its outermost segments read the whole fine-grain
  // rollup whenever that grain served both edges of a long non-UTC range: 3.2 s → 76 ms measured
  // for a 90-day daily series in Asia/Kolkata on 10M payments, BENCHMARKS.md.)
  const parts = segments.map(
    (s) => `SELECT ${s.index} AS idx, ${keys.join(', ')}, ${select.measures.map((m) => `r.${m}`).join(', ')}
      FROM ${rollupTable(rollup, s.grain)} r WHERE r.bucket >= ${dialect.timestamp(s.from)} AND r.bucket < ${dialect.timestamp(s.to)}${filter}${where}`,
  );
  const outKeys = [...(select.group ? ['group_value'] : []), 'currency', ...select.extra];
  return `SELECT idx::INTEGER AS idx, ${outKeys.join(', ')}, ${select.measures.map((m) => `sum(${m})::BIGINT AS ${m}`).join(', ')}
    FROM (${parts.join('\nUNION ALL\n')}) u GROUP BY ALL`;
}

const COLUMN_NAME = /^[a-z_]+$/;

const rollupParams = z.object({
  segments: z.array(z.object({ index: z.number().int(), grain: z.enum(GRAINS), from: z.number().int(), to: z.number().int() })),
  /** The dimension column read as `group_value`, or null for totals. */
  group: z.string().regex(COLUMN_NAME).nullable(),
  filters: analyticsFiltersSchema,
  /** Further `r.column = value` conditions (bound as parameters). */
  equal: z.array(z.object({ column: z.string().regex(COLUMN_NAME), value: z.string() })).optional(),
});
export type RollupParams = z.infer<typeof rollupParams>;

/** A row of a rollup read: the bucket index, the group's value ('' when not grouped), currency, `extra` as text, `measures` as integers. */
export type RollupRow<E extends string, M extends string> = { idx: number; group_value: string; currency: string } & Record<E, string> &
  Record<M, number>;

/**
 * A named, typed read of `measures` from one rollup (`rollupSql`), grouped by bucket index,
 * currency, `extra` and, when the parameters name one, a dimension.
 */
export function defineRollupQuery<const E extends string, const M extends string>(
  name: string,
  rollup: RollupName,
  columns: { extra: readonly E[]; measures: readonly M[] },
): WarehouseQuery<RollupParams, RollupRow<E, M>> {
  const shape: Record<string, z.ZodType> = { idx: column.integer, group_value: column.text.default(''), currency: column.text };
  for (const e of columns.extra) shape[e] = column.text;
  for (const m of columns.measures) shape[m] = column.integer;
  // The shape is built from the column lists, so zod cannot infer it; it is exactly RollupRow<E, M>.
  const row = z.object(shape) as unknown as z.ZodType<RollupRow<E, M>>;
  return defineQuery({
    name,
    params: rollupParams,
    row,
    sql: (dialect, p) => {
      const params: unknown[] = [];
      const where = (p.equal ?? [])
        .map((c) => {
          params.push(c.value);
          return ` AND r.${c.column} = $${params.length}`;
        })
        .join('');
      const sql = rollupSql(
        dialect,
        rollup,
        p.segments,
        { group: p.group, extra: columns.extra, measures: columns.measures },
        p.filters,
        params,
        where,
      );
      return { sql, params };
    },
  });
}

const paymentTotals = defineRollupQuery('rollup_payment_totals', 'payments', {
  extra: ['status'],
  measures: ['payments', 'fee_minor', 'authorized_payments', 'captured_minor', 'refunded_minor'],
});
const refundTotals = defineRollupQuery('rollup_refund_totals', 'refunds', { extra: [], measures: ['refunds', 'amount_minor'] });
const disputeTotals = defineRollupQuery('rollup_dispute_totals', 'disputes', { extra: [], measures: ['disputes', 'amount_minor'] });

export function segmentsOf(buckets: readonly Bucket[]): (Segment & { index: number })[] {
  return buckets.flatMap((b, index) => coverRange(b.from, b.to).map((s) => ({ ...s, index })));
}

const COLLECTED = new Set<string>(COLLECTED_STATUSES);

/** Totals per bucket index, dimension value and currency, from the three rollups. */
export async function readTotals(
  warehouse: QueryRunner,
  buckets: readonly Bucket[],
  filters: AnalyticsFilters,
  groupBy: GroupBy | null = null,
): Promise<Cell[]> {
  const segments = segmentsOf(buckets);
  if (segments.length === 0) return [];
  const cells = new Map<string, Cell>();
  const attributable = !groupBy || (groupBy.refunds !== undefined && groupBy.disputes !== undefined);
  const cellOf = (index: number, value: string, currency: string) => {
    const id = `${index}\u0000${value}\u0000${currency}`;
    let c = cells.get(id);
    if (!c) {
      c = { index, value, currency, totals: emptyTotals(attributable) };
      cells.set(id, c);
    }
    return c;
  };

  // The statements are independent and each runs on its own connection: sent together, the small
  // refunds and disputes reads overlap the payments one. Folded below in a fixed order.
  const read = (group: string | undefined) => ({ segments, group: group ?? null, filters });
  const [paymentRows, refundRows, disputeRows] = await Promise.all([
    runQuery(warehouse, paymentTotals, read(groupBy?.payments)),
    attributable ? runQuery(warehouse, refundTotals, read(groupBy?.refunds)) : [],
    attributable ? runQuery(warehouse, disputeTotals, read(groupBy?.disputes)) : [],
  ]);
  for (const r of paymentRows) {
    const c = cellOf(r.idx, r.group_value, r.currency);
    const n = r.payments;
    const collected = COLLECTED.has(r.status);
    c.totals = addTotals(c.totals, {
      ...emptyTotals(attributable),
      payment_count: n,
      successful_count: collected ? n : 0,
      failed_count: r.status === 'failed' ? n : 0,
      authorized_count: r.authorized_payments,
      // GMV is the captured amount: a partial capture counts what was captured, not what was authorised.
      gmv_minor: collected ? r.captured_minor : 0,
      fee_minor: collected ? r.fee_minor : 0,
      refunded_minor: r.refunded_minor,
    });
  }
  for (const r of refundRows) {
    const c = cellOf(r.idx, r.group_value, r.currency);
    c.totals = {
      ...c.totals,
      refund_count: (c.totals.refund_count ?? 0) + r.refunds,
      refund_amount_minor: (c.totals.refund_amount_minor ?? 0) + r.amount_minor,
    };
  }
  for (const r of disputeRows) {
    const c = cellOf(r.idx, r.group_value, r.currency);
    c.totals = {
      ...c.totals,
      dispute_count: (c.totals.dispute_count ?? 0) + r.disputes,
      dispute_amount_minor: (c.totals.dispute_amount_minor ?? 0) + r.amount_minor,
    };
  }
  // Cells whose every measure nets to zero (a payment moved out of a cell) are not data.
  return [...cells.values()].filter((c) => Object.values(c.totals).some((v) => v !== 0 && v !== null));
}
