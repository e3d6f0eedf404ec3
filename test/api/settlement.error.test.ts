import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../harness/app.js';

/** Invalid settlement-tile queries: the standard 422 body naming the field. One app for the file. */

interface ErrorBody {
  error: { code: string; message: string; details?: { issues?: { field: string; message: string }[] }; request_id: string; docs: string };
}

describe('settlement tiles (errors)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite');
  });
  afterAll(() => t?.stop());

  const tiles = async (query: string) => {
    const res = await fetch(`${t.url}/api/v1/settlement/tiles?${query}`, { headers: t.auth });
    return { status: res.status, body: (await res.json()) as ErrorBody };
  };

  it('rejects an unknown time zone with VALIDATION_FAILED naming tz, in the standard error body', async () => {
    for (const tz of ['Mars/Olympus_Mons', 'Asia/Mumbai', 'UTC+5:30', '+05:30', '']) {
      const res = await tiles(`tz=${encodeURIComponent(tz)}&from=2026-11-01&to=2026-11-02`);
      expect(res.status, tz).toBe(422);
      expect(res.body.error, tz).toMatchObject({
        code: 'VALIDATION_FAILED',
        message: expect.stringMatching(/^tz: .*(is not a time zone this server knows|is not an IANA zone name|1–64 characters)/),
        details: { issues: [{ field: 'tz' }] },
        request_id: expect.any(String),
        docs: '/docs/errors#validation_failed',
      });
    }
  });

  it('rejects from after to, and from equal to to', async () => {
    const later = await tiles('from=2026-11-10&to=2026-11-01&tz=Asia/Kolkata');
    expect(later.status).toBe(422);
    expect(later.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { issues: [{ field: 'from', message: 'must be before to' }] },
    });
    expect(later.body.error.message).toMatch(/^from \(.*\) must be before to \(.*\)$/);
    const same = await tiles('from=2026-11-10T10:00:00Z&to=2026-11-10T10:00:00Z');
    expect(same).toMatchObject({ status: 422, body: { error: { code: 'VALIDATION_FAILED' } } });
  });

  it('rejects a malformed time and a time without offset', async () => {
    for (const from of ['yesterday', '2026-13-01', '2026-11-01T10:00:00']) {
      const res = await tiles(`from=${encodeURIComponent(from)}`);
      expect(res.status, from).toBe(422);
      expect(res.body.error.message, from).toMatch(/^from: expected an RFC 3339 time/);
    }
  });

  it('rejects an unknown report currency and an over-long filter list', async () => {
    expect((await tiles('report_currency=XYZ')).body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/^report_currency:/),
    });
    expect((await tiles(`merchant=${'M,'.repeat(1001)}`)).body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/^merchant:/),
    });
  });

  it('refuses more than 744 hours in the hourly trend with TOO_MANY_POINTS', async () => {
    const res = await tiles('from=2026-01-01&to=2026-03-01');
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'TOO_MANY_POINTS', details: { max_points: 744 } });
    expect((await tiles('from=2026-11-01&to=2026-11-30&tz=Asia/Kolkata')).status).toBe(200);
  });
});
