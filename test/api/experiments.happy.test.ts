import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignVariant, validateEvent } from '../../src/contracts/index.js';
import { type TestApp, startTestApp } from '../harness/app.js';
import { postEvents } from '../harness/event-capture.js';
import { waitFor } from '../harness/event-logs.js';
import { cloudEvent } from '../harness/events.js';

/**
 * /api/v1/experiments over real HTTP on one app (PGlite + DuckDB): definitions with their defaults,
 * the lifecycle with its event in the outbox and its audit row, sticky assignment and its header,
 * exposures through POST /api/v1/events into the analysis, and the refusals with their codes.
 */

const KEY = 'exp_one_tap_checkout';
const definition = {
  key: KEY,
  name: 'One-tap UPI checkout',
  hypothesis: 'A one-tap UPI button at checkout lifts checkout completion',
  variants: [
    { key: 'control', weight: 5000 },
    { key: 'one_tap', weight: 5000 },
  ],
};

describe('experiments API', () => {
  let t: TestApp;
  let analyst: string;
  let ingest: string;
  const call = async (path: string, init: { method?: string; body?: unknown; key?: string } = {}) => {
    const res = await fetch(`${t.url}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${init.key ?? analyst}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text);
    } catch {
      json = { text };
    }
    // biome-ignore lint/suspicious/noExplicitAny: answers of many shapes, read field by field
    return { status: res.status, headers: res.headers, body: json as Record<string, any> };
  };

  beforeAll(async () => {
    t = await startTestApp('pglite');
    analyst = await t.createKey(['analyst']);
    ingest = await t.createKey(['ingest']);
  });
  afterAll(() => t?.stop());

  it('creates a DRAFT with the issue’s defaults and refuses a taken key and bad weights', async () => {
    const created = await call('/api/v1/experiments', { method: 'POST', body: definition });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('DRAFT');
    expect(created.body.definition).toMatchObject({
      primary_metric: 'checkout_completion_rate',
      secondary_metrics: ['aov', 'bounce_rate', 'error_rate'],
      min_runtime_days: 14,
      max_runtime_days: 28,
      min_sample_per_variant: 10_000,
      guardrails: { error_rate_ratio: 2, payment_failure_points: 1, p95_latency_ms: 200 },
    });
    const again = await call('/api/v1/experiments', { method: 'POST', body: definition });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('EXPERIMENT_CONFLICT');
    const bad = await call('/api/v1/experiments', {
      method: 'POST',
      body: {
        ...definition,
        key: 'exp_bad',
        variants: [
          { key: 'a', weight: 5000 },
          { key: 'b', weight: 4000 },
        ],
      },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.message).toMatch(/sum to 10000.*9000/);
    const forbidden = await call('/api/v1/experiments', { method: 'POST', body: { ...definition, key: 'exp_x' }, key: ingest });
    expect(forbidden.status).toBe(403);
  });

  it('answers control outside RUNNING and the hashed variant while running, with X-Experiment-Variant', async () => {
    const draft = await call(`/api/v1/experiments/${KEY}/assignment?unit_id=sess_1`, { key: ingest });
    expect(draft.status).toBe(200);
    expect(draft.body).toMatchObject({ variant: 'control', in_experiment: false, status: 'DRAFT' });
    const startedAt = new Date(Date.now() - 20 * 86_400_000).toISOString();
    const started = await call(`/api/v1/experiments/${KEY}/start`, { method: 'POST', body: { reason: 'launch', started_at: startedAt } });
    expect(started.status).toBe(200);
    expect(started.body.status).toBe('RUNNING');
    expect(started.body.started_at).toBe(startedAt);
    for (let i = 0; i < 50; i++) {
      const r = await call(`/api/v1/experiments/${KEY}/assignment?unit_id=sess_${i}`, { key: ingest });
      const expected = assignVariant(KEY, definition.variants, `sess_${i}`);
      expect(r.body.variant).toBe(expected.variant.key);
      expect(r.body.bucket).toBe(expected.bucket);
      expect(r.headers.get('x-experiment-variant')).toBe(r.body.variant);
      expect(r.body.in_experiment).toBe(true);
    }
    const missing = await call(`/api/v1/experiments/${KEY}/assignment`, { key: ingest });
    expect(missing.status).toBe(422);
  });

  it('publishes each status change as experiment.status_changed and writes its audit row', async () => {
    const again = await call(`/api/v1/experiments/${KEY}/start`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(again.body.error.details).toEqual({ status: 'RUNNING' });
    const { rows } = await t.app.store.query<{ payload: unknown }>(
      `SELECT payload FROM payment_service.outbox WHERE event_type = 'experiment.status_changed' ORDER BY id`,
    );
    expect(rows).toHaveLength(1);
    const payload = typeof rows[0]?.payload === 'string' ? JSON.parse(rows[0].payload) : rows[0]?.payload;
    const valid = validateEvent(payload);
    expect(valid.ok).toBe(true);
    expect(payload.data).toMatchObject({
      experiment_key: KEY,
      from_status: 'DRAFT',
      to_status: 'RUNNING',
      actor: 'user',
      reason: 'launch',
    });
    const audit = await t.app.store.query<{ path: string; status: number }>(
      `SELECT path, status FROM payment_service.audit_log WHERE path = $1`,
      [`/api/v1/experiments/${KEY}/start`],
    );
    expect(audit.rows).toHaveLength(1);
    const history = await call(`/api/v1/experiments/${KEY}/history`);
    expect(history.body.items.map((i: { to_status: string }) => i.to_status)).toEqual(['RUNNING']);
    expect(history.body.items[0].event_id).toBe(payload.id);
  });

  it('keeps every answer after an edit that keeps variants and weights, and refuses one that changes them', async () => {
    const before = await Promise.all(Array.from({ length: 20 }, (_, i) => call(`/api/v1/experiments/${KEY}/assignment?unit_id=u${i}`)));
    const edited = await call(`/api/v1/experiments/${KEY}`, {
      method: 'PUT',
      body: {
        definition: {
          ...definition,
          hypothesis: 'reworded',
          variants: definition.variants.map((v) => ({ ...v, name: v.key.toUpperCase() })),
        },
      },
    });
    expect(edited.status).toBe(200);
    const after = await Promise.all(Array.from({ length: 20 }, (_, i) => call(`/api/v1/experiments/${KEY}/assignment?unit_id=u${i}`)));
    expect(after.map((r) => r.body.variant)).toEqual(before.map((r) => r.body.variant));
    const reweighted = await call(`/api/v1/experiments/${KEY}`, {
      method: 'PUT',
      body: {
        definition: {
          ...definition,
          variants: [
            { key: 'control', weight: 9000 },
            { key: 'one_tap', weight: 1000 },
          ],
        },
      },
    });
    expect(reweighted.status).toBe(409);
  });

  it('analyses exposures that arrived as experiment.exposure_recorded events', async () => {
    const now = Date.now();
    const events = Array.from({ length: 60 }, (_, i) => {
      const unit = `sess_an_${i}`;
      const variant = assignVariant(KEY, definition.variants, unit).variant.key;
      return cloudEvent(
        'experiment.exposure_recorded',
        {
          experiment_id: KEY,
          variant,
          unit_type: 'session',
          unit_id: unit,
          session_id: unit,
          bucket: assignVariant(KEY, definition.variants, unit).bucket,
        },
        { time: new Date(now - (i + 1) * 60_000) },
      );
    });
    const sent = await postEvents(t.url, events);
    expect(sent.status).toBe(200);
    const wh = t.app.warehouse;
    if (!wh) throw new Error('no warehouse');
    await waitFor(
      async () =>
        ((await wh.query<{ n: number }>(`SELECT count(*)::INT AS n FROM experiment_exposures WHERE experiment_id = '${KEY}'`))[0]?.n ??
          0) === 60,
      'exposures to land',
    );
    const expected = { control: 0, one_tap: 0 } as Record<string, number>;
    for (const e of events) expected[e.data.variant] = (expected[e.data.variant] ?? 0) + 1;
    const analysis = await call(`/api/v1/experiments/${KEY}/analysis`);
    expect(analysis.status).toBe(200);
    expect(Object.fromEntries(analysis.body.variants.map((v: { key: string; units: number }) => [v.key, v.units]))).toEqual(expected);
    expect(analysis.body.verdict.decision).toBe('KEEP_RUNNING');
    expect(analysis.body.readiness).toEqual({ min_runtime_reached: true, min_sample_reached: false, max_runtime_reached: false });
    const md = await fetch(`${t.url}/api/v1/experiments/${KEY}/analysis?format=markdown`, {
      headers: { authorization: `Bearer ${analyst}` },
    });
    expect(md.headers.get('content-type')).toMatch(/text\/markdown/);
    expect(await md.text()).toContain('## checkout_completion_rate (primary)');
  });

  it('stops and completes with a recorded rollout, after which assignment answers the rollout', async () => {
    const conclude = await call(`/api/v1/experiments/${KEY}/conclude`, { method: 'POST' });
    expect(conclude.status).toBe(409);
    expect((await call(`/api/v1/experiments/${KEY}/stop`, { method: 'POST', body: { reason: 'enough' } })).body.status).toBe('STOPPED');
    const bad = await call(`/api/v1/experiments/${KEY}/complete`, { method: 'POST', body: { rollout_variant: 'nope' } });
    expect(bad.status).toBe(422);
    const done = await call(`/api/v1/experiments/${KEY}/complete`, { method: 'POST', body: { rollout_variant: 'one_tap' } });
    expect(done.body).toMatchObject({ status: 'COMPLETED', rollout_variant: 'one_tap' });
    const a = await call(`/api/v1/experiments/${KEY}/assignment?unit_id=anyone`, { key: ingest });
    expect(a.body).toMatchObject({ variant: 'one_tap', in_experiment: false });
    const history = await call(`/api/v1/experiments/${KEY}/history`);
    expect(history.body.items.map((i: { to_status: string }) => i.to_status)).toEqual(['RUNNING', 'STOPPED', 'COMPLETED']);
    const del = await call(`/api/v1/experiments/${KEY}`, { method: 'DELETE' });
    expect(del.status).toBe(409);
    const missing = await call('/api/v1/experiments/nope');
    expect(missing.status).toBe(404);
  });
});
