import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRETS, type TestApp, startTestApp } from '../harness/app.js';
import { expectMethodNotAllowed } from '../harness/dashboard.js';
import { seedBody, sendWebhook } from '../harness/webhook-client.js';

/**
 * Monitoring when something is wrong: an unreachable Redis makes `/health` answer 503 unhealthy
 * (naming the check) while the rest — webhooks included — keeps answering; `/metrics` switched off and unknown
 * monitoring paths are the standard JSON 404. One app for the file.
 */

interface ErrorBody {
  error: { code: string; message: string; request_id: string; docs: string };
}

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('monitoring routes (errors)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', {
      REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
      ENABLE_REDIS_CACHE: 'true',
      ENABLE_METRICS: 'false',
    });
  });
  afterAll(() => t?.stop());

  const expectNotFound = async (path: string, method = 'GET') => {
    const res = await fetch(`${t.url}${path}`, { method });
    expect(res.status, `${method} ${path}`).toBe(404);
    expect((await res.json()) as ErrorBody).toEqual({
      error: { code: 'NOT_FOUND', message: `no route ${method} ${path}`, request_id: expect.any(String), docs: '/docs/errors#not_found' },
    });
  };

  it('answers /health with 503 unhealthy naming the failed check, the others still reported', async () => {
    const res = await fetch(`${t.url}/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      status: 'unhealthy',
      checks: { database: 'ok', redis: 'error', event_log: 'ok', staging_backlog: 0, outbox_backlog: expect.any(Number) },
    });
  });

  it('keeps recording webhooks and answering the stats and the API while Redis is down', async () => {
    // The rate limiter keeps its counters in Redis: it lets requests through rather than fail them.
    const first = await sendWebhook(t.url, seedBody('MONERR-1'), { secret: TEST_SECRETS.default });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect((await sendWebhook(t.url, seedBody('MONERR-1'), { secret: TEST_SECRETS.default })).body).toMatchObject({ status: 'duplicate' });
    expect((await fetch(`${t.url}/api/v1/payments/stats`)).status).toBe(200);
    expect((await fetch(`${t.url}/api/v1/fx-rates`, { headers: t.auth })).status).toBe(200);
  });

  it('has no /metrics when ENABLE_METRICS=false: the JSON 404', async () => {
    await expectNotFound('/metrics');
  });

  it('answers other methods with 405 and allow, unknown paths with the JSON 404', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      await expectMethodNotAllowed(t.url, '/health', method, 'GET, HEAD');
      await expectMethodNotAllowed(t.url, '/api/v1/payments/stats', method, 'GET, HEAD');
    }
    await expectMethodNotAllowed(t.url, '/api/v1/events', 'GET', 'POST');
    await expectMethodNotAllowed(t.url, '/api/v1/keys/7', 'GET', 'DELETE');
    for (const path of ['/health/', '/health/live', '/api/v1/payments/stats/today', '/api/v1/health']) await expectNotFound(path);
  });
});
