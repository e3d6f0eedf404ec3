import { afterAll, beforeAll, expect, it } from 'vitest';
import { TEST_SECRETS, type TestApp, startTestApp } from '../harness/app.js';
import { describeWithRedis } from '../harness/redis.js';
import { seedBody, sendWebhook } from '../harness/webhook-client.js';

/**
 * `/health`, `/metrics` and `/api/v1/payments/stats` (the seed's shapes), open without a key. One
 * app for the file, with the harness's Redis so every health check has something to check.
 */

interface Health {
  status: string;
  checks: Record<string, unknown>;
}

describeWithRedis('monitoring routes (happy)', (redisUrl) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { REDIS_URL: redisUrl, ENABLE_REDIS_CACHE: 'true' });
  });
  afterAll(() => t?.stop());

  it('reports healthy with every check: database, Redis, event log, relay, analytics, backlogs', async () => {
    const res = await fetch(`${t.url}/health`);
    expect(res.status).toBe(200);
    expect((await res.json()) as Health).toEqual({
      status: 'healthy',
      checks: {
        database: 'ok',
        redis: 'ok',
        event_log: 'ok',
        kafka: 'not_configured',
        relay: { state: 'running', connected: true, last_error: null, last_published_at: null },
        analytics: expect.objectContaining({ state: 'running', dead_lettered: 0 }),
        outbox_backlog: expect.any(Number),
        staging_backlog: 0,
        last_staging_run: null,
      },
    });
  });

  it('counts today’s webhooks in /api/v1/payments/stats: received, duplicate rate, response time', async () => {
    const before = (await (await fetch(`${t.url}/api/v1/payments/stats`)).json()) as { webhooks: { received_today: number } };
    expect(before).toEqual({
      staging: { processed_today: 0, pending_count: 0, average_batch_time_ms: 0 },
      webhooks: { received_today: 0, duplicate_rate: 0, average_response_time_ms: 0 },
    });
    for (const reference of ['MON-1', 'MON-2', 'MON-1', 'MON-1']) {
      expect([200, 201]).toContain((await sendWebhook(t.url, seedBody(reference), { secret: TEST_SECRETS.default })).status);
    }
    const after = (await (await fetch(`${t.url}/api/v1/payments/stats`)).json()) as {
      webhooks: { received_today: number; duplicate_rate: number; average_response_time_ms: number };
    };
    expect(after.webhooks).toEqual({ received_today: 4, duplicate_rate: 0.5, average_response_time_ms: expect.any(Number) });
    expect(after.webhooks.average_response_time_ms).toBeGreaterThan(0);
  });

  it('exposes Prometheus metrics: payments by outcome, webhook latency, backlogs, process metrics', async () => {
    await sendWebhook(t.url, seedBody('MON-3'), { secret: TEST_SECRETS.default });
    const res = await fetch(`${t.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const value = (series: RegExp) => Number(text.match(series)?.[1] ?? Number.NaN);
    expect(value(/^payscope_payments_total\{[^}]*outcome="created"[^}]*\} (\d+)$/m)).toBeGreaterThanOrEqual(3);
    expect(value(/^payscope_payments_total\{[^}]*outcome="duplicate"[^}]*\} (\d+)$/m)).toBeGreaterThanOrEqual(2);
    expect(value(/^payscope_webhook_duration_seconds_count\{channel="default",outcome="created"\} (\d+)$/m)).toBe(3);
    for (const name of ['payscope_outbox_backlog', 'payscope_staging_backlog', 'payscope_process_cpu_user_seconds_total']) {
      expect(text, name).toMatch(new RegExp(`^${name} \\d`, 'm'));
    }
  });
});
