import { randomUUID } from 'node:crypto';
import type { SqlExecutor } from './store-port.js';

/**
 * Saved funnel definitions and the hourly snapshots of the standard funnel (migration 0009). The
 * definition and result JSON are opaque here: src/analytics/funnels validates and produces them.
 */

export interface SavedFunnel {
  id: string;
  name: string;
  definition: unknown;
  created_by: string | null;
  created_at: string;
}

type Row = { id: string; name: string; definition: unknown; created_by: string | null; created_at: Date | string };
const view = (r: Row): SavedFunnel => ({
  id: r.id,
  name: r.name,
  definition: typeof r.definition === 'string' ? JSON.parse(r.definition) : r.definition,
  created_by: r.created_by,
  created_at: new Date(r.created_at).toISOString(),
});

/** Saves a definition under a new id; `name_taken` when another has that name. */
export async function saveFunnel(
  db: SqlExecutor,
  input: { name: string; definition: unknown; createdBy: string | null },
): Promise<{ ok: true; funnel: SavedFunnel } | { ok: false; reason: 'name_taken' }> {
  const { rows } = await db.query<Row>(
    `INSERT INTO payment_service.funnel_definitions (id, name, definition, created_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (name) DO NOTHING RETURNING id, name, definition, created_by, created_at`,
    [randomUUID(), input.name, JSON.stringify(input.definition), input.createdBy],
  );
  const row = rows[0];
  return row ? { ok: true, funnel: view(row) } : { ok: false, reason: 'name_taken' };
}

export async function listFunnels(db: SqlExecutor): Promise<SavedFunnel[]> {
  const { rows } = await db.query<Row>(
    'SELECT id, name, definition, created_by, created_at FROM payment_service.funnel_definitions ORDER BY name LIMIT 1000',
  );
  return rows.map(view);
}

export async function findFunnel(db: SqlExecutor, id: string): Promise<SavedFunnel | null> {
  const { rows } = await db.query<Row>(
    'SELECT id, name, definition, created_by, created_at FROM payment_service.funnel_definitions WHERE id = $1',
    [id],
  );
  return rows[0] ? view(rows[0]) : null;
}

export async function deleteFunnel(db: SqlExecutor, id: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM payment_service.funnel_definitions WHERE id = $1', [id]);
  return rowCount > 0;
}

export interface FunnelSnapshot {
  computed_at: string;
  range_from: string;
  range_to: string;
  result: unknown;
  cart_checkout_drop_off: string | null;
  baseline_drop_off: string | null;
  flagged: boolean;
}

export async function insertFunnelSnapshot(db: SqlExecutor, s: FunnelSnapshot): Promise<void> {
  await db.query(
    `INSERT INTO payment_service.funnel_snapshots
       (computed_at, range_from, range_to, result, cart_checkout_drop_off, baseline_drop_off, flagged)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [s.computed_at, s.range_from, s.range_to, JSON.stringify(s.result), s.cart_checkout_drop_off, s.baseline_drop_off, s.flagged],
  );
}

export async function latestFunnelSnapshot(db: SqlExecutor): Promise<FunnelSnapshot | null> {
  const { rows } = await db.query<{
    computed_at: Date | string;
    range_from: Date | string;
    range_to: Date | string;
    result: unknown;
    cart_checkout_drop_off: string | null;
    baseline_drop_off: string | null;
    flagged: boolean;
  }>(
    `SELECT computed_at, range_from, range_to, result, cart_checkout_drop_off, baseline_drop_off, flagged
     FROM payment_service.funnel_snapshots ORDER BY computed_at DESC, id DESC LIMIT 1`,
  );
  const r = rows[0];
  if (!r) return null;
  return {
    computed_at: new Date(r.computed_at).toISOString(),
    range_from: new Date(r.range_from).toISOString(),
    range_to: new Date(r.range_to).toISOString(),
    result: typeof r.result === 'string' ? JSON.parse(r.result) : r.result,
    cart_checkout_drop_off: r.cart_checkout_drop_off,
    baseline_drop_off: r.baseline_drop_off,
    flagged: r.flagged,
  };
}
