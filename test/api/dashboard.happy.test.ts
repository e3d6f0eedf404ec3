import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_CSS, DASHBOARD_INDEX, DASHBOARD_JS, useDashboardApp } from '../harness/dashboard.js';

/**
 * The dashboard at `/`: `index.html` (never cached) for `/` and every client route, hashed assets
 * with a year-long immutable cache. Open to everyone: it holds no data, the API behind it needs a
 * key. One app for the file, serving a stand-in build.
 */

describe('dashboard (happy)', () => {
  const app = useDashboardApp();

  it('serves index.html at / without a key, never cached and not sniffable', async () => {
    const res = await fetch(`${app.t.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe(DASHBOARD_INDEX);
  });

  it('serves index.html for every client route, with or without a query or fragment', async () => {
    for (const path of [
      '/payments',
      '/settlement',
      '/data-quality',
      '/payments/pay_123',
      '/overview?tz=Asia/Kolkata',
      '/assets',
      '/docsearch',
    ]) {
      const res = await fetch(`${app.t.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toBe(DASHBOARD_INDEX);
    }
  });

  it('serves the hashed assets with their type and a year-long immutable cache', async () => {
    for (const [path, body, type] of [
      [app.dashboard.js, DASHBOARD_JS, /^(text|application)\/javascript/],
      [app.dashboard.css, DASHBOARD_CSS, /^text\/css/],
    ] as const) {
      const res = await fetch(`${app.t.url}/${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(type);
      expect(res.headers.get('cache-control'), path).toBe('public, max-age=31536000, immutable');
      expect(await res.text()).toBe(body);
    }
  });

  it('picks up a rebuilt index.html without a restart', async () => {
    const rebuilt = DASHBOARD_INDEX.replace('<title>Payscope</title>', '<title>Payscope (rebuilt)</title>');
    writeFileSync(join(app.dashboard.dir, 'index.html'), rebuilt);
    try {
      expect(await (await fetch(`${app.t.url}/`)).text()).toBe(rebuilt);
    } finally {
      writeFileSync(join(app.dashboard.dir, 'index.html'), DASHBOARD_INDEX);
    }
  });

  it('leaves the API, monitoring and docs paths to their routes', async () => {
    expect((await fetch(`${app.t.url}/health`)).headers.get('content-type')).toMatch(/^application\/json/);
    expect((await fetch(`${app.t.url}/docs/openapi.json`)).headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await (await fetch(`${app.t.url}/api/v1/fx-rates`)).json()) as { error: { code: string } }).error.code).toBe(
      'API_KEY_MISSING',
    );
  });
});
