import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../harness/app.js';
import { readEvents } from '../harness/sse.js';

/**
 * `GET /api/v1/live` refuses what it cannot serve before opening a stream — a JSON error body, not
 * an event stream — and shrugs off a `Last-Event-ID` it did not issue. One app for the file.
 */

interface ErrorBody {
  error: { code: string; message: string; details?: { issues?: { field: string; message: string }[] }; request_id: string; docs: string };
}

describe('GET /api/v1/live (errors)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { LIVE_INTERVAL_MS: '200' });
  });
  afterAll(() => t?.stop());

  const refused = async (query: string, init: RequestInit = {}) => {
    const res = await fetch(`${t.url}/api/v1/live${query}`, {
      ...init,
      headers: { ...t.auth, ...(init.headers as Record<string, string>) },
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    return { status: res.status, contentType: res.headers.get('content-type'), body: (text ? JSON.parse(text) : null) as ErrorBody };
  };

  it('refuses a time zone that is not IANA with 422 VALIDATION_FAILED naming tz, as JSON instead of a stream', async () => {
    for (const tz of ['Mars/Olympus_Mons', 'Asia/Mumbai', 'UTC+5:30', '+05:30', 'GMT+5', '', '../../etc/localtime']) {
      const res = await refused(`?tz=${encodeURIComponent(tz)}`);
      expect(res.status, tz).toBe(422);
      expect(res.contentType, tz).toMatch(/^application\/json/);
      expect(res.body.error, tz).toEqual({
        code: 'VALIDATION_FAILED',
        message: expect.stringMatching(/^tz: .*IANA/),
        details: { issues: expect.arrayContaining([{ field: 'tz', message: expect.stringContaining('IANA') }]) },
        request_id: expect.any(String),
        docs: '/docs/errors#validation_failed',
      });
    }
  });

  it('refuses an over-long time zone and one given twice, naming tz', async () => {
    const long = await refused(`?tz=${'A'.repeat(65)}`);
    expect(long.status).toBe(422);
    expect(long.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { issues: expect.arrayContaining([expect.objectContaining({ field: 'tz' })]) },
    });
    const twice = await refused('?tz=UTC&tz=Asia/Kolkata');
    expect(twice.status).toBe(422);
    expect(twice.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [expect.objectContaining({ field: 'tz' })] } });
  });

  it('answers a Last-Event-ID it never issued with the current snapshot and a fresh id; the header cannot inject events', async () => {
    for (const lastId of ['garbage', '-1', 'x'.repeat(4000), 'id: 1', 'data: {"injected":true}', 'event: snapshot']) {
      const res = await fetch(`${t.url}/api/v1/live`, { headers: { ...t.auth, 'last-event-id': lastId } });
      expect(res.status, lastId.slice(0, 20)).toBe(200);
      const { events, comments } = await readEvents(res, 1);
      expect(events, lastId.slice(0, 20)).toHaveLength(1);
      expect(events[0]?.event).toBe('snapshot');
      expect(events[0]?.id).toMatch(/^[a-z0-9]+-\d+$/);
      expect(JSON.parse(events[0]?.data ?? '{}')).toMatchObject({ tz: 'UTC', counts: { payment_count: 0 } });
      expect(comments).toContain(`resuming after ${lastId}; a full snapshot follows`);
    }
  });

  it('has no HEAD or other methods: 405 METHOD_NOT_ALLOWED (allow: GET) at once instead of a stream that never ends', async () => {
    for (const method of ['HEAD', 'POST', 'PUT', 'DELETE']) {
      const res = await fetch(`${t.url}/api/v1/live`, { method, headers: t.auth, signal: AbortSignal.timeout(5000) });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow'), method).toBe('GET');
      if (method !== 'HEAD') expect(((await res.json()) as ErrorBody).error.code).toBe('METHOD_NOT_ALLOWED');
      else await res.body?.cancel();
    }
  });
});
