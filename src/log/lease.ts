import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { OperationalStore } from '../store/store-port.js';

/**
 * A lease on one row of `payment_service.consumer_offsets`: at most one member of a consumer
 * group (or one relay) works at a time, and its position is committed only while it holds the
 * lease. On PostgreSQL several processes may compete; a member that stops releases the lease, one
 * that dies loses it after `ttlMs`. On PGlite the data-dir lock already admits one process, so a
 * lease held by another process is a dead one's and is taken over at once (a restart resumes
 * without waiting out the TTL).
 */
export interface Lease {
  readonly owner: string;
  /**
   * Acquires or renews the lease (renewal only once half the TTL has passed). Returns null when
   * another member holds it; when just acquired (`fresh`), the stored position to resume after.
   */
  hold(): Promise<LeaseHeld | null>;
  /** Stores `position` (never moving it back) and renews. False when the lease was lost meanwhile. */
  commit(position: number): Promise<boolean>;
  release(): Promise<void>;
}

export type LeaseHeld = { fresh: true; position: number } | { fresh: false };

const processPrefix = `${hostname()}:${process.pid}:`;

export function createLease(store: OperationalStore, name: string, ttlMs: number): Lease {
  const owner = `${processPrefix}${randomUUID().slice(0, 8)}`;
  // Only this process can be alive on a PGlite data dir: other processes' leases are stale.
  const takeOverOtherProcesses = store.kind === 'pglite';
  let validUntil = 0; // local clock; renewal is scheduled by it, ownership is decided by the database
  let rowExists = false;

  return {
    owner,
    async hold() {
      const now = Date.now();
      if (now < validUntil - ttlMs / 2) return { fresh: false };
      if (!rowExists) {
        await store.query('INSERT INTO payment_service.consumer_offsets (consumer) VALUES ($1) ON CONFLICT (consumer) DO NOTHING', [name]);
        rowExists = true;
      }
      const { rows } = await store.query<{ position: number }>(
        `UPDATE payment_service.consumer_offsets
         SET owner = $2, lease_until = NOW() + ($3::int * INTERVAL '1 millisecond'), updated_at = NOW()
         WHERE consumer = $1 AND (owner IS NULL OR owner = $2 OR lease_until < NOW() OR ($4 AND owner NOT LIKE $5))
         RETURNING position`,
        [name, owner, ttlMs, takeOverOtherProcesses, `${processPrefix}%`],
      );
      const row = rows[0];
      const fresh = validUntil === 0;
      if (!row) {
        validUntil = 0;
        return null;
      }
      validUntil = now + ttlMs;
      return fresh ? { fresh, position: Number(row.position) } : { fresh };
    },
    async commit(position) {
      const now = Date.now();
      const { rows } = await store.query(
        `UPDATE payment_service.consumer_offsets
         SET position = GREATEST(position, $3), lease_until = NOW() + ($4::int * INTERVAL '1 millisecond'), updated_at = NOW()
         WHERE consumer = $1 AND owner = $2
         RETURNING 1`,
        [name, owner, position, ttlMs],
      );
      if (rows.length === 0) {
        validUntil = 0;
        return false;
      }
      validUntil = now + ttlMs;
      return true;
    },
    async release() {
      validUntil = 0;
      await store.query('UPDATE payment_service.consumer_offsets SET owner = NULL, lease_until = NULL WHERE consumer = $1 AND owner = $2', [
        name,
        owner,
      ]);
    },
  };
}
