import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../harness/app.js';

/** Bad input to /api/v1/experiments is answered with a stable code and what to fix — never a 500 — and roles are enforced. */
describe('experiments API refusals', () => {
  let t: TestApp;
  let analyst: string;
  let finance: string;
  const call = async (path: string, init: { method?: string; body?: unknown; raw?: string; key?: string | null } = {}) => {
    const headers: Record<string, string> = {};
    if (init.key !== null) headers.authorization = `Bearer ${init.key ?? analyst}`;
    if (init.body !== undefined || init.raw !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${t.url}${path}`, {
      method: init.method ?? 'GET',
      headers,
      ...(init.raw !== undefined ? { body: init.raw } : init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
  };
  const valid = {
    key: 'exp_err',
    name: 'Errors',
    variants: [
      { key: 'control', weight: 5000 },
      { key: 'b', weight: 5000 },
    ],
  };

  beforeAll(async () => {
    t = await startTestApp('pglite');
    analyst = await t.createKey(['analyst']);
    finance = await t.createKey(['finance']);
    expect((await call('/api/v1/experiments', { method: 'POST', body: valid })).status).toBe(201);
  });
  afterAll(() => t?.stop());

  it.each([
    ['an unknown metric', { ...valid, key: 'exp_a', primary_metric: 'revenue' }, /primary_metric/],
    ['one variant', { ...valid, key: 'exp_b', variants: [{ key: 'control', weight: 10000 }] }, /variants/],
    [
      'duplicate variant keys',
      {
        ...valid,
        key: 'exp_c',
        variants: [
          { key: 'a', weight: 5000 },
          { key: 'a', weight: 5000 },
        ],
      },
      /unique/,
    ],
    ['max runtime below min', { ...valid, key: 'exp_d', min_runtime_days: 20, max_runtime_days: 10 }, /max_runtime_days/],
    ['a key with spaces', { ...valid, key: 'exp e' }, /key/],
    ['an unknown field', { ...valid, key: 'exp_f', colour: 'red' }, /colour|Unrecognized/i],
  ])('refuses a definition with %s (422 VALIDATION_FAILED)', async (_what, body, message) => {
    const r = await call('/api/v1/experiments', { method: 'POST', body });
    expect(r.status).toBe(422);
    expect(r.body.error?.code).toBe('VALIDATION_FAILED');
    expect(r.body.error?.message).toMatch(message);
  });

  it('refuses malformed JSON, bad query values and unknown experiments with their codes', async () => {
    expect((await call('/api/v1/experiments', { method: 'POST', raw: '{"key":' })).body.error?.code).toBe('MALFORMED_JSON');
    expect((await call(`/api/v1/experiments/exp_err/assignment?unit_id=${'x'.repeat(300)}`)).status).toBe(422);
    expect((await call('/api/v1/experiments/exp_err/analysis?from=yesterday')).status).toBe(422);
    expect((await call('/api/v1/experiments/exp_err/analysis?format=pdf')).status).toBe(422);
    for (const [method, path] of [
      ['GET', '/api/v1/experiments/nope'],
      ['GET', '/api/v1/experiments/nope/assignment?unit_id=u'],
      ['GET', '/api/v1/experiments/nope/analysis'],
      ['POST', '/api/v1/experiments/nope/start'],
      ['DELETE', '/api/v1/experiments/nope'],
    ] as const) {
      const r = await call(path, { method });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body.error?.code).toBe('NOT_FOUND');
    }
    const started = await call('/api/v1/experiments/exp_err/start', { method: 'POST', body: { started_at: '2099-01-01T00:00:00Z' } });
    expect(started.status).toBe(422);
    const pause = await call('/api/v1/experiments/exp_err/pause', { method: 'POST' });
    expect(pause.status).toBe(409);
    expect(pause.body.error?.message).toMatch(/DRAFT/);
  });

  it('needs a key, and the analyst (or admin) role to manage experiments', async () => {
    expect((await call('/api/v1/experiments', { key: null })).status).toBe(401);
    expect((await call('/api/v1/experiments', { key: finance })).status).toBe(403);
    expect((await call('/api/v1/experiments/exp_err/start', { method: 'POST', key: finance })).status).toBe(403);
    expect((await call('/api/v1/experiments/exp_err/assignment?unit_id=u', { key: finance })).status).toBe(403);
    expect((await call('/api/v1/experiments', { key: t.adminKey })).status).toBe(200);
  });
});
