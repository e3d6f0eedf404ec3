import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../harness/app.js';
import { captureEvent, outboxRows, postEvents } from '../harness/event-capture.js';

// No authentication yet (API keys arrive with issue 4): what protects the route today is that it
// exists only in processes with the `ingest` role, and that the contract's closed objects refuse
// anything it does not describe.
describe('POST /api/v1/events (security)', () => {
  let ingest: TestApp;
  let apiOnly: TestApp;
  beforeAll(async () => {
    [ingest, apiOnly] = await Promise.all([startTestApp('pglite'), startTestApp('pglite', {}, { roles: ['api'] })]);
  });
  afterAll(() => Promise.all([ingest?.stop(), apiOnly?.stop()]));

  it('is not served by a process without the ingest role', async () => {
    const res = await postEvents(apiOnly.url, [captureEvent('order.placed')]);
    expect(res.status).toBe(404);
    expect(res.body.error?.code).toBe('NOT_FOUND');
  });

  it('never lets __proto__ or constructor keys reach the outbox or a prototype', async () => {
    const inData = (key: string) =>
      JSON.stringify(captureEvent('order.placed')).replace('"data":{', `"data":{"${key}":{"prototype":{"polluted":"yes"}},`);
    const inEnvelope = JSON.stringify(captureEvent('order.placed')).replace(/^\{/, '{"__proto__":{"polluted":"yes"},');
    const res = await postEvents(ingest.url, `[${inData('__proto__')},${inData('constructor')},${inEnvelope}]`);
    expect(res.status).toBe(200);
    // data is a closed object: both refused.
    expect(res.body.results?.slice(0, 2).map((r) => r.error?.code)).toEqual(['VALIDATION_FAILED', 'VALIDATION_FAILED']);
    // On the envelope the contract drops the key (JSON.parse made it an own property; the schema
    // does not copy it): whether accepted or refused, it is never stored.
    const ids = res.body.results?.map((r) => r.id ?? '') ?? [];
    for (const row of await outboxRows(ingest.app.store, ids)) expect(JSON.stringify(row.payload)).not.toContain('polluted');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).prototype).toBeUndefined();
  });

  it('never echoes a rejected event’s personal values in its error', async () => {
    const event = captureEvent('user.registered');
    event.data.email = 'asha@example.com';
    event.data.phone = 12345; // wrong type: rejected
    const res = await postEvents(ingest.url, [event]);
    expect(res.body.results?.[0]?.status).toBe('rejected');
    expect(JSON.stringify(res.body)).not.toContain('asha@example.com');
    expect(JSON.stringify(res.body)).not.toContain('12345');
  });
});
