import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../harness/app.js';

/**
 * `GET /api/v1/schemas/:type[?version=N]` with what the data contract does not have: 404 naming
 * what exists, 422 for a version that is not one — the standard body, never a server error, also
 * for type names that are JavaScript object keys. One app for the file.
 */

interface ErrorBody {
  error: {
    code: string;
    message: string;
    details?: { issues?: { field: string; message: string }[] };
    request_id: string;
    docs: string;
  };
}

describe('GET /api/v1/schemas (errors)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite');
  });
  afterAll(() => t?.stop());

  const get = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${t.url}${path}`, init);
    return { status: res.status, body: (await res.json()) as ErrorBody };
  };
  const expectStandard = (body: ErrorBody, code: string) =>
    expect(body.error).toMatchObject({
      code,
      message: expect.any(String),
      request_id: expect.any(String),
      docs: `/docs/errors#${code.toLowerCase()}`,
    });

  it('answers a type that is not in the contract with 404 NOT_FOUND pointing at the list, also for object keys', async () => {
    for (const type of [
      'payment.exploded',
      'constructor',
      '__proto__',
      'toString',
      'hasOwnProperty',
      'prototype',
      'PAYMENT.RECORDED',
      'payment.recorded.v1',
    ]) {
      const res = await get(`/api/v1/schemas/${encodeURIComponent(type)}`);
      expect(res.status, type).toBe(404);
      expectStandard(res.body, 'NOT_FOUND');
      expect(res.body.error.message, type).toBe(
        `no event type '${type}' in the data contract; GET /api/v1/schemas lists the published types`,
      );
    }
  });

  it('answers a version that is not a positive integer with 422 VALIDATION_FAILED naming version', async () => {
    for (const version of ['0', '-1', '1.5', '1e2', 'latest', ' 1', '01', '1234567', '0x1', '']) {
      const res = await get(`/api/v1/schemas/payment.recorded?version=${encodeURIComponent(version)}`);
      expect(res.status, version).toBe(422);
      expectStandard(res.body, 'VALIDATION_FAILED');
      expect(res.body.error.message, version).toBe(`version: '${version}' is not a version; send a positive integer such as 1`);
      expect(res.body.error.details).toEqual({ issues: [{ field: 'version', message: 'must be a positive integer' }] });
    }
    const twice = await get('/api/v1/schemas/payment.recorded?version=1&version=1');
    expect(twice.status).toBe(422);
    expect(twice.body.error.details?.issues?.[0]?.field).toBe('version');
  });

  it('answers a version that is not published with 404 listing the published ones', async () => {
    for (const version of ['2', '999999']) {
      const res = await get(`/api/v1/schemas/payment.refunded?version=${version}`);
      expect(res.status, version).toBe(404);
      expect(res.body.error).toMatchObject({
        code: 'NOT_FOUND',
        message: `payment.refunded has no version ${version}; published versions: 1`,
      });
    }
  });

  it('answers other methods with 405 METHOD_NOT_ALLOWED and a type name too long for a route with the JSON 404', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      for (const path of ['/api/v1/schemas', '/api/v1/schemas/payment.recorded']) {
        const res = await get(path, { method });
        expect(res.status, `${method} ${path}`).toBe(405);
        expectStandard(res.body, 'METHOD_NOT_ALLOWED');
      }
    }
    const long = await get(`/api/v1/schemas/${'x'.repeat(500)}`);
    expect(long.status).toBe(404);
    expectStandard(long.body, 'NOT_FOUND');
  });
});
