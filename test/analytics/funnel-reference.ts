import {
  BREAKDOWN_COLUMN,
  type FunnelBreakdown,
  type FunnelDefinition,
  type PropertyFilter,
} from '../../src/analytics/funnels/funnel-definition.js';

/**
 * A brute-force funnel, written from the definition and nothing else: every chain of rows is
 * enumerated (no "latest chain" shortcut), so it checks the SQL's window passes independently.
 * Input: the funnel's rows (behavioural events and the virtual landings), already in range.
 */

export interface RefRow {
  unit: string;
  t: number;
  /** Tie-break inside one millisecond ('' for a landing, the event id otherwise). */
  k: string;
  event_type: string;
  [column: string]: unknown;
}

function matches(row: RefRow, event: string, filters: readonly PropertyFilter[]): boolean {
  if (row.event_type !== event) return false;
  return filters.every((f) => {
    const raw = f.property.startsWith('properties.')
      ? (row.properties as Record<string, unknown> | null)?.[f.property.slice(11)]
      : row[f.property];
    const v = raw === undefined || raw === null ? null : f.property === 'amount_minor' ? Number(raw) : String(raw);
    const norm = (x: unknown) => (f.property === 'amount_minor' ? Number(x) : String(x));
    const list = Array.isArray(f.value) ? f.value.map(norm) : [];
    switch (f.op) {
      case 'eq':
        return v !== null && v === norm(f.value);
      case 'neq':
        return v === null || v !== norm(f.value);
      case 'in':
        return v !== null && list.includes(v);
      case 'not_in':
        return v === null || !list.includes(v);
      case 'gt':
        return v !== null && (v as number) > Number(f.value);
      case 'gte':
        return v !== null && (v as number) >= Number(f.value);
      case 'lt':
        return v !== null && (v as number) < Number(f.value);
      case 'lte':
        return v !== null && (v as number) <= Number(f.value);
      case 'is_set':
        return v !== null;
      case 'is_not_set':
        return v === null;
      default:
        throw new Error(`unknown op ${f.op}`);
    }
  });
}

interface UnitOutcome {
  /** Steps reached: level + 1 (0 = did not enter). */
  reached: number;
  /** Time from step i−1 to step i on the chain of the furthest step (ordered and strict). */
  gaps: number[];
  bd: string | null;
}

function outcomeOf(def: FunnelDefinition, rows: RefRow[], range: { from: number; to: number }, dim: string | null): UnitOutcome {
  const n = def.steps.length;
  const m = rows.map((r) => def.steps.map((s) => matches(r, s.event, s.filters)));
  const x = rows.map((r) => def.exclusions.map((e) => matches(r, e.event, e.filters)));
  const bdRow = dim ? rows.find((r, i) => r[dim] !== null && r[dim] !== undefined && m[i]?.some(Boolean)) : undefined;
  const bd = bdRow && dim ? String(bdRow[dim]) : null;
  const inRange = (i: number) => (rows[i]?.t ?? -1) >= range.from && (rows[i]?.t ?? 0) < range.to;
  const W = def.conversion_window_ms;
  if (def.mode === 'any_order') {
    let best = 0;
    rows.forEach((a, i) => {
      if (!m[i]?.some(Boolean) || !inRange(i)) return;
      const covered = def.steps.filter((_, s) => rows.some((r, j) => r.t >= a.t && r.t <= a.t + W && m[j]?.[s])).length;
      best = Math.max(best, covered);
    });
    return { reached: best, gaps: [], bd };
  }
  // Every chain: indices i0 < i1 < … (strict: consecutive) matching steps 0, 1, …
  const best: (number[] | null)[] = Array(n).fill(null);
  const extend = (chain: number[]) => {
    const level = chain.length - 1;
    const times = chain.map((i) => rows[i]?.t as number);
    const prev = best[level];
    best[level] = prev ? prev.map((v, j) => Math.max(v, times[j] as number)) : times;
    if (level + 1 >= n) return;
    const k = level + 1;
    const last = chain[level] as number;
    const candidates = def.mode === 'strict' ? [last + 1] : rows.map((_, j) => j).filter((j) => j > last);
    for (const j of candidates) {
      const r = rows[j];
      if (!r || !m[j]?.[k]) continue;
      if (r.t - (times[0] as number) > W) continue;
      const own = def.steps[k]?.window_ms;
      if (own !== undefined && r.t - (times[level] as number) > own) continue;
      const excluded = def.exclusions.some((e, xi) => {
        if (!(e.from_step < k && k <= e.to_step)) return false;
        const start = chain[e.from_step] as number;
        for (let b = start + 1; b < j; b++) if (x[b]?.[xi]) return true;
        return false;
      });
      if (excluded) continue;
      extend([...chain, j]);
    }
  };
  rows.forEach((_, i) => {
    if (m[i]?.[0] && inRange(i)) extend([i]);
  });
  const reached = best.filter((b) => b !== null).length;
  const furthest = reached > 0 ? (best[reached - 1] as number[]) : [];
  const gaps = furthest.slice(1).map((t, i) => t - (furthest[i] as number));
  return { reached, gaps, bd };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Rows in the shape of the funnel SQL's output (entered_i, sum_ms_i, median_ms_i), per breakdown value. */
export function referenceFunnel(
  def: FunnelDefinition,
  rows: RefRow[],
  range: { from: number; to: number },
  breakdown?: FunnelBreakdown,
): Map<string | null, Record<string, unknown>> {
  const dim = breakdown ? BREAKDOWN_COLUMN[breakdown] : null;
  const byUnit = new Map<string, RefRow[]>();
  for (const r of rows) byUnit.set(r.unit, [...(byUnit.get(r.unit) ?? []), r]);
  const groups = new Map<string | null, UnitOutcome[]>();
  for (const unitRows of byUnit.values()) {
    unitRows.sort((a, b) => a.t - b.t || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
    const o = outcomeOf(def, unitRows, range, dim);
    if (o.reached === 0) continue;
    groups.set(o.bd, [...(groups.get(o.bd) ?? []), o]);
  }
  const out = new Map<string | null, Record<string, unknown>>();
  for (const [bd, outcomes] of groups) {
    const row: Record<string, unknown> = { bd, units: outcomes.length };
    def.steps.forEach((_, i) => {
      const here = outcomes.filter((o) => o.reached > i);
      row[`entered_${i}`] = here.length;
      if (i > 0 && def.mode !== 'any_order') {
        const gaps = here.map((o) => o.gaps[i - 1] as number);
        row[`sum_ms_${i}`] = gaps.reduce((a, b) => a + b, 0);
        row[`median_ms_${i}`] = median(gaps);
      }
    });
    out.set(bd, row);
  }
  return out;
}
