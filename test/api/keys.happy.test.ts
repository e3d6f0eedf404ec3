import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../harness/app.js';
import { cliArgs, REPO_ROOT } from '../harness/cli.js';

/** `/api/v1/keys` and `payscope keys` beside a running embedded server (the CLI then goes through the API). */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp('pglite');
});
afterAll(() => t?.stop());

const kpis = (key: string) => fetch(`${t.url}/api/v1/analytics/kpis`, { headers: { authorization: `Bearer ${key}` } });

it('creates a key whose secret is answered once, lists keys without secrets, and revokes it', async () => {
  const created = await fetch(`${t.url}/api/v1/keys`, {
    method: 'POST',
    headers: { ...t.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'reporting job', roles: ['analyst', 'analyst'] }),
  });
  expect(created.status).toBe(201);
  const body = (await created.json()) as { id: number; key: string; roles: string[]; key_prefix: string; revoked_at: null };
  expect(body).toMatchObject({ name: 'reporting job', roles: ['analyst'], revoked_at: null, key: expect.stringMatching(/^psk_/) });
  expect(body.key.startsWith(body.key_prefix)).toBe(true);
  expect((await kpis(body.key)).status).toBe(200);

  const listed = (await (await fetch(`${t.url}/api/v1/keys`, { headers: t.auth })).json()) as { items: Record<string, unknown>[] };
  const row = listed.items.find((k) => k.id === body.id);
  expect(row).toMatchObject({ name: 'reporting job', roles: ['analyst'], key_prefix: body.key_prefix });
  expect(JSON.stringify(listed)).not.toContain(body.key);

  const revoked = await fetch(`${t.url}/api/v1/keys/${body.id}`, { method: 'DELETE', headers: t.auth });
  expect(revoked.status).toBe(200);
  expect(await revoked.json()).toEqual({ id: body.id });
  await expect.poll(async () => (await kpis(body.key)).status, { timeout: 10_000, interval: 250 }).toBe(401);
  const again = await fetch(`${t.url}/api/v1/keys/${body.id}`, { method: 'DELETE', headers: t.auth });
  expect(again.status).toBe(404);
});

it('payscope keys create|list|revoke work while the server holds the embedded store, through its API', async () => {
  const run = async (...args: string[]) =>
    promisify(execFile)(process.execPath, [...(await cliArgs()), 'keys', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATA_DIR: t.dataDir, PORT: new URL(t.url).port, PAYSCOPE_API_KEY: t.adminKey, LOG_LEVEL: 'warn' },
      timeout: 60_000,
    });
  const created = await run('create', '--name', 'cli key', '--roles', 'finance');
  expect(created.stderr).toMatch(/held by a running server: asking it at http:\/\/127\.0\.0\.1:\d+ instead/);
  expect(created.stdout).toMatch(/created key \d+ 'cli key' with role\(s\) finance \(via the server at http/);
  const key = /\n\s+(psk_\S+)\n/.exec(created.stdout)?.[1] as string;
  expect((await fetch(`${t.url}/api/v1/settlement/tiles`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
  const id = /created key (\d+)/.exec(created.stdout)?.[1] as string;

  const listed = await run('list', '--url', t.url);
  expect(listed.stdout).toContain('cli key');
  expect(listed.stdout).not.toContain(key);
  expect((await run('revoke', id, '--url', t.url)).stdout).toContain(`revoked key ${id}`);
  await expect
    .poll(async () => (await fetch(`${t.url}/api/v1/settlement/tiles`, { headers: { authorization: `Bearer ${key}` } })).status, {
      timeout: 10_000,
      interval: 250,
    })
    .toBe(401);
}, 120_000);
