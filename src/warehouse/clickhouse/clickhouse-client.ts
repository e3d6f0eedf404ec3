import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';

/**
 * Settings every Payscope query runs with: 64-bit integers as JSON strings (decoded exactly in
 * clickhouse-values.ts; ClickHouse 26 would send bare numbers that JSON.parse rounds beyond 2^53),
 * and times rendered in UTC whatever the server's zone.
 */
export const CLIENT_SETTINGS: ClickHouseSettings = {
  output_format_json_quote_64bit_integers: 1,
  session_timezone: 'UTC',
  date_time_input_format: 'basic',
};

/**
 * Builds the client a `CLICKHOUSE_URL` names: `http(s)://user:password@host:port` → the official
 * HTTP client (credentials taken from the URL); `chdb:<dir>` → ClickHouse in this process through
 * chDB (an optional dependency, loaded only here). chDB has one session per process and ignores
 * the client's `database` option, so every statement is prefixed with `USE <database>`.
 */
export async function createClickHouseClient(url: string, database: string): Promise<ClickHouseClient> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) throw new Error(`bad ClickHouse database name ${database}`);
  const { createClient } = await import('@clickhouse/client');
  if (url.startsWith('chdb:')) {
    let chdb: typeof import('chdb/connection');
    try {
      chdb = await import('chdb/connection');
    } catch (error) {
      throw new Error(`CLICKHOUSE_URL=${url} needs chDB in this process: npm install chdb (${(error as Error).message})`);
    }
    const inner = chdb.createChdbConnection({ path: url.slice('chdb:'.length) });
    // USE needs the database to exist.
    await inner.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
    const use = (query: string) => `USE ${database}; ${query}`;
    const connection: import('chdb/connection').Connection<import('node:stream').Readable> = {
      query: (p) => inner.query({ ...p, query: use(p.query) }),
      exec: (p) => inner.exec({ ...p, query: use(p.query) }),
      command: (p) => inner.command({ ...p, query: use(p.query) }),
      // Inserts name their table with its database (the INSERT body follows the statement inline).
      insert: (p) => inner.insert(p),
      ping: (p) => inner.ping(p),
      close: () => inner.close(),
    };
    // chdb types the Connection from its own copy of @clickhouse/client-common: the same contract.
    return createClient({ connection: connection as never, clickhouse_settings: CLIENT_SETTINGS });
  }
  const parsed = new URL(url);
  const username = decodeURIComponent(parsed.username) || 'default';
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  const server = { url: parsed.toString().replace(/\/$/, ''), username, password };
  // The HTTP interface refuses a `database` that does not exist yet: create it first.
  const bootstrap = createClient(server);
  try {
    await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  } finally {
    await bootstrap.close();
  }
  return createClient({
    ...server,
    database,
    clickhouse_settings: CLIENT_SETTINGS,
  });
}
