import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../harness/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp('pglite');
});
afterAll(() => t?.stop());

const post = async (body: string) => {
  const res = await fetch(`${t.url}/api/v1/keys`, { method: 'POST', headers: { ...t.auth, 'content-type': 'application/json' }, body });
  return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
};

it('refuses a key without a name, without roles, with an unknown role or an unknown field, and stores none of them', async () => {
  const before = (await (await fetch(`${t.url}/api/v1/keys`, { headers: t.auth })).json()) as { items: unknown[] };
  for (const [body, message] of [
    ['{"roles":["analyst"]}', /^name: /],
    ['{"name":"x","roles":[]}', /^roles: /],
    ['{"name":"x","roles":["root"]}', /^roles\.0: /],
    ['{"name":"  ","roles":["admin"]}', /^name: /],
    ['{"name":"x","roles":["admin"],"key":"psk_mine"}', /key/],
  ] as const) {
    const res = await post(body);
    expect(res.status, body).toBe(422);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.message, body).toMatch(message);
  }
  const after = (await (await fetch(`${t.url}/api/v1/keys`, { headers: t.auth })).json()) as { items: unknown[] };
  expect(after.items).toHaveLength(before.items.length);
});

it('answers 404 for an unknown key id and 422 for an id that is not a number', async () => {
  const missing = await fetch(`${t.url}/api/v1/keys/999999`, { method: 'DELETE', headers: t.auth });
  expect(missing.status).toBe(404);
  expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  const bad = await fetch(`${t.url}/api/v1/keys/abc`, { method: 'DELETE', headers: t.auth });
  expect(bad.status).toBe(422);
  expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/^id: /);
});
