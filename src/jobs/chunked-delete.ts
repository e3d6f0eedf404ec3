import type { OperationalStore } from '../store/store-port.js';

/**
 * Runs a `DELETE … WHERE key IN (SELECT … LIMIT $n)` until it deletes fewer than `chunk` rows, so
 * a clean-up never holds long locks. `sql` takes `params` and then the chunk as its last
 * parameter. Resolves to the rows deleted.
 */
export async function deleteInChunks(store: OperationalStore, sql: string, params: readonly unknown[], chunk: number): Promise<number> {
  let deleted = 0;
  for (;;) {
    const r = await store.query(sql, [...params, chunk]);
    deleted += r.rowCount;
    if (r.rowCount < chunk) return deleted;
  }
}
