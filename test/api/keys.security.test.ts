import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../harness/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp('pglite');
});
afterAll(() => t?.stop());

const calls = [
  ['GET', '/api/v1/keys', undefined],
  ['POST', '/api/v1/keys', '{"name":"escalate","roles":["admin"]}'],
  ['DELETE', '/api/v1/keys/1', undefined],
] as const;

it('answers 401 without a key and 403 to every role but admin: no key can mint or revoke keys', async () => {
  for (const [method, path, body] of calls) {
    const anonymous = await fetch(`${t.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body ? { body } : {}),
    });
    expect(anonymous.status, `${method} ${path}`).toBe(401);
  }
  for (const role of ['ingest', 'analyst', 'finance'] as const) {
    const key = await t.createKey([role]);
    for (const [method, path, body] of calls) {
      const res = await fetch(`${t.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body ? { body } : {}),
      });
      expect(res.status, `${role} ${method} ${path}`).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ROLE_FORBIDDEN');
    }
  }
  // Nothing was created or revoked by the refused calls: the admin key (id 1) still works.
  const list = (await (await fetch(`${t.url}/api/v1/keys`, { headers: t.auth })).json()) as {
    items: { name: string; revoked_at: string | null }[];
  };
  expect(list.items.some((k) => k.name === 'escalate')).toBe(false);
  expect(list.items.every((k) => k.revoked_at === null)).toBe(true);
});
