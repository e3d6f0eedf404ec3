/**
 * A stand-in for the built dashboard (`dist/web`): `index.html` and hashed assets in a temp
 * directory, with files *outside* it that a path traversal would reach. Start the app with
 * `DASHBOARD_DIR: dashboard.dir`. `rawGet` sends a path exactly as written — `fetch` would
 * resolve `..` and re-encode before sending.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { type TestApp, startTestApp } from './app.js';

export const DASHBOARD_INDEX = '<!doctype html><html><head><title>Payscope</title></head><body><div id="root"></div></body></html>';
export const DASHBOARD_JS = 'console.log("payscope dashboard")';
export const DASHBOARD_CSS = 'body{margin:0}';
/** Content of files next to and above the dashboard directory: no response may ever contain it. */
export const OUTSIDE_SECRET = 'OUTSIDE-THE-DASHBOARD-3f1c9a';

export interface TestDashboard {
  dir: string;
  /** `assets/app-3f1c9a.js` and `assets/style-77aa01.css`, as Vite names them. */
  js: string;
  css: string;
  remove(): void;
}

export function createTestDashboard(): TestDashboard {
  const root = mkdtempSync(join(tmpdir(), 'payscope-dashboard-'));
  const dir = join(root, 'dist', 'web');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), DASHBOARD_INDEX);
  writeFileSync(join(dir, 'assets', 'app-3f1c9a.js'), DASHBOARD_JS);
  writeFileSync(join(dir, 'assets', 'style-77aa01.css'), DASHBOARD_CSS);
  writeFileSync(join(dir, 'assets', '.env'), `SECRET=${OUTSIDE_SECRET}\n`);
  writeFileSync(join(dir, 'secret.txt'), OUTSIDE_SECRET);
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: OUTSIDE_SECRET }));
  writeFileSync(join(root, 'dist', 'secret.txt'), OUTSIDE_SECRET);
  return { dir, js: 'assets/app-3f1c9a.js', css: 'assets/style-77aa01.css', remove: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * Registers beforeAll/afterAll for a describe block: a stand-in dashboard and an app serving it.
 * Read `.t` and `.dashboard` inside tests (they exist once beforeAll ran).
 */
export function useDashboardApp(): { readonly t: TestApp; readonly dashboard: TestDashboard } {
  const state: { t?: TestApp; dashboard?: TestDashboard } = {};
  beforeAll(async () => {
    state.dashboard = createTestDashboard();
    state.t = await startTestApp('pglite', { DASHBOARD_DIR: state.dashboard.dir });
  });
  afterAll(async () => {
    await state.t?.stop();
    state.dashboard?.remove();
  });
  return {
    get t() {
      return state.t as TestApp;
    },
    get dashboard() {
      return state.dashboard as TestDashboard;
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** GET (or another method) with the request target sent verbatim. */
export function rawGet(baseUrl: string, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends `path` with a method it does not take and expects 405 METHOD_NOT_ALLOWED with an `allow` header. */
export async function expectMethodNotAllowed(baseUrl: string, path: string, method: string, allow: string): Promise<void> {
  const res = await rawGet(baseUrl, path, method);
  expect(res.status, `${method} ${path}`).toBe(405);
  expect(res.headers.allow, `${method} ${path}`).toBe(allow);
  expect(JSON.parse(res.body), path).toMatchObject({
    error: { code: 'METHOD_NOT_ALLOWED', request_id: expect.any(String), docs: '/docs/errors#method_not_allowed' },
  });
}

/** Sends `path` exactly as written and expects the standard JSON 404 naming the route. */
export async function expectJsonNotFound(baseUrl: string, path: string, method = 'GET'): Promise<void> {
  const res = await rawGet(baseUrl, path, method);
  expect(res.status, `${method} ${path}`).toBe(404);
  expect(res.headers['content-type'], path).toMatch(/^application\/json/);
  expect(JSON.parse(res.body), path).toEqual({
    error: {
      code: 'NOT_FOUND',
      message: `no route ${method} ${path.split('?')[0]}`,
      request_id: expect.any(String),
      docs: '/docs/errors#not_found',
    },
  });
}
