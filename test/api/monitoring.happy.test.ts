import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertStagingRows } from '../../src/sources/staging/staging-csv-loader.js';
import { TEST_SECRETS, type TestApp, startTestApp } from '../harness/app.js';
import { describeWithRedis } from '../harness/redis.js';
import { seedBody, sendWebhook } from '../harness/webhook-client.js';

/**
 * `/health`, `/metrics` and `/api/v1/payments/stats` (the seed's shapes), open without a key. One
 * app with the harness's Redis so every health check has something to check, and one of its own
 * whose counters start at zero, for exact counts and the `promtool check metrics` lint.
 *
 * Missing promtool (Debian package `prometheus`): with CI=true the lint test fails; otherwise it
 * is skipped with one loud line (the rule of test/harness/global-setup.ts). `PAYSCOPE_PROMTOOL`
 * overrides /usr/bin/promtool.
 */

const PROMTOOL = process.env.PAYSCOPE_PROMTOOL ?? '/usr/bin/promtool';
const promtoolMissing = !existsSync(PROMTOOL);
const ci = process.env.CI === 'true';
if (promtoolMissing && !ci) {
  process.stderr.write(`\n⚠ SKIPPING promtool check: ${PROMTOOL} not found (apt-get install -y prometheus) — /metrics was not linted\n\n`);
}

/** Pipes `text` to `promtool check metrics`; resolves with its exit code and everything it printed. */
function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

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

  it('reports healthy with every check: database, Redis, event log, relay, analytics, warehouse, backlogs', async () => {
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
        warehouse: { engine: 'duckdb', status: 'ok' },
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

describe('monitoring counts and metric names (own app)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite');
  });
  afterAll(() => t?.stop());

  const stats = async () =>
    (await (await fetch(`${t.url}/api/v1/payments/stats`)).json()) as {
      staging: { processed_today: number; pending_count: number; average_batch_time_ms: number };
      webhooks: { received_today: number; duplicate_rate: number; average_response_time_ms: number };
    };

  it('counts a replayed webhook-id as a duplicate in the latency histogram and in the /stats duplicate rate', async () => {
    const send = (reference: string, id: string, timestamp = Math.floor(Date.now() / 1000)) =>
      sendWebhook(t.url, seedBody(reference), { secret: TEST_SECRETS.default, id, timestamp });
    const timestamp = Math.floor(Date.now() / 1000);
    const statuses: number[] = [];
    for (let i = 1; i <= 6; i++) statuses.push((await send(`RPL-${i}`, `msg_rpl_${i}`, timestamp)).status); // 6 created
    for (const i of [1, 2]) statuses.push((await send(`RPL-${i}`, `msg_rpl_again_${i}`)).status); // 2 duplicates: same reference, new id
    const replays = await Promise.all([1, 2, 3].map((i) => send(`RPL-${i}`, `msg_rpl_${i}`, timestamp))); // 3 replays: same webhook-id
    expect(statuses).toEqual([201, 201, 201, 201, 201, 201, 200, 200]);
    expect(replays.map((r) => [r.status, r.body.status, r.headers.get('webhook-replayed')])).toEqual([
      [200, 'duplicate', 'true'],
      [200, 'duplicate', 'true'],
      [200, 'duplicate', 'true'],
    ]);

    const text = await (await fetch(`${t.url}/metrics`)).text();
    const count = (outcome: string) =>
      Number(
        text.match(new RegExp(`^payscope_webhook_duration_seconds_count\\{channel="default",outcome="${outcome}"\\} (\\d+)$`, 'm'))?.[1],
      );
    expect({ created: count('created'), duplicate: count('duplicate') }).toEqual({ created: 6, duplicate: 5 });
    expect((await stats()).webhooks).toEqual({
      received_today: 11,
      duplicate_rate: Number((5 / 11).toFixed(4)),
      average_response_time_ms: expect.any(Number),
    });
  });

  it('reports the average staging batch time in /stats from the batch’s real start and end', async () => {
    await insertStagingRows(
      t.app.store,
      Array.from({ length: 200 }, (_, i) => ({
        reference_number: `BT-${i}`,
        loan_account_number: 'LN1',
        cif: 'CIF1',
        amount: '10.00',
        payment_date: '2026-11-01T10:00:00.000Z',
      })),
    );
    const [worker] = t.app.stagingWorkers;
    const summary = await worker?.processBatch();

    expect(summary).toMatchObject({ total: 200, processed: 200 });
    expect(summary?.ms).toBeGreaterThan(0);
    expect((await stats()).staging).toEqual({ processed_today: 200, pending_count: 0, average_batch_time_ms: summary?.ms });
  });

  it.skipIf(promtoolMissing && !ci)('serves a /metrics page that promtool check metrics accepts', async () => {
    if (promtoolMissing) throw new Error(`CI=true and promtool is missing at ${PROMTOOL}: apt-get install -y prometheus`);
    await sendWebhook(t.url, seedBody('PROM-1'), { secret: TEST_SECRETS.default });
    await sendWebhook(t.url, { reference_number: '' }, { secret: TEST_SECRETS.default });
    const res = await fetch(`${t.url}/metrics`);
    const text = await res.text();
    expect(text).toMatch(/^payscope_webhook_duration_seconds_bucket\{/m); // promtool also accepts an empty page
    expect(text).toMatch(/^payscope_nodejs_active_handles\{/m);

    expect(await promtoolCheck(text)).toEqual({ code: 0, output: '' });
  });
});
