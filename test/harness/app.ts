/**
 * Starts the real composition root (`startApp`) on a fresh database of the given kind, listening
 * on a free loopback port, with known webhook secrets. Tests drive it over real HTTP.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, type Role, startApp } from '../../src/app.js';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { createPostgresDatabase } from './stores.js';

export const TEST_SECRETS = {
  default: 'whsec_dGVzdC1zZWNyZXQtZm9yLXRoZS1kZWZhdWx0LXNvdXJjZQ==',
  razorpay: 'razorpay-test-secret-123',
  stripe: 'whsec_c3RyaXBlLXRlc3Qtc2VjcmV0LWtleS0xMjM0NTY=',
};

export interface TestApp {
  app: App;
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startTestApp(
  kind: 'pglite' | 'postgres',
  env: Record<string, string> = {},
  options: { roles?: Role[]; databaseUrl?: string } = {},
): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'payscope-app-'));
  const databaseUrl = kind === 'postgres' ? (options.databaseUrl ?? (await createPostgresDatabase())) : undefined;
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
  return {
    app,
    url: app.url ?? '',
    dataDir,
    async stop() {
      await app.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
