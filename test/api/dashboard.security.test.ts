import { describe, expect, it } from 'vitest';
import { OUTSIDE_SECRET, useDashboardApp, rawGet } from '../harness/dashboard.js';

/**
 * The dashboard's static files cannot be used to read anything else: every path-traversal form —
 * plain, percent-encoded, double-encoded, backslashes, NUL bytes, overlong UTF-8 — and dot files
 * are the standard JSON 404, never a file outside `assets/`, never a server error. One app for the
 * file; files with a marker sit next to and above the dashboard directory.
 */

const TRAVERSALS = [
  '/assets/../secret.txt',
  '/assets/../../secret.txt',
  '/assets/../../../package.json',
  '/assets/../../../../../../../../etc/passwd',
  '/assets/..%2fsecret.txt',
  '/assets/..%2f..%2fsecret.txt',
  '/assets/..%2F..%2F..%2Fpackage.json',
  '/assets/%2e%2e/secret.txt',
  '/assets/%2e%2e/%2e%2e/secret.txt',
  '/assets/%2E%2E%2F%2E%2E%2F%2E%2E%2Fpackage.json',
  '/assets/.%2e/.%2e/secret.txt',
  '/assets/%252e%252e/%252e%252e/secret.txt',
  '/assets/%252e%252e%252f%252e%252e%252fsecret.txt',
  '/assets/..%5csecret.txt',
  '/assets/..%5c..%5c..%5cpackage.json',
  '/assets/..\\..\\secret.txt',
  '/assets/%c0%ae%c0%ae/%c0%ae%c0%ae/secret.txt',
  '/assets/....//....//secret.txt',
  '/assets/..;/..;/secret.txt',
  '/assets/%2fetc%2fpasswd',
  '/assets//etc/passwd',
  '/assets/..',
  '/assets/%2e%2e',
  '/assets/%00',
  '/assets/app-3f1c9a.js%00.html',
  '/assets/.env',
  '/assets/%2eenv',
  '/..%2fsecret.txt',
  '/..%2f..%2fpackage.json',
  '/%2e%2e/%2e%2e/package.json',
  '/../../package.json',
  '/secret.txt',
];

/** No extension: client routes as far as the dashboard knows, so the app (index.html) — never a file. */
const CLIENT_LOOKING = ['//etc/passwd', '/..%2f..%2fetc%2fpasswd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/../../../etc/passwd'];

describe('dashboard (security)', () => {
  const app = useDashboardApp();

  it('answers every path-traversal attempt with the JSON 404 and no file content', async () => {
    for (const path of TRAVERSALS) {
      const res = await rawGet(app.t.url, path);
      expect(res.body, path).not.toContain(OUTSIDE_SECRET);
      expect(res.body, path).not.toMatch(/root:.*:0:0:/);
      expect(res.status, `${path}: ${res.body.slice(0, 200)}`).toBe(404);
      expect(JSON.parse(res.body), path).toMatchObject({ error: { code: 'NOT_FOUND', docs: '/docs/errors#not_found' } });
    }
  });

  it('answers traversal attempts without an extension with the app at most, never a file', async () => {
    for (const path of CLIENT_LOOKING) {
      const res = await rawGet(app.t.url, path);
      expect(res.body, path).not.toContain(OUTSIDE_SECRET);
      expect(res.body, path).not.toMatch(/root:.*:0:0:/);
      expect([200, 404], path).toContain(res.status);
      if (res.status === 200) expect(res.body, path).toContain('<div id="root">');
    }
  });

  it('still serves the real asset next to those attempts (the 404s are not a broken route)', async () => {
    const res = await rawGet(app.t.url, `/${app.dashboard.js}`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('payscope dashboard');
  });

  it('leaks no stack trace or server path in a refusal', async () => {
    for (const path of TRAVERSALS) {
      const res = await rawGet(app.t.url, path);
      expect(res.body, path).not.toMatch(/\bat \S+ \(|node_modules|Error:|stack/);
      expect(res.body, path).not.toContain(app.dashboard.dir);
    }
  });

  it('needs no key, and ignores one: the dashboard holds no data', async () => {
    for (const headers of [{}, { authorization: 'Bearer not-a-key' }, { cookie: 'payscope_session=forged' }] as Record<string, string>[]) {
      const res = await rawGet(app.t.url, '/', 'GET', headers);
      expect(res.status).toBe(200);
      expect(res.body).not.toContain('psk_');
    }
  });
});
