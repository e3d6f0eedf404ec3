import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { expect, it } from 'vitest';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { TEST_SECRETS } from '../harness/app.js';
import { seedBody, sendWebhook } from '../harness/webhook-client.js';

/** Per-request log lines are off at LOG_LEVEL=info unless LOG_REQUESTS=true (two lines a webhook would cost more than the work). */
async function logLinesOf(logRequests: boolean): Promise<string[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'payscope-logs-'));
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => {
    text += c.toString();
  });
  const config = loadConfig({
    PORT: '0',
    DATA_DIR: dataDir,
    ENABLE_REDIS_CACHE: 'false',
    STAGING_INTERVAL_SECONDS: '3600',
    WEBHOOK_SOURCES: JSON.stringify({ default: { secret: TEST_SECRETS.default } }),
    LOG_LEVEL: 'info',
    LOG_REQUESTS: String(logRequests),
  });
  const app = await startApp(config, createLogger('info', out), { roles: ['api', 'ingest'] });
  try {
    const res = await sendWebhook(app.url as string, seedBody(`LOG-${logRequests}`), { secret: TEST_SECRETS.default });
    expect(res.status).toBe(201);
    expect((await fetch(`${app.url}/health`)).status).toBe(200);
  } finally {
    await app.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  return text.split('\n').filter(Boolean);
}

it('writes no per-request lines at info by default, and both lines of each request with LOG_REQUESTS=true', async () => {
  const quiet = await logLinesOf(false);
  expect(quiet.some((l) => l.includes('"msg":"incoming request"') || l.includes('"msg":"request completed"'))).toBe(false);
  expect(quiet.length).toBeGreaterThan(0); // the logger did write (start-up lines)
  const verbose = await logLinesOf(true);
  expect(verbose.filter((l) => l.includes('"msg":"incoming request"')).length).toBeGreaterThanOrEqual(2);
  expect(verbose.filter((l) => l.includes('"msg":"request completed"')).length).toBeGreaterThanOrEqual(2);
}, 60_000);
