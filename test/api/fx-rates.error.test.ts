import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../harness/app.js';

/**
 * A bad FX-rate upload is refused whole: the standard error body with a stable code, a message
 * naming the first bad line and what is wrong with it, every bad line in `details.rows`, and the
 * stored rates exactly as before. One app for the file.
 */

interface ErrorBody {
  error: {
    code: string;
    message: string;
    details?: { rows?: { line: number; message: string }[] };
    request_id: string;
    docs: string;
  };
}

const HEADER = 'date,base,quote,rate';
const KEEP = `${HEADER}\n2026-11-01,USD,INR,83.25\n2026-11-01,EUR,INR,90.5\n`;
const KEPT = [
  { date: '2026-11-01', base: 'EUR', quote: 'INR', rate: '90.5' },
  { date: '2026-11-01', base: 'USD', quote: 'INR', rate: '83.25' },
];

describe('FX rates (errors)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite');
    expect((await put(KEEP)).status).toBe(200);
  });
  afterAll(() => t?.stop());

  const put = async (body: string, contentType: string | null = 'text/csv') => {
    const res = await fetch(`${t.url}/api/v1/fx-rates`, {
      method: 'PUT',
      headers: { ...t.auth, ...(contentType === null ? {} : { 'content-type': contentType }) },
      // fetch labels a string body text/plain; bytes go without a content type.
      body: contentType === null ? new TextEncoder().encode(body) : body,
    });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text) as ErrorBody & { loaded?: number }, text };
  };
  const list = async () => ((await (await fetch(`${t.url}/api/v1/fx-rates`, { headers: t.auth })).json()) as { items: unknown[] }).items;
  const expectStandard = (body: ErrorBody, code: string) => {
    expect(body.error).toMatchObject({
      code,
      message: expect.any(String),
      request_id: expect.any(String),
      docs: `/docs/errors#${code.toLowerCase()}`,
    });
  };

  it('refuses each kind of bad row with VALIDATION_FAILED naming its line and what is wrong, storing none of the file', async () => {
    const bad: [string, string][] = [
      ['2026-11-31,USD,INR,83', "date '2026-11-31' is not YYYY-MM-DD"],
      ['2026-02-30,USD,INR,83', "date '2026-02-30' is not YYYY-MM-DD"],
      ['0000-01-01,USD,INR,83', "date '0000-01-01' is not YYYY-MM-DD"],
      ['07/11/2026,USD,INR,83', "date '07/11/2026' is not YYYY-MM-DD"],
      ['2026-11-07T00:00:00Z,USD,INR,83', "date '2026-11-07T00:00:00Z' is not YYYY-MM-DD"],
      ['2026-11-07,XYZ,INR,83', "base 'XYZ' is not an ISO 4217 currency"],
      ['2026-11-07,USD,RUPEE,83', "quote 'RUPEE' is not an ISO 4217 currency"],
      ['2026-11-07,usd,USD,1', 'base and quote are the same currency'],
      [
        '2026-11-07,USD,INR,0',
        "rate '0' is not a positive decimal whose digits, without the point, are at most 9007199254740991 (15–16 significant digits)",
      ],
      ['2026-11-07,USD,INR,0.000', "rate '0.000' is not a positive decimal"],
      ['2026-11-07,USD,INR,-83', "rate '-83' is not a positive decimal"],
      ['2026-11-07,USD,INR,1e3', "rate '1e3' is not a positive decimal"],
      ['2026-11-07,USD,INR,83.', "rate '83.' is not a positive decimal"],
      ['2026-11-07,USD,INR,NaN', "rate 'NaN' is not a positive decimal"],
      ['2026-11-07,USD,INR,12345678901234567', "rate '12345678901234567' is not a positive decimal"],
      ['2026-11-07,USD,INR', "rate '' is not a positive decimal"],
      ['2026-11-07,USD,INR,83,25', 'expected 4 fields'],
      ['2026-11-02,USD,INR,84', '2026-11-02 USD/INR is already on line 2'],
    ];
    for (const [line, message] of bad) {
      // A good row first (it would replace a stored one), so the bad one is line 3.
      const res = await put(`${HEADER}\n2026-11-02,usd,inr,84\n${line}\n2026-11-01,USD,INR,99\n`);
      expect(res.status, line).toBe(422);
      expectStandard(res.body, 'VALIDATION_FAILED');
      expect(res.body.error.message, line).toMatch(new RegExp(`^1 bad row\\(s\\); first: line 3: ${escapeRegExp(message)}`));
      expect(res.body.error.details?.rows, line).toEqual([{ line: 3, message: expect.stringContaining(message) }]);
    }
    expect(await list()).toEqual(KEPT);
  });

  it('lists every bad row (the first 100) with its line, and counts them all in the message', async () => {
    const lines = Array.from({ length: 150 }, (_, i) => `2026-12-${String((i % 28) + 1).padStart(2, '0')},USD,ZZZ,${i + 1}`);
    const res = await put(`${HEADER}\n2026-12-01,USD,INR,80\n${lines.join('\n')}`);
    expect(res.status).toBe(422);
    expect(res.body.error.message).toBe("150 bad row(s); first: line 3: quote 'ZZZ' is not an ISO 4217 currency");
    const rows = res.body.error.details?.rows ?? [];
    expect(rows).toHaveLength(100);
    expect(rows.map((r) => r.line)).toEqual(Array.from({ length: 100 }, (_, i) => i + 3));
    expect(await list()).toEqual(KEPT);
  });

  it('refuses a file without the header, and a header without rows', async () => {
    for (const body of ['2026-11-07,USD,INR,83\n', 'day,from,to,rate\n2026-11-07,USD,INR,83\n', 'date;base;quote;rate\n', '', '\n\n']) {
      const res = await put(body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expectStandard(res.body, 'VALIDATION_FAILED');
      expect(res.body.error.message).toBe('the first line must be the header date,base,quote,rate');
    }
    const headerOnly = await put(`${HEADER}\n\n`);
    expect(headerOnly.status).toBe(422);
    expect(headerOnly.body.error).toMatchObject({ code: 'VALIDATION_FAILED', message: 'no rates after the header' });
    expect(await list()).toEqual(KEPT);
  });

  it('refuses a body that is not CSV: JSON with VALIDATION_FAILED, no or another content type with UNSUPPORTED_MEDIA_TYPE', async () => {
    const json = await put(JSON.stringify([{ date: '2026-11-07', base: 'USD', quote: 'INR', rate: '83' }]), 'application/json');
    expect(json.status).toBe(422);
    expect(json.body.error).toMatchObject({ code: 'VALIDATION_FAILED', message: 'send text/csv with the header date,base,quote,rate' });
    for (const contentType of [null, 'application/octet-stream', 'text/html']) {
      const res = await put(`${HEADER}\n2026-11-07,USD,INR,83\n`, contentType);
      expect(res.status, String(contentType)).toBe(415);
      expectStandard(res.body, 'UNSUPPORTED_MEDIA_TYPE');
      expect(res.body.error.message, String(contentType)).toContain('send text/csv with the header date,base,quote,rate');
    }
    expect(await list()).toEqual(KEPT);
  });

  it('refuses a CSV over 5 MiB with PAYLOAD_TOO_LARGE, saying to split it', async () => {
    const row = '2026-11-07,USD,INR,83.2512\n';
    const res = await put(HEADER + '\n' + row.repeat(Math.ceil((5 * 1024 * 1024) / row.length) + 1));
    expect(res.status).toBe(413);
    expectStandard(res.body, 'PAYLOAD_TOO_LARGE');
    expect(res.body.error.message).toBe('the CSV is larger than 5242880 bytes; split it into several uploads');
    expect(await list()).toEqual(KEPT);
  });

  it('answers any upload with 200 (all rows stored) or 422 (nothing stored), never a server error (property)', async () => {
    const currency = fc.constantFrom('USD', 'INR', 'EUR', 'JPY', 'usd', 'XYZ', '', 'US D');
    const field = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('2026-02-29', '2028-02-29', '2026-13-01', '1e3', '-1', '0.5'));
    const line = fc.oneof(
      fc
        .record({ d: fc.integer({ min: 1, max: 28 }), b: currency, q: currency, r: fc.integer({ min: 1, max: 10 ** 6 }) })
        .map(({ d, b, q, r }) => `2027-01-${String(d).padStart(2, '0')},${b},${q},${r / 100}`),
      fc.tuple(field, field, field, field).map((f) => f.join(',')),
      fc.string({ unit: 'binary', maxLength: 40 }),
    );
    const upload = fc.oneof(
      fc.array(line, { maxLength: 12 }).map((lines) => [HEADER, ...lines].join('\n')),
      fc.string({ unit: 'binary', maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(upload, async (csv) => {
        const before = await list();
        const res = await put(csv);
        expect([200, 422], res.text).toContain(res.status);
        expect(res.text).not.toMatch(/"INTERNAL"|\bat \S+ \(|node_modules/);
        if (res.status === 422) {
          expect(res.body.error.code).toBe('VALIDATION_FAILED');
          expect(await list()).toEqual(before);
        } else {
          const dataLines = csv.split(/\r?\n/).filter((l) => l.trim().length > 0).length - 1;
          expect(res.body.loaded).toBe(dataLines);
        }
      }),
      { numRuns: 60 },
    );
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
