/**
 * Evidence for where the rollup reads spend their time: the statement `readTotals` sent before
 * (a range join per grain, kept here as `current` — the label of the recorded figures) timed
 * against two rewrites that return the same rows. `union_per_segment` is what
 * src/analytics/rollup-query.ts `rollupSql` sends since this comparison.
 *
 * - `current`: per grain, one range join of the rollup against a VALUES list of segments
 *   (`bucket >= lo AND bucket < hi`), bounded by the lowest and highest segment of that grain.
 *   When a grain serves both edges of a long range (a non-UTC day or a 90-day range in
 *   Asia/Kolkata), those bounds span the whole range, so the whole fine-grain rollup is read and
 *   range-joined (DuckDB plans PIECEWISE_MERGE_JOIN).
 * - `equality_join`: every segment expanded into its rollup buckets, joined on `bucket = b` (a
 *   hash join on a small build side).
 * - `union_per_segment`: one `UNION ALL` branch per segment with its own tight `WHERE bucket`
 *   bounds (zone maps skip every other row group) and a constant bucket index.
 */
import { type Bucket, rollupSql, segmentsOf } from '../../src/analytics/rollup-query.js';
import type { SqlDialect } from '../../src/warehouse/sql-dialect.js';
import type { Grain } from '../../src/warehouse/tables.js';
import type { Warehouse } from '../../src/warehouse/warehouse-port.js';

const GRAIN_MS: Readonly<Record<Grain, number>> = { minute: 60_000, quarter_hour: 900_000, hour: 3_600_000, day: 86_400_000 };
const ts = (ms: number) => `TIMESTAMP '${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}'`;
const MEASURES = ['payments', 'amount_minor', 'fee_minor'] as const;
const COLUMNS = `r.currency, r.status, ${MEASURES.map((m) => `r.${m}`).join(', ')}`;

function outer(parts: readonly string[]): string {
  return `SELECT idx::INTEGER AS idx, currency, status, ${MEASURES.map((m) => `sum(${m})::BIGINT AS ${m}`).join(', ')}
    FROM (${parts.join('\nUNION ALL\n')}) u GROUP BY ALL`;
}

/** The three statements for the same buckets (no filters, no grouping: the KPI / time-series case). */
export function variantsOf(
  dialect: SqlDialect,
  buckets: readonly Bucket[],
): Record<'current' | 'equality_join' | 'union_per_segment', string> {
  const segments = segmentsOf(buckets);
  const byGrain = new Map<Grain, typeof segments>();
  for (const s of segments) byGrain.set(s.grain, [...(byGrain.get(s.grain) ?? []), s]);
  const equality = [...byGrain].map(([grain, list]) => {
    const lo = Math.min(...list.map((s) => s.from));
    const hi = Math.max(...list.map((s) => s.to));
    const values: string[] = [];
    for (const s of list) for (let t = s.from; t < s.to; t += GRAIN_MS[grain]) values.push(`(${s.index}, ${ts(t)})`);
    return `SELECT s.idx, ${COLUMNS} FROM payments_by_${grain} r JOIN (VALUES ${values.join(', ')}) s(idx, b) ON r.bucket = s.b
      WHERE r.bucket >= ${ts(lo)} AND r.bucket < ${ts(hi)}`;
  });
  const rangeJoin = [...byGrain].map(([grain, list]) => {
    const lo = Math.min(...list.map((s) => s.from));
    const hi = Math.max(...list.map((s) => s.to));
    const values = list.map((s) => `(${s.index}, ${ts(s.from)}, ${ts(s.to)})`).join(', ');
    return `SELECT s.idx, ${COLUMNS} FROM payments_by_${grain} r JOIN (VALUES ${values}) s(idx, lo, hi) ON r.bucket >= s.lo AND r.bucket < s.hi
      WHERE r.bucket >= ${ts(lo)} AND r.bucket < ${ts(hi)}`;
  });
  return {
    current: outer(rangeJoin),
    equality_join: outer(equality),
    // what src/ sends now; checked to be the same statement as union_per_segment's rows
    union_per_segment: rollupSql(dialect, 'payments', segments, { group: null, extra: ['status'], measures: MEASURES }, {}, []),
  };
}

export interface VariantResult {
  label: string;
  segments: string;
  /** Median ms per variant. */
  ms: Record<string, number>;
  /** Every variant returned the same rows as `current`. */
  same: boolean;
}

/** Times each variant `runs` times, interleaved (after one untimed run each), and checks the rows agree. */
export async function compareVariants(
  warehouse: Warehouse,
  cases: readonly { label: string; buckets: readonly Bucket[] }[],
  runs: number,
): Promise<VariantResult[]> {
  const canonical = (rows: Record<string, unknown>[]) =>
    rows
      .map((r) => [r.idx, r.currency, r.status, ...MEASURES.map((m) => r[m])].join('|'))
      .sort()
      .join('\n');
  const out: VariantResult[] = [];
  for (const c of cases) {
    const variants = variantsOf(warehouse.dialect, c.buckets);
    const counts = new Map<string, number>();
    for (const s of segmentsOf(c.buckets)) counts.set(s.grain, (counts.get(s.grain) ?? 0) + 1);
    let same = true;
    let reference: string | null = null;
    for (const sql of Object.values(variants)) {
      const rows = canonical(await warehouse.query(sql));
      reference ??= rows;
      if (rows !== reference) same = false;
    }
    const times = new Map<string, number[]>();
    for (let i = 0; i < runs; i++) {
      for (const [name, sql] of Object.entries(variants)) {
        const started = performance.now();
        await warehouse.query(sql);
        times.set(name, [...(times.get(name) ?? []), performance.now() - started]);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    out.push({
      label: c.label,
      segments: [...counts].map(([g, n]) => `${n} ${g}`).join(' + '),
      ms: Object.fromEntries([...times].map(([name, xs]) => [name, median(xs)])),
      same,
    });
  }
  return out;
}
