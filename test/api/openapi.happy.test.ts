import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../harness/app.js';

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

  it('serves a browsable page at /docs', async () => {
    const res = await fetch(`${t.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('/docs/openapi.json');
  });
});
