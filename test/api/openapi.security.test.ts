import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRETS, type TestApp, startTestApp } from '../harness/app.js';

/**
 * `/docs` and `/docs/openapi.json` are public: they describe the API, never its data or its
 * secrets. And what they say about access is what the server enforces — every operation documented
 * as needing a key refuses a caller without one, and the public ones are exactly the known few.
 * One app for the file.
 */

interface Operation {
  'x-payscope-access': 'public' | 'authenticated' | string[];
  security: unknown[];
  responses: Record<string, unknown>;
}
type Doc = { paths: Record<string, Record<string, Operation>> };

/** Every operation that needs no key: a new one must be added here on purpose (`/assets/*` exists only once the dashboard is built). */
const PUBLIC = [
  'delete /api/v1/session',
  'get /api/v1/payments/stats',
  'get /api/v1/schemas',
  'get /api/v1/schemas/{type}',
  'get /health',
  'get /metrics',
  'post /api/v1/payments/webhook',
  'post /api/v1/payments/webhook/{channel}',
];

const PATH_PARAMS: Record<string, string> = { channel: 'razorpay', type: 'payment.recorded' };

describe('OpenAPI document (security)', () => {
  let t: TestApp;
  let ingest: string;
  let doc: Doc;
  let text: string;
  beforeAll(async () => {
    t = await startTestApp('pglite');
    ingest = await t.createKey(['ingest']);
    // A session secret exists once someone has signed in.
    await fetch(`${t.url}/api/v1/session`, { method: 'POST', headers: t.auth });
    const res = await fetch(`${t.url}/docs/openapi.json`);
    text = await res.text();
    doc = JSON.parse(text) as Doc;
  });
  afterAll(() => t?.stop());

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method, path, op })));

  it('serves the page and the document without a key, and ignores a bad one', async () => {
    for (const path of ['/docs', '/docs/openapi.json']) {
      for (const headers of [{}, { authorization: 'Bearer not-a-key' }, { 'x-api-key': `psk_${'O'.repeat(43)}` }] as Record<
        string,
        string
      >[]) {
        expect((await fetch(`${t.url}${path}`, { headers })).status, path).toBe(200);
      }
    }
  });

  it('holds no secret: no webhook secret, API key, session secret, PII hash key or server path', async () => {
    const { rows } = await t.app.store.query<{ value: string }>(`SELECT value FROM payment_service.meta WHERE key = 'session_secret'`);
    const secrets = [
      ...Object.values(TEST_SECRETS),
      t.adminKey,
      ingest,
      t.adminKey.slice(0, 12),
      rows[0]?.value as string,
      readFileSync(join(t.dataDir, 'pii-hash-key'), 'utf8').trim(),
      t.dataDir,
      process.cwd(),
    ];
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(8);
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/psk_[A-Za-z0-9_-]{8,}|whsec_[A-Za-z0-9+/=]{8,}|postgres(ql)?:\/\/|redis:\/\/|node_modules|\/tmp\//);
    const page = await (await fetch(`${t.url}/docs`)).text();
    for (const secret of secrets) expect(page).not.toContain(secret);
  });

  it('lists exactly the known public operations as public', () => {
    const open = operations()
      .filter(({ op }) => op['x-payscope-access'] === 'public')
      .map(({ method, path }) => `${method} ${path}`)
      .sort();
    expect(open).toEqual([...PUBLIC].sort());
    for (const { op } of operations()) {
      if (op['x-payscope-access'] === 'public') expect(op.security).toEqual([]);
      else expect(op.responses).toHaveProperty('401');
    }
  });

  it('enforces what it documents: no key is 401, and a key without a documented role is 403 naming the documented roles', async () => {
    for (const { method, path, op } of operations()) {
      const access = op['x-payscope-access'];
      if (access === 'public') continue;
      const url = `${t.url}${path.replace(/\{(\w+)\}/g, (_m, name: string) => PATH_PARAMS[name] ?? 'x')}`;
      const name = `${method.toUpperCase()} ${path}`;
      const anonymous = await fetch(url, { method, signal: AbortSignal.timeout(5000) });
      expect(anonymous.status, name).toBe(401);
      expect(((await anonymous.json()) as { error: { code: string } }).error.code, name).toBe('API_KEY_MISSING');
      if (access === 'authenticated' || access.includes('ingest')) continue;
      const wrongRole = await fetch(url, { method, headers: { authorization: `Bearer ${ingest}` }, signal: AbortSignal.timeout(5000) });
      expect(wrongRole.status, name).toBe(403);
      expect(((await wrongRole.json()) as { error: { details: unknown } }).error.details, name).toEqual({
        required: access,
        roles: ['ingest'],
      });
    }
  });

  it('renders the page with nothing from another origin and a restrictive content security policy', async () => {
    const res = await fetch(`${t.url}/docs`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/https?:|\*/);
    const page = await res.text();
    expect(page).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=["']?(https?:)?\/\//i);
    // Everything the document says is escaped before it becomes HTML.
    expect(page).toContain('const esc=');
  });
});
