import { PGlite, types } from '@electric-sql/pglite';
import type { OperationalStore, QueryResult, SqlExecutor } from './store-port.js';

/** int8 and timestamps parse the same on both adapters: numbers, and timestamps as UTC. */
export const pgliteParsers = {
  [types.INT8]: (v: string) => Number(v),
  [types.TIMESTAMP]: (v: string) => new Date(`${v.replace(' ', 'T')}Z`),
};

/** Opens (creating if needed) a PGlite database in `dataDir`. The caller must hold the data-dir lock. */
export async function openPglite(dataDir: string): Promise<PGlite> {
  const db = await PGlite.create({ dataDir, parsers: pgliteParsers });
  await db.exec(`SET TimeZone = 'UTC'`);
  return db;
}

function executorOf(client: Pick<PGlite, 'query'>): SqlExecutor {
  return {
    async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const res = await client.query<R>(sql, params ? [...params] : undefined);
      return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length };
    },
  };
}

/** The embedded adapter. PGlite has one connection, so transactions run one at a time. */
export function createPgliteStore(db: PGlite, onClose?: () => Promise<void>): OperationalStore {
  const base = executorOf(db);
  return {
    kind: 'pglite',
    maxConcurrency: 1,
    query: base.query,
    transaction: (fn) => db.transaction((tx) => fn(executorOf(tx))),
    poolStats: () => null,
    async close() {
      if (!db.closed) await db.close();
      await onClose?.();
    },
  };
}
