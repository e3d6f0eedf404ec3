import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../harness/app.js';
import { writeDeadLetters } from '../../src/store/dead-letter-table.js';
import { seedAnalytics } from '../harness/analytics-data.js';

interface Operation {
  parameters?: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
  'x-payscope-access': unknown;
}
type Doc = { paths: Record<string, Record<string, Operation>>; components: Record<string, unknown> };

const SHARED_ANALYTICS = ['from', 'to', 'tz', 'merchant', 'gateway', 'method', 'region', 'currency', 'status', 'report_currency'];

describe('OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite');
  });
  afterAll(() => t?.stop());

  it('is served at /docs/openapi.json and validates with a standard OpenAPI validator', async () => {
    const res = await fetch(`${t.url}/docs/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('covers every route the server registered, with its access and the zod schemas that validate it', async () => {
    const doc = (await (await fetch(`${t.url}/docs/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
            parameters?: { name: string; in: string }[];
            'x-payscope-access': unknown;
          }
        >
      >;
    };
    const routes = t.app.http?.printRoutes({ commonPrefix: false }) ?? '';
    for (const path of [
      '/api/v1/events',
      '/api/v1/sql',
      '/api/v1/sql/views',
      '/api/v1/live',
      '/api/v1/payments/webhook',
      '/api/v1/data-quality',
      '/api/v1/dead-letters',
      '/api/v1/session',
      '/health',
      '/metrics',
    ]) {
      expect(routes).toContain(path.split('/').at(-1));
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.paths['/api/v1/payments/webhook/{channel}']).toBeDefined();
    expect(doc.paths['/api/v1/sql']?.post?.requestBody?.content['application/json']?.schema.properties).toHaveProperty('sql');
    expect(doc.paths['/api/v1/sql']?.post?.['x-payscope-access']).toEqual(['analyst']);
    expect(doc.paths['/api/v1/data-quality']?.get?.parameters?.map((p) => p.name)).toEqual(['days']);
    expect(doc.paths['/health']?.get?.['x-payscope-access']).toBe('public');
  });

  it('documents the query parameters, body and response of the analytics, settlement, fx-rates and pipeline routes', async () => {
    const doc = (await (await fetch(`${t.url}/docs/openapi.json`)).json()) as Doc;
    const names = (path: string, method = 'get') =>
      doc.paths[path]?.[method]?.parameters?.filter((p) => p.in === 'query').map((p) => p.name);
    const own: Record<string, string[]> = {
      '/api/v1/analytics/kpis': [],
      '/api/v1/analytics/breakdown': ['dimension', 'limit', 'offset'],
      '/api/v1/analytics/timeseries': ['granularity'],
      '/api/v1/analytics/failure-reasons': ['limit', 'group', 'category'],
      '/api/v1/analytics/refund-reasons': ['limit'],
      '/api/v1/analytics/top': ['dimension', 'n', 'metric'],
      '/api/v1/settlement/tiles': [],
    };
    for (const [path, extra] of Object.entries(own)) {
      expect(names(path), path).toEqual([...SHARED_ANALYTICS, ...extra]);
      const responses = doc.paths[path]?.get?.responses ?? {};
      expect(responses['200']?.content?.['application/json']?.schema.properties, path).toHaveProperty('range');
      expect(Object.keys(responses), path).toEqual(expect.arrayContaining(['200', '401', '403', '422']));
    }
    const breakdown = doc.paths['/api/v1/analytics/breakdown']?.get?.parameters ?? [];
    expect(breakdown.find((p) => p.name === 'dimension')).toMatchObject({
      required: true,
      schema: { enum: expect.arrayContaining(['gateway']) },
    });
    expect(breakdown.find((p) => p.name === 'limit')).toMatchObject({ required: false, schema: { default: 50, maximum: 500 } });
    expect(breakdown.find((p) => p.name === 'tz')).toMatchObject({ required: false, schema: { default: 'UTC' } });
    expect(doc.paths['/api/v1/settlement/tiles']?.get?.['x-payscope-access']).toEqual(['finance']);
    expect(doc.paths['/api/v1/analytics/kpis']?.get?.['x-payscope-access']).toEqual(['analyst', 'finance']);

    expect(names('/api/v1/data-quality')).toEqual(['days']);
    expect(names('/api/v1/dead-letters')).toEqual(['stage', 'include_replayed', 'after_id', 'limit']);
    expect(doc.paths['/api/v1/dead-letters/replay']?.post?.requestBody?.content['application/json']?.schema.properties).toHaveProperty(
      'ids',
    );
    expect(doc.paths['/api/v1/merchants']?.put?.requestBody?.content['application/json']?.schema).toMatchObject({
      type: 'array',
      items: { required: ['merchant_id', 'name'] },
    });
    expect(doc.paths['/api/v1/fx-rates']?.put?.requestBody?.content).toHaveProperty('text/csv');
    for (const [path, method] of [
      ['/api/v1/data-quality', 'get'],
      ['/api/v1/data-product', 'get'],
      ['/api/v1/dead-letters', 'get'],
      ['/api/v1/dead-letters/replay', 'post'],
      ['/api/v1/merchants', 'get'],
      ['/api/v1/merchants', 'put'],
      ['/api/v1/fx-rates', 'get'],
      ['/api/v1/fx-rates', 'put'],
    ] as const) {
      expect(doc.paths[path]?.[method]?.responses['200']?.content?.['application/json']?.schema, `${method} ${path}`).toHaveProperty(
        'properties',
      );
    }
  });

  it('describes what these routes actually answer: real responses validate against the documented schemas', async () => {
    await seedAnalytics(t, { start: Date.parse('2026-11-01T00:00:00Z'), spanMs: 3 * 86_400_000, payments: 40, seed: 7 });
    await writeDeadLetters(t.app.store, [
      {
        stage: 'analytics',
        origin: 'consumer:openapi-test',
        eventId: 'evt-openapi-1',
        eventType: 'payment.succeeded',
        partition: 0,
        offset: 3,
        payload: '{"not":"a cloud event"}',
        errorCode: 'SCHEMA_INVALID',
        errorMessage: 'for the test',
        details: { field: 'data' },
      },
    ]);
    await fetch(`${t.url}/api/v1/merchants`, {
      method: 'PUT',
      headers: { ...t.auth, 'content-type': 'application/json' },
      body: JSON.stringify([{ merchant_id: 'M-1', name: 'One', settlement_cycle: 'T+1' }]),
    });
    const doc = (await (await fetch(`${t.url}/docs/openapi.json`)).json()) as Doc;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const range = 'from=2026-11-01&to=2026-11-04&tz=Asia/Kolkata';
    const calls: [string, string][] = [
      ['/api/v1/analytics/kpis', range],
      ['/api/v1/analytics/breakdown', `${range}&dimension=gateway`],
      ['/api/v1/analytics/breakdown', `${range}&dimension=region`],
      ['/api/v1/analytics/timeseries', `${range}&granularity=day`],
      ['/api/v1/analytics/failure-reasons', range],
      ['/api/v1/analytics/refund-reasons', range],
      ['/api/v1/analytics/top', `${range}&metric=payment_count`],
      ['/api/v1/settlement/tiles', range],
      ['/api/v1/fx-rates', ''],
      ['/api/v1/data-quality', 'days=30'],
      ['/api/v1/data-product', ''],
      ['/api/v1/dead-letters', ''],
      ['/api/v1/merchants', ''],
    ];
    for (const [path, query] of calls) {
      const res = await fetch(`${t.url}${path}?${query}`, { headers: t.auth });
      expect(res.status, path).toBe(200);
      const body = (await res.json()) as { items?: unknown[] };
      if (path === '/api/v1/dead-letters' || path === '/api/v1/merchants') expect(body.items, path).toHaveLength(1);
      const schema = doc.paths[path]?.get?.responses['200']?.content?.['application/json']?.schema ?? {};
      const validate = ajv.compile(schema);
      expect(validate(body) ? null : { path, query, errors: validate.errors }).toBeNull();
    }
  });

  it('serves a browsable page at /docs', async () => {
    const res = await fetch(`${t.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('/docs/openapi.json');
  });

  it('lists only API paths: not the dashboard SPA routes, assets or the docs pages', async () => {
    const doc = (await (await fetch(`${t.url}/docs/openapi.json`)).json()) as Doc;
    const paths = Object.keys(doc.paths);
    expect(paths).not.toContain('/');
    expect(paths.some((p) => p.includes('*') || p.startsWith('/assets') || p.startsWith('/docs'))).toBe(false);
    expect(paths.every((p) => p.startsWith('/api/') || p === '/health' || p === '/metrics')).toBe(true);
  });

  it('documents the webhook body from the zod schema that validates it, and the 201 answers of webhooks and key creation', async () => {
    const doc = (await (await fetch(`${t.url}/docs/openapi.json`)).json()) as Doc;
    const webhook = doc.paths['/api/v1/payments/webhook']?.post;
    const body = webhook?.requestBody?.content['application/json']?.schema as { properties?: Record<string, unknown> };
    expect(Object.keys(body?.properties ?? {})).toEqual(
      expect.arrayContaining(['reference_number', 'amount', 'amount_minor', 'payment_date']),
    );
    expect(Object.keys(webhook?.responses ?? {})).toEqual(expect.arrayContaining(['201', '200']));
    expect(webhook?.responses['201']?.content?.['application/json']?.schema).toMatchObject({
      properties: { status: expect.anything(), payment_id: expect.anything() },
    });
    expect(Object.keys(doc.paths['/api/v1/payments/webhook/{channel}']?.post?.responses ?? {})).toContain('201');
    const keys = doc.paths['/api/v1/keys']?.post;
    expect(Object.keys(keys?.responses ?? {})).toContain('201');
    expect(Object.keys(keys?.responses ?? {})).not.toContain('200');
  });

  it('answers the docs link of an error body with the catalogue, at the anchor of that code', async () => {
    const res = await fetch(`${t.url}/api/v1/keys`);
    expect(res.status).toBe(401);
    const { error } = (await res.json()) as { error: { code: string; docs: string } };
    expect(error.docs).toBe('/docs/errors#api_key_missing');
    const page = await fetch(new URL(error.docs, t.url));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<a id="api_key_missing"></a>');
    expect(html).toContain('<code>API_KEY_MISSING</code>');
  });
});
