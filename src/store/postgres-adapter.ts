import pg from 'pg';
import type { OperationalStore, QueryResult, SqlExecutor } from './store-port.js';

/** Builds a `pg` pool whose parsing matches the PGlite adapter (int8 → number, TIMESTAMP as UTC). */
export function createPgPool(connectionString: string, options: { min: number; max: number }): pg.Pool {
  const typeParsers = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === 20) return (v: string) => Number(v);
      if (oid === 1114) return (v: string) => new Date(`${v.replace(' ', 'T')}Z`);
      return pg.types.getTypeParser(oid, format);
    },
  };
  return new pg.Pool({
    connectionString,
    min: options.min,
    max: options.max,
    types: typeParsers as pg.CustomTypesConfig,
    options: '-c TimeZone=UTC',
    application_name: 'payscope',
  });
}

function executorOf(client: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const res = await client.query(sql, params ? [...params] : undefined);
      return { rows: res.rows as R[], rowCount: res.rowCount ?? res.rows.length };
    },
  };
}

/** The PostgreSQL adapter over an already-built pool. */
export function createPostgresStore(pool: pg.Pool, maxConcurrency = 4): OperationalStore {
  const base = executorOf(pool);
  return {
    kind: 'postgres',
    maxConcurrency,
    query: base.query,
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(executorOf(client));
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
          client.release();
        } catch {
          client.release(true);
        }
        throw error;
      }
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max ?? 10 }),
    close: () => pool.end(),
  };
}
