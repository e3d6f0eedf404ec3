import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectJsonNotFound, expectMethodNotAllowed, rawGet, useDashboardApp } from '../harness/dashboard.js';

/**
 * What the dashboard does not have: a missing file is the standard JSON 404, never index.html
 * (a script tag pointing at a missing bundle must fail loudly, not parse HTML as JavaScript), and
 * a server path never falls back to the app. One app for the file.
 */

describe('dashboard (errors)', () => {
  const app = useDashboardApp();

  const expectNotFound = (path: string, method = 'GET') => expectJsonNotFound(app.t.url, path, method);

  it('answers a missing asset or file with the JSON 404, not index.html', async () => {
    for (const path of [
      '/assets/app-000000.js',
      '/assets/missing/deep/file.css',
      '/favicon.ico',
      '/robots.txt',
      '/index.js',
      '/secret.txt',
    ]) {
      await expectNotFound(path);
    }
  });

  it('answers a directory under /assets/ with the JSON 404, not a listing or a server error', async () => {
    for (const path of ['/assets/', '/assets/missing/']) await expectNotFound(path);
  });

  it('never answers an unknown API, monitoring or docs path with the app', async () => {
    for (const path of [
      '/api',
      '/api/v1/nothing',
      '/api/v2/analytics/kpis',
      '/health/deep',
      '/metrics/x',
      '/docs/',
      '/docs/missing',
      '/openapi',
    ]) {
      await expectNotFound(path);
    }
  });

  it('has only GET (and HEAD): other methods on / are 405 with allow, on client routes the JSON 404', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      await expectMethodNotAllowed(app.t.url, '/', method, 'GET, HEAD');
      await expectNotFound('/payments', method);
    }
    const head = await rawGet(app.t.url, '/', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('says how to build the dashboard, with 503, while index.html is missing', async () => {
    const index = join(app.dashboard.dir, 'index.html');
    renameSync(index, `${index}.aside`);
    try {
      for (const path of ['/', '/payments']) {
        const res = await fetch(`${app.t.url}${path}`);
        expect(res.status, path).toBe(503);
        expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(await res.text()).toContain('Run <code>npm run build</code>');
      }
    } finally {
      renameSync(`${index}.aside`, index);
    }
    expect((await fetch(`${app.t.url}/`)).status).toBe(200);
  });
});
