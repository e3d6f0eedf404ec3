import type { SqlDialect } from '../../warehouse/sql-dialect.js';
import { BREAKDOWN_COLUMN, type FunnelBreakdown, type FunnelDefinition } from './funnel-definition.js';
import { Params, type SourceRange, funnelSourceSql, matchSql } from './funnel-source.js';

/**
 * The funnel as one SQL statement over the funnel source (funnel-source.ts), portable between
 * DuckDB and ClickHouse: window functions over each unit's rows in the order (t, k).
 *
 * Ordered and strict funnels: level 0 is valid on a row that matches step 0 inside [from, to). For
 * each next level one window pass reads, from the rows before this one (ordered: all of them,
 * strict: only the row just before), the latest valid chain of the previous level — every time of
 * its steps, each the running max — and the row is valid at this level when it matches the step
 * and the chain still fits the conversion window, the step's own window and no exclusion event lies
 * between the exclusion's first step and this row. Keeping only the latest chain is exact: a later
 * chain has every step time later (by induction), so it fits every window any earlier chain fits
 * (README.md, "Why the latest chain is enough"). Cost: one sort per level.
 *
 * Any-order funnels: for each row that matches a step, the number of steps with a matching row in
 * [t, t + window] (a RANGE frame over epoch ms); the unit's level is the largest.
 *
 * Output: one row per breakdown value with `units` and, per step i, `entered_i`, `sum_ms_i`,
 * `median_ms_i`, `min_ms_i`, `max_ms_i` (time from step i−1, ordered and strict funnels only).
 */
export interface FunnelSqlOptions extends SourceRange {
  breakdown?: FunnelBreakdown | undefined;
}

/**
 * The funnel's rows: `unit`, `t`, `k`, `m<i>` (1 when the row matches step i), `x<i>` (exclusion
 * i) and, with a breakdown, `bd` — what the levels read, and what tests hand to ClickHouse's own
 * `windowFunnel`.
 */
export function funnelBaseSql(
  d: SqlDialect,
  def: FunnelDefinition,
  opts: FunnelSqlOptions,
  p = new Params(),
): { sql: string; params: unknown[] } {
  const source = funnelSourceSql(d, def, opts, p);
  const steps = def.steps.map((s, i) => `CASE WHEN ${matchSql(d, s.event, s.filters, p)} THEN 1 ELSE 0 END AS m${i}`);
  const exclusions = def.exclusions.map((x, i) => `CASE WHEN ${matchSql(d, x.event, x.filters, p)} THEN 1 ELSE 0 END AS x${i}`);
  const dim = opts.breakdown ? BREAKDOWN_COLUMN[opts.breakdown] : null;
  return {
    sql: `SELECT unit, t, k, ${[...steps, ...exclusions].join(', ')}${dim ? `, ${dim} AS bd` : ''} FROM (${source}) src`,
    params: p.values,
  };
}

export function funnelSql(d: SqlDialect, def: FunnelDefinition, opts: FunnelSqlOptions): { sql: string; params: unknown[] } {
  const p = new Params();
  const n = def.steps.length;
  const dim = opts.breakdown ? BREAKDOWN_COLUMN[opts.breakdown] : null;
  const base = funnelBaseSql(d, def, opts, p).sql;
  const anyStep = Array.from({ length: n }, (_, i) => `m${i} = 1`).join(' OR ');
  const breakdownAgg = dim ? `${d.argMinIf('bd', 'rn', `bd IS NOT NULL AND (${anyStep})`)} AS bd` : `'' AS bd`;
  const inRange = `t >= ${opts.from} AND t < ${opts.to}`;

  let unitsSql: string;
  if (def.mode === 'any_order') {
    const frame = `OVER (PARTITION BY unit ORDER BY t RANGE BETWEEN CURRENT ROW AND ${def.conversion_window_ms} FOLLOWING)`;
    const has = Array.from({ length: n }, (_, i) => `max(m${i}) ${frame} AS h${i}`);
    const count = Array.from({ length: n }, (_, i) => `h${i}`).join(' + ');
    unitsSql = `SELECT unit, ${breakdownAgg},
        max(CASE WHEN (${anyStep}) AND ${inRange} THEN ${count} ELSE 0 END) AS lvl
      FROM (SELECT *, ${has.join(', ')}, row_number() OVER (PARTITION BY unit ORDER BY t, k) AS rn FROM (${base}) b) a
      GROUP BY unit`;
  } else {
    const frame =
      def.mode === 'strict'
        ? 'OVER (PARTITION BY uid ORDER BY rn ROWS BETWEEN 1 PRECEDING AND 1 PRECEDING)'
        : 'OVER (PARTITION BY uid ORDER BY rn ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)';
    // The passes order by rn (one integer, numbered once by (t, k)): sorting on the text tie-break each time cost twice as much.
    // Level k's chain on a valid row: times c{k}_0 … c{k}_{k-1} read from the previous level, and t.
    const comp = (k: number, j: number) => (j === k ? 't' : `c${k}_${j}`);
    // The row numbers of a chain's steps that open an exclusion span (the span must hold no exclusion row).
    const rnNeeded = new Set(def.exclusions.map((x) => x.from_step));
    const rnComp = (k: number, j: number) => (j === k ? 'rn' : `r${k}_${j}`);
    let sql = `SELECT *, CASE WHEN m0 = 1 AND ${inRange} THEN 1 ELSE 0 END AS v0
      FROM (SELECT *, row_number() OVER (PARTITION BY uid ORDER BY t, k) AS rn FROM (
        SELECT b.*, ids.uid FROM base b JOIN (
          SELECT id_unit, row_number() OVER () AS uid FROM (SELECT DISTINCT unit AS id_unit FROM base) d
        ) ids ON ids.id_unit = b.unit) b) r`;
    for (let k = 1; k < n; k++) {
      const reads = [
        ...Array.from({ length: k }, (_, j) => `max(CASE WHEN v${k - 1} = 1 THEN ${comp(k - 1, j)} END) ${frame} AS c${k}_${j}`),
        ...[...rnNeeded]
          .filter((j) => j < k)
          .map((j) => `max(CASE WHEN v${k - 1} = 1 THEN ${rnComp(k - 1, j)} END) ${frame} AS r${k}_${j}`),
        ...def.exclusions.map((x, i) =>
          x.from_step < k && k <= x.to_step ? `max(CASE WHEN x${i} = 1 THEN rn END) ${frame} AS e${k}_${i}` : null,
        ),
      ].filter((s): s is string => s !== null);
      const conds = [`m${k} = 1`, `c${k}_0 IS NOT NULL`, `t - c${k}_0 <= ${def.conversion_window_ms}`];
      const own = def.steps[k]?.window_ms;
      if (own !== undefined) conds.push(`t - c${k}_${k - 1} <= ${own}`);
      def.exclusions.forEach((x, i) => {
        if (x.from_step < k && k <= x.to_step) conds.push(`(e${k}_${i} IS NULL OR e${k}_${i} <= r${k}_${x.from_step})`);
      });
      sql = `SELECT *, CASE WHEN ${conds.join(' AND ')} THEN 1 ELSE 0 END AS v${k}
        FROM (SELECT *, ${reads.join(', ')} FROM (${sql}) l${k - 1}) w${k}`;
    }
    // Per unit: reached levels, and the step times of the latest chain at each level.
    const reached = Array.from({ length: n }, (_, k) => `max(v${k}) AS reached${k}`);
    const finals: string[] = [];
    for (let k = 1; k < n; k++) {
      for (let j = 0; j <= k; j++) finals.push(`max(CASE WHEN v${k} = 1 THEN ${comp(k, j)} END) AS f${k}_${j}`);
    }
    // Window passes partition by an integer id per unit (numbered once): a text key cost about twice as much.
    unitsSql = `SELECT uid, ${breakdownAgg}, ${[...reached, ...finals].join(', ')} FROM (${sql}) levels GROUP BY uid`;
  }

  // Per breakdown value: units entering each step and the time from the previous step, read on the
  // chain of the unit's furthest step.
  const measures: string[] = [];
  for (let i = 0; i < n; i++) {
    if (def.mode === 'any_order') {
      measures.push(`${d.countIf(`lvl >= ${i + 1}`)} AS entered_${i}`);
      continue;
    }
    measures.push(`${d.countIf(`reached${i} = 1`)} AS entered_${i}`);
    if (i === 0) continue;
    const cases = [];
    for (let level = n - 1; level >= i; level--) cases.push(`WHEN reached${level} = 1 THEN f${level}_${i} - f${level}_${i - 1}`);
    const gap = `(CASE ${cases.join(' ')} END)`;
    measures.push(
      `${d.sumIf(gap, `reached${i} = 1`)} AS sum_ms_${i}`,
      `${d.median(gap)} AS median_ms_${i}`,
      `min(${gap}) AS min_ms_${i}`,
      `max(${gap}) AS max_ms_${i}`,
    );
  }
  const first = def.mode === 'any_order' ? 'lvl >= 1' : 'reached0 = 1';
  const withBase = def.mode === 'any_order' ? '' : `WITH base AS (${base}) `;
  const sql = `${withBase}SELECT bd, count(*) AS units, ${measures.join(', ')}
    FROM (${unitsSql}) u WHERE ${first} GROUP BY bd ORDER BY units DESC, bd`;
  return { sql, params: p.values };
}
