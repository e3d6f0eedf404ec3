import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRETS, type TestApp, startTestApp } from '../harness/app.js';
import { seedBody, sendWebhook } from '../harness/webhook-client.js';

/**
 * `/health`, `/metrics` and `/api/v1/payments/stats` are open (load balancers and Prometheus scrape
 * them without a key), so they may carry counters only: no payment detail, no secrets, no
 * connection strings or paths — even while something is failing — and nothing a caller chose, so
 * an anonymous caller cannot grow the metrics without bound. One app for the file, with a Redis
 * URL whose password must never show.
 */

const REDIS_PASSWORD = 'r3dis-Pa55word-never-shown';
const OPEN = ['/health', '/metrics', '/api/v1/payments/stats'];

describe('monitoring routes (security)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:1/0`, ENABLE_REDIS_CACHE: 'true' });
    // Payment detail that must never reach these routes.
    await sendWebhook(t.url, seedBody('MONSEC-REF-0001', { loan_account_number: 'LN-MONSEC-991', cif: 'CIF-MONSEC-772' }), {
      secret: TEST_SECRETS.default,
    });
    await sendWebhook(t.url, seedBody('MONSEC-REF-0002', { amount: 'not-a-number' }), { secret: TEST_SECRETS.default });
    await sendWebhook(t.url, seedBody('MONSEC-REF-0003'), { secret: 'whsec_wrong-secret' });
  });
  afterAll(() => t?.stop());

  const read = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${t.url}${path}`, { headers });
    return { status: res.status, text: await res.text() };
  };

  it('needs no key, and ignores a bad one', async () => {
    for (const path of OPEN) {
      for (const headers of [{}, { authorization: 'Bearer not-a-key' }, { 'x-api-key': `psk_${'M'.repeat(43)}` }] as Record<
        string,
        string
      >[]) {
        const res = await read(path, headers);
        // /health is 503 here (Redis is unreachable); either way it answered without asking for a key.
        expect([200, 503], path).toContain(res.status);
        expect(res.text).not.toContain('API_KEY');
      }
    }
  });

  it('shows no payment detail, secret, key, connection string or server path, also while unhealthy', async () => {
    const forbidden = [
      'MONSEC-REF',
      'LN-MONSEC-991',
      'CIF-MONSEC-772',
      'LN00012345',
      'CIF998877',
      REDIS_PASSWORD,
      ...Object.values(TEST_SECRETS),
      'whsec_wrong-secret',
      t.adminKey,
      t.adminKey.slice(0, 12),
      readFileSync(join(t.dataDir, 'pii-hash-key'), 'utf8').trim(),
      t.dataDir,
    ];
    for (const path of OPEN) {
      const { text } = await read(path);
      for (const secret of forbidden) expect(text, `${path} shows ${secret}`).not.toContain(secret);
      expect(text, path).not.toMatch(/redis:\/\/|postgres(ql)?:\/\/|\bat \S+ \(|node_modules/);
    }
    expect(JSON.parse((await read('/health')).text)).toMatchObject({ status: 'unhealthy', checks: { redis: 'error' } });
  });

  it('never turns what a caller sends into a metric label', async () => {
    const chosen = Array.from({ length: 5 }, (_, i) => `chosen-by-caller-${i}-${Date.now()}`);
    for (const channel of [...chosen, 'constructor', '__proto__']) {
      const res = await sendWebhook(t.url, seedBody(`MONSEC-CH-${channel}`), { secret: TEST_SECRETS.default, channel });
      expect(res.status, channel).toBe(404);
    }
    const metrics = (await read('/metrics')).text;
    for (const channel of chosen) expect(metrics).not.toContain(channel);
    expect(metrics).not.toMatch(/channel="(constructor|__proto__)"/);
    const channels = new Set([...metrics.matchAll(/channel="([^"]*)"/g)].map((m) => m[1]));
    expect(
      [...channels].every((c) => ['default', 'razorpay', 'stripe', 'unknown'].includes(c as string)),
      [...channels].join(','),
    ).toBe(true);
  });
});
