import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../harness/app.js';

/**
 * `PUT /api/v1/fx-rates` (CSV `date,base,quote,rate`) and `GET /api/v1/fx-rates`: every rate is
 * stored exactly as written — an integer and a scale, never a float — and listed back the same.
 * One app for the file; each test uses its own dates so their rows do not meet.
 */

interface Rate {
  date: string;
  base: string;
  quote: string;
  rate: string;
}

const HEADER = 'date,base,quote,rate';
const csvOf = (rows: readonly Rate[]) => [HEADER, ...rows.map((r) => `${r.date},${r.base},${r.quote},${r.rate}`)].join('\n');

describe('FX rates (happy)', () => {
  let t: TestApp;
  let finance: Record<string, string>;
  beforeAll(async () => {
    t = await startTestApp('pglite');
    finance = { authorization: `Bearer ${await t.createKey(['finance'])}` };
  });
  afterAll(() => t?.stop());

  const put = async (csv: string, contentType = 'text/csv') => {
    const res = await fetch(`${t.url}/api/v1/fx-rates`, { method: 'PUT', headers: { ...finance, 'content-type': contentType }, body: csv });
    return { status: res.status, body: (await res.json()) as { loaded?: number; error?: { code: string; message: string } } };
  };
  const list = async (): Promise<Rate[]> => {
    const res = await fetch(`${t.url}/api/v1/fx-rates`, { headers: finance });
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: Rate[] }).items;
  };
  const onDates = async (prefix: string) => (await list()).filter((r) => r.date.startsWith(prefix));

  it('stores each rate exactly as written, trailing zeros and tiny rates included, and lists them by date, base and quote', async () => {
    const rows: Rate[] = [
      { date: '2026-11-07', base: 'USD', quote: 'INR', rate: '83.2512' },
      { date: '2026-11-07', base: 'EUR', quote: 'INR', rate: '90.1' },
      { date: '2026-11-06', base: 'GBP', quote: 'USD', rate: '1.270000' },
      { date: '2026-11-06', base: 'USD', quote: 'JPY', rate: '151' },
      { date: '2026-11-06', base: 'INR', quote: 'KWD', rate: '0.003692' },
      { date: '2026-11-06', base: 'JPY', quote: 'KWD', rate: '0.000000000000000002' },
      { date: '2026-11-06', base: 'KWD', quote: 'JPY', rate: '492.123456789012' },
    ];
    expect(await put(`${csvOf(rows)}\n`)).toEqual({ status: 200, body: { loaded: 7 } });
    const sorted = [...rows].sort((a, b) => `${a.date}${a.base}${a.quote}`.localeCompare(`${b.date}${b.base}${b.quote}`));
    expect(await onDates('2026-11-0')).toEqual(sorted);
  });

  it('accepts lower-case codes, spaces around fields, CRLF line endings, blank lines, a capitalised header and text/plain', async () => {
    const csv = 'Date, Base ,QUOTE,Rate\r\n\r\n2026-10-01, usd , inr ,  83.10 \r\n\r\n2026-10-01,eur,usd,1.0842\r\n';
    expect(await put(csv, 'text/plain; charset=utf-8')).toEqual({ status: 200, body: { loaded: 2 } });
    expect(await onDates('2026-10-01')).toEqual([
      { date: '2026-10-01', base: 'EUR', quote: 'USD', rate: '1.0842' },
      { date: '2026-10-01', base: 'USD', quote: 'INR', rate: '83.10' },
    ]);
  });

  it('accepts a file that starts with a byte-order mark, as spreadsheet exports do', async () => {
    expect(await put('\uFEFFdate,base,quote,rate\n2026-10-03,USD,INR,83.3\n')).toEqual({ status: 200, body: { loaded: 1 } });
    expect(await onDates('2026-10-03')).toEqual([{ date: '2026-10-03', base: 'USD', quote: 'INR', rate: '83.3' }]);
  });

  it('replaces the rate of a date and pair uploaded again, and keeps every other rate', async () => {
    await put(
      csvOf([
        { date: '2026-09-01', base: 'USD', quote: 'INR', rate: '82' },
        { date: '2026-09-02', base: 'USD', quote: 'INR', rate: '82.5' },
      ]),
    );
    expect(await put(csvOf([{ date: '2026-09-01', base: 'USD', quote: 'INR', rate: '82.75' }]))).toEqual({
      status: 200,
      body: { loaded: 1 },
    });
    expect(await onDates('2026-09-0')).toEqual([
      { date: '2026-09-01', base: 'USD', quote: 'INR', rate: '82.75' },
      { date: '2026-09-02', base: 'USD', quote: 'INR', rate: '82.5' },
    ]);
  });

  it('takes a year of daily rates for ten pairs in one upload (far above the webhook body limit)', async () => {
    const pairs = ['USD', 'EUR', 'GBP', 'JPY', 'AED', 'SGD', 'CHF', 'AUD', 'CAD', 'KWD'];
    const rows: Rate[] = [];
    for (let day = 0; day < 365; day++) {
      const date = new Date(Date.UTC(2024, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
      for (const [i, base] of pairs.entries()) rows.push({ date, base, quote: 'INR', rate: `${80 + i}.${String(day).padStart(4, '0')}` });
    }
    const csv = csvOf(rows);
    expect(Buffer.byteLength(csv)).toBeGreaterThan(65_536);
    expect(await put(csv)).toEqual({ status: 200, body: { loaded: 3650 } });
    const stored = await onDates('2024-');
    expect(stored).toHaveLength(3650);
    expect(stored.find((r) => r.date === '2024-12-30' && r.base === 'KWD')).toEqual({
      date: '2024-12-30',
      base: 'KWD',
      quote: 'INR',
      rate: '89.0364',
    });
  });

  it('lists back exactly the rows of any valid upload (property)', async () => {
    const currencies = ['USD', 'INR', 'EUR', 'JPY', 'KWD', 'GBP', 'BHD', 'CLF'];
    // A canonical decimal: no leading zeros, trailing zeros kept (the scale is part of the rate).
    const rate = fc
      .record({ units: fc.bigInt({ min: 1n, max: BigInt(Number.MAX_SAFE_INTEGER) }), scale: fc.integer({ min: 0, max: 18 }) })
      .map(({ units, scale }) => {
        const digits = units.toString().padStart(scale + 1, '0');
        return scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
      });
    const row = fc.record({
      // 2030–2099: dates no other test here uses.
      date: fc.integer({ min: Date.UTC(2030, 0, 1), max: Date.UTC(2099, 11, 31) }).map((ms) => new Date(ms).toISOString().slice(0, 10)),
      base: fc.constantFrom(...currencies),
      quote: fc.constantFrom(...currencies),
      rate,
      lowerCase: fc.boolean(),
    });
    const upload = fc.uniqueArray(
      row.filter((r) => r.base !== r.quote),
      { minLength: 1, maxLength: 15, selector: (r) => `${r.date}|${r.base}|${r.quote}` },
    );
    await fc.assert(
      fc.asyncProperty(upload, async (rows) => {
        const csv = csvOf(rows.map((r) => (r.lowerCase ? { ...r, base: r.base.toLowerCase(), quote: r.quote.toLowerCase() } : r)));
        expect(await put(csv)).toEqual({ status: 200, body: { loaded: rows.length } });
        const stored = new Map((await onDates('20')).map((r) => [`${r.date}|${r.base}|${r.quote}`, r.rate]));
        for (const r of rows) expect(stored.get(`${r.date}|${r.base}|${r.quote}`)).toBe(r.rate);
      }),
      { numRuns: 25 },
    );
  });
});
