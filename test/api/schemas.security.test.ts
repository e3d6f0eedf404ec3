import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRETS, type TestApp, startTestApp } from '../harness/app.js';
import { rawGet } from '../harness/dashboard.js';

/**
 * The data contract is public (producers need it without a key), so it must describe shapes only:
 * no data, no secrets, no server paths; a type name is never a file path, and what a caller sends
 * comes back only inside a JSON error. One app for the file.
 */

describe('GET /api/v1/schemas (security)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite');
  });
  afterAll(() => t?.stop());

  it('needs no key and ignores a bad one', async () => {
    for (const headers of [{}, { authorization: 'Bearer not-a-key' }, { cookie: 'payscope_session=forged' }] as Record<string, string>[]) {
      for (const path of ['/api/v1/schemas', '/api/v1/schemas/payment.recorded']) {
        expect((await fetch(`${t.url}${path}`, { headers })).status, path).toBe(200);
      }
    }
  });

  it('never reads a file for a type name: traversal forms are the JSON 404', async () => {
    for (const path of [
      '/api/v1/schemas/..%2F..%2F..%2Fpackage.json',
      '/api/v1/schemas/%2e%2e%2f%2e%2e%2fpackage.json',
      '/api/v1/schemas/..%5c..%5cpackage.json',
      '/api/v1/schemas/%2Fetc%2Fpasswd',
      '/api/v1/schemas/payment.recorded%00.json',
      '/api/v1/schemas/../../package.json',
      '/api/v1/schemas/%c0%ae%c0%ae',
    ]) {
      const res = await rawGet(t.url, path);
      expect(res.body, path).not.toMatch(/"dependencies"|root:.*:0:0:/);
      expect(res.status, `${path}: ${res.body.slice(0, 200)}`).toBe(404);
      expect(JSON.parse(res.body), path).toMatchObject({ error: { code: 'NOT_FOUND' } });
    }
  });

  it('echoes a hostile type name only inside a JSON error', async () => {
    const res = await fetch(`${t.url}/api/v1/schemas/${encodeURIComponent('<script>alert(1)</script>')}`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('holds no secret, key or server path in the list or any schema', async () => {
    const list = (await (await fetch(`${t.url}/api/v1/schemas`)).json()) as { schemas: { href: string }[] };
    const texts = [JSON.stringify(list)];
    for (const s of list.schemas) texts.push(await (await fetch(`${t.url}${s.href}`)).text());
    for (const text of texts) {
      for (const secret of [...Object.values(TEST_SECRETS), t.adminKey, t.dataDir, process.cwd()]) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/psk_[A-Za-z0-9_-]{8,}|node_modules|\/tmp\/|file:\/\//);
    }
  });

  it('marks the personal fields producers send, so they know what is pseudonymised', async () => {
    const list = (await (await fetch(`${t.url}/api/v1/schemas`)).json()) as { schemas: { type: string; pii_fields: string[] }[] };
    const recorded = list.schemas.find((s) => s.type === 'payment.recorded');
    expect(recorded?.pii_fields).toEqual(expect.arrayContaining(['payment.loan_account_number', 'payment.cif']));
  });
});
