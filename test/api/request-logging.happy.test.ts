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

it('logs every rejection — a 413 body and a 401 without a key — with request_id, never reqId', async () => {
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
    WEBHOOK_MAX_BODY_BYTES: '1024',
    LOG_LEVEL: 'info',
  });
  const app = await startApp(config, createLogger('info', out), { roles: ['api', 'ingest'] });
  try {
    const big = await fetch(`${app.url}/api/v1/payments/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-413' },
      body: JSON.stringify({ padding: 'x'.repeat(4096) }),
    });
    expect(big.status).toBe(413);
    const anonymous = await fetch(`${app.url}/api/v1/keys`, { headers: { 'x-request-id': 'req-401' } });
    expect(anonymous.status).toBe(401);
  } finally {
    await app.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  const lines = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.find((l) => l.request_id === 'req-413' && l.msg === 'request rejected')).toMatchObject({
    code: 'PAYLOAD_TOO_LARGE',
    status: 413,
  });
  expect(lines.find((l) => l.request_id === 'req-401' && l.msg === 'request rejected')).toMatchObject({
    code: 'API_KEY_MISSING',
    status: 401,
  });
  expect(lines.some((l) => 'reqId' in l)).toBe(false);
}, 60_000);
