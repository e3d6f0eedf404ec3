import { z } from 'zod';
import { COLLECTED_STATUSES } from '../contracts/index.js';
import type { SqlDialect } from '../warehouse/sql-dialect.js';
import { GRAINS, type Grain, type RollupName, rollupTable } from '../warehouse/tables.js';
import { type QueryRunner, type WarehouseQuery, column, defineQuery, runQuery } from '../warehouse/typed-query.js';
import { type AnalyticsFilters, analyticsFiltersSchema, filterSql } from './filters.js';
import { type Totals, addTotals, emptyTotals } from './kpis.js';
import { type Segment, coverRange } from './range-plan.js';

/**
 * Reading totals from the rollups for a list of buckets (UTC instants), optionally grouped by one
 * dimension. Each bucket is cut into rollup segments (`coverRange`); one SQL statement per rollup
 * reads every segment's rows and sums them per bucket index — a UNION ALL branch per segment, or one
 * scan per grain, as the engine's dialect prefers (`SqlDialect.rollupReadShape`).
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

type IndexedSegment = Segment & { index: number };

/**
 * The segments of each grain, in time order, when no two of one grain overlap (buckets are
 * disjoint, so their segments are); null when some do (a row would then belong to two segments,
 * which only one branch per segment can express).
 */
export function segmentsByGrain(segments: readonly IndexedSegment[]): Map<Grain, IndexedSegment[]> | null {
  const byGrain = new Map<Grain, IndexedSegment[]>();
  for (const s of segments) byGrain.set(s.grain, [...(byGrain.get(s.grain) ?? []), s]);
  for (const list of byGrain.values()) {
    list.sort((a, b) => a.from - b.from);
    for (let i = 1; i < list.length; i++) if ((list[i] as IndexedSegment).from < (list[i - 1] as IndexedSegment).to) return null;
  }
  return byGrain;
}

/** Time-ordered disjoint segments as ranges, touching ones merged: `[from, to)` pairs. */
export function mergedRanges(sorted: readonly Segment[]): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && last.to === s.from) last.to = s.to;
    else out.push({ from: s.from, to: s.to });
  }
  return out;
}

const GRAIN_MS: Readonly<Record<Grain, number>> = { minute: 60_000, quarter_hour: 900_000, hour: 3_600_000, day: 86_400_000 };

/**
 * A grain with at most this many separate ranges is read by exactly those ranges (an OR); one with
 * more (a long series in a half-hour zone: ~90 hour ranges) by one range from its first segment to
 * its last, the rows between segments dropped by their index -1 — ClickHouse took 0.3–0.9 s to
 * analyse and filter an OR of 90 ranges, longer than reading the rows between them.
 */
const MAX_EXACT_RANGES = 8;

/** The scan_per_grain shape's read of one grain: its bucket bounds, and the segment index per row (-1: none). */
function grainScan(dialect: SqlDialect, grain: Grain, sorted: readonly IndexedSegment[]): { index: string; bounds: string } {
  const ranges = mergedRanges(sorted);
  const exact = ranges.length <= MAX_EXACT_RANGES;
  const first = ranges[0] as { from: number; to: number };
  const last = ranges[ranges.length - 1] as { from: number; to: number };
  const bounds = (exact ? ranges : [{ from: first.from, to: last.to }])
    .map((g) => `(r.bucket >= ${dialect.timestamp(g.from)} AND r.bucket < ${dialect.timestamp(g.to)})`)
    .join(' OR ');
  const index = sorted[0]?.index ?? -1;
  const oneIndex = exact && sorted.every((s) => s.index === index);
  return { index: oneIndex ? String(index) : dialect.segmentIndex('r.bucket', GRAIN_MS[grain], sorted), bounds: `(${bounds})` };
}

/** SQL summing `measures` of `rollup` per bucket index (and `group` as `group_value`, `extra`, and currency). */
export function rollupSql(
  dialect: SqlDialect,
  rollup: RollupName,
  segments: readonly IndexedSegment[],
  select: { group: string | null; extra: readonly string[]; measures: readonly string[] },
  filters: AnalyticsFilters,
  params: unknown[],
  where = '',
): string {
  const keys = [...(select.group ? [`r.${select.group} AS group_value`] : []), 'r.currency', ...select.extra.map((e) => `r.${e}`)];
  const columns = `${keys.join(', ')}, ${select.measures.map((m) => `r.${m}`).join(', ')}`;
  const filter = filterSql(rollup, filters, params);
  const byGrain = dialect.rollupReadShape === 'scan_per_grain' ? segmentsByGrain(segments) : null;
  const parts = byGrain
    ? // One scan per grain (the engine's preferred shape, SqlDialect.rollupReadShape), the segment
      // index chosen per row; rows of no segment (index -1) are dropped below.
      [...byGrain].map(([grain, sorted]) => {
        const scan = grainScan(dialect, grain, sorted);
        return `SELECT ${scan.index} AS idx, ${columns}
      FROM ${rollupTable(rollup, grain)} r WHERE ${scan.bounds}${filter}${where}`;
      })
    : // One branch per segment with its own tight bucket bounds: DuckDB skips every other row group by
      // min/max. (A range join per grain bounded by its outermost segments read the whole fine-grain
      // rollup whenever that grain served both edges of a long non-UTC range: 3.2 s → 76 ms measured
      // for a 90-day daily series in Asia/Kolkata on 10M payments, BENCHMARKS.md.)
      segments.map(
        (s) => `SELECT ${s.index} AS idx, ${columns}
      FROM ${rollupTable(rollup, s.grain)} r WHERE r.bucket >= ${dialect.timestamp(s.from)} AND r.bucket < ${dialect.timestamp(s.to)}${filter}${where}`,
      );
  const outKeys = [...(select.group ? ['group_value'] : []), 'currency', ...select.extra];
  return dialect.summingRead(`SELECT idx::INTEGER AS idx, ${outKeys.join(', ')}, ${select.measures.map((m) => `sum(${m})::BIGINT AS ${m}`).join(', ')}
    FROM (${parts.join('\nUNION ALL\n')}) u${byGrain ? ' WHERE u.idx >= 0' : ''} GROUP BY ALL`);
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
