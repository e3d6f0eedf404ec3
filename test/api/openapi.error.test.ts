import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../harness/app.js';
import { expectJsonNotFound, expectMethodNotAllowed } from '../harness/dashboard.js';

/**
 * The docs routes have exactly two answers; everything else near them is the standard JSON 404
 * (never the docs page, never the dashboard), and a query string changes nothing. One app.
 */

describe('OpenAPI document (errors)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite');
  });
  afterAll(() => t?.stop());

  const expectNotFound = (path: string, method = 'GET') => expectJsonNotFound(t.url, path, method);

  it('answers unknown documentation paths with the JSON 404', async () => {
    for (const path of [
      '/docs/',
      '/docs/openapi.yaml',
      '/docs/openapi.json/',
      '/docs/openapi.json/paths',
      '/docs/static/index.html',
      '/documentation',
      '/documentation/json',
      '/openapi.json',
      '/swagger.json',
      '/api/v1/openapi.json',
      '/api/v1/docs',
    ]) {
      await expectNotFound(path);
    }
  });

  it('answers other methods on the docs routes with 405 and the methods they take', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      await expectMethodNotAllowed(t.url, '/docs', method, 'GET, HEAD');
      await expectMethodNotAllowed(t.url, '/docs/openapi.json', method, 'GET, HEAD');
    }
  });

  it('ignores a query string and the Accept header: the same document every time', async () => {
    const plain = await (await fetch(`${t.url}/docs/openapi.json`)).text();
    for (const [query, accept] of [
      ['?format=yaml', 'application/yaml'],
      ['?x=%00&x=%ff', 'text/html'],
      ['?__proto__[x]=1', '*/*'],
    ] as [string, string][]) {
      const res = await fetch(`${t.url}/docs/openapi.json${query}`, { headers: { accept } });
      expect(res.status, query).toBe(200);
      expect(res.headers.get('content-type'), query).toMatch(/^application\/json/);
      expect(await res.text(), query).toBe(plain);
    }
  });

  it('names no route that would answer 404 or 500: every documented GET without parameters answers', async () => {
    const doc = JSON.parse(await (await fetch(`${t.url}/docs/openapi.json`)).text()) as {
      paths: Record<string, Record<string, { parameters?: { in: string; required: boolean }[] }>>;
    };
    for (const [path, ops] of Object.entries(doc.paths)) {
      const get = ops.get;
      // The dashboard (`/`) answers 503 until it is built; the live feed is a stream.
      if (!get || path.includes('{') || path.includes('*') || path === '/' || path === '/api/v1/live') continue;
      if ((get.parameters ?? []).some((p) => p.required)) continue;
      const res = await fetch(`${t.url}${path}`, { headers: t.auth });
      expect(res.status, `${path}: ${(await res.text()).slice(0, 200)}`).toBeLessThan(400);
    }
  });
});
