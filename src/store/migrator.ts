import * as m0001 from './migrations/0001-recording.js';
import * as m0002 from './migrations/0002-event-log.js';
import * as m0003 from './migrations/0003-capture.js';
import * as m0004 from './migrations/0004-access.js';
import * as m0005 from './migrations/0005-ended-sessions.js';
import * as m0006 from './migrations/0006-exact-staging-amounts.js';
import * as m0007 from './migrations/0007-failure-codes.js';
import * as m0008 from './migrations/0008-payment-lifecycle.js';
import * as m0009 from './migrations/0009-funnels.js';
import * as m0010 from './migrations/0010-experiments.js';
import * as m0011 from './migrations/0011-product-analytics.js';
import type { OperationalStore } from './store-port.js';

export interface Migration {
  version: number;
  name: string;
  up: string;
}

/** Every migration, in order. Both adapters run exactly these. */
export const migrations: readonly Migration[] = [
  { version: 1, name: 'recording', up: m0001.up },
  { version: 2, name: 'event-log', up: m0002.up },
  { version: 3, name: 'capture', up: m0003.up },
  { version: 4, name: 'access', up: m0004.up },
  { version: 5, name: 'ended-sessions', up: m0005.up },
  { version: 6, name: 'exact-staging-amounts', up: m0006.up },
  { version: 7, name: 'failure-codes', up: m0007.up },
  { version: 8, name: 'payment-lifecycle', up: m0008.up },
  { version: 9, name: 'funnels', up: m0009.up },
  { version: 10, name: 'experiments', up: m0010.up },
  { version: 11, name: 'product-analytics', up: m0011.up },
];

export type MigrationResult = { ok: true; applied: Migration[] } | { ok: false; applied: Migration[]; failed: Migration; error: Error };

const LOCK_KEY = 7_406_139_021; // arbitrary constant: serialises concurrent migrators on PostgreSQL

/**
 * Applies pending migrations, each in its own transaction, under an advisory lock so several
 * processes starting at once migrate only once. Returns a result; never throws for a failed
 * migration (a lost connection still throws).
 */
export async function migrate(store: OperationalStore): Promise<MigrationResult> {
  const applied: Migration[] = [];
  try {
    // Under the lock too: two processes creating the table at once collide in pg_type.
    await store.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
      await tx.query(`CREATE TABLE IF NOT EXISTS payscope_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW())`);
    });
  } catch (error) {
    return { ok: false, applied, failed: { version: 0, name: 'migrations table', up: '' }, error: error as Error };
  }
  for (const migration of migrations) {
    try {
      const ran = await store.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
        const done = await tx.query('SELECT 1 FROM payscope_migrations WHERE version = $1', [migration.version]);
        if (done.rows.length > 0) return false;
        for (const statement of splitStatements(migration.up)) await tx.query(statement);
        await tx.query('INSERT INTO payscope_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
        return true;
      });
      if (ran) applied.push(migration);
    } catch (error) {
      return { ok: false, applied, failed: migration, error: error as Error };
    }
  }
  return { ok: true, applied };
}

/** Splits a migration script on statement-ending semicolons (our migrations use no $$ bodies). */
function splitStatements(script: string): string[] {
  return script
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}
