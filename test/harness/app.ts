/**
 * Starts the real composition root (`startApp`) on a fresh database of the given kind, listening
 * on a free loopback port, with known webhook secrets. Tests drive it over real HTTP.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AccessRole, createApiKey } from '../../src/api/access/api-keys.js';
import { type App, type Role, startApp } from '../../src/app.js';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { createMigratedPostgresDatabase, seedMigratedPglite } from './stores.js';

export const TEST_SECRETS = {
  default: 'whsec_dGVzdC1zZWNyZXQtZm9yLXRoZS1kZWZhdWx0LXNvdXJjZQ==',
  razorpay: 'razorpay-test-secret-123',
  stripe: 'whsec_c3RyaXBlLXRlc3Qtc2VjcmV0LWtleS0xMjM0NTY=',
};

export interface TestApp {
  app: App;
  url: string;
  dataDir: string;
  /** An admin API key made for the test; harness clients (`postEvents`, `authFetch`) send it. */
  adminKey: string;
  /** `{authorization: 'Bearer <adminKey>'}` for tests that call fetch themselves. */
  auth: Record<string, string>;
  /** Creates another key with these roles. */
  createKey(roles: AccessRole[], name?: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestApp(
  kind: 'pglite' | 'postgres',
  env: Record<string, string> = {},
  options: { roles?: Role[]; databaseUrl?: string } = {},
): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'payscope-app-'));
  // A migrated copy of the run's template database: the app's own start then finds nothing to
  // migrate (~3 s less per app on PGlite). Migration itself is tested in test/store.
  const databaseUrl = kind === 'postgres' ? (options.databaseUrl ?? (await createMigratedPostgresDatabase())) : undefined;
  if (kind === 'pglite' && !env.DATA_DIR && !env.DATABASE_URL) await seedMigratedPglite(join(dataDir, 'pglite'));
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: dataDir,
    STAGING_INTERVAL_SECONDS: '3600',
    ENABLE_REDIS_CACHE: 'false',
    WEBHOOK_SOURCES: JSON.stringify(Object.fromEntries(Object.entries(TEST_SECRETS).map(([k, secret]) => [k, { secret }]))),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...env,
  });
  const app = await startApp(config, createLogger(config.env.LOG_LEVEL), options.roles ? { roles: options.roles } : {});
  const createKey = async (roles: AccessRole[], name = `test ${roles.join('+')}`) => (await createApiKey(app.store, { name, roles })).key;
  const adminKey = await createKey(['admin'], 'test admin');
  const url = app.url ?? '';
  if (url) KEYS_BY_URL.set(url, adminKey);
  return {
    app,
    url,
    dataDir,
    adminKey,
    auth: { authorization: `Bearer ${adminKey}` },
    createKey,
    async stop() {
      KEYS_BY_URL.delete(url);
      await app.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const KEYS_BY_URL = new Map<string, string>();

/** The admin key of the test app listening at `baseUrl` (harness clients authenticate with it). */
export function adminKeyFor(baseUrl: string): string | undefined {
  return KEYS_BY_URL.get(baseUrl.replace(/\/$/, ''));
}

/** fetch with the test app's admin key (unless `init.headers` sets authorization itself). */
export function authFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const base = new URL(url).origin;
  const key = [...KEYS_BY_URL.entries()].find(([u]) => new URL(u).origin === base)?.[1];
  const headers = new Headers(init.headers);
  if (key && !headers.has('authorization')) headers.set('authorization', `Bearer ${key}`);
  return fetch(url, { ...init, headers });
}
