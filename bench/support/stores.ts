import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { BenchPostgres } from './throwaway-postgres.js';

/** The installed PGlite version, read from its package.json. */
export function pgliteVersion(): string {
  try {
    const file = new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url);
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** How the store was set up, for the report: the settings change what the figures mean. */
export function storeLabel(kind: 'pglite' | 'postgres', postgres: BenchPostgres | null): string {
  if (kind === 'pglite') return `PGlite ${pgliteVersion()} (embedded, data dir under ${tmpdir()}; PGlite never fsyncs)`;
  const server = postgres ? `PostgreSQL ${postgres.version}` : 'PostgreSQL';
  return postgres?.origin === 'BENCH_DATABASE_URL'
    ? `${server} (BENCH_DATABASE_URL, server settings as configured there)`
    : `${server} (throwaway loopback cluster, fsync=off, synchronous_commit=off, full_page_writes=off — as the test harness; ` +
        'commits do not wait for the disk, so these are CPU-bound figures)';
}
