import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../core/errors.js';
import { currencyExponent } from '../core/money.js';
import { DEFAULT_PAYMENT_RULES, normalisePayment } from './payment.js';

const options = { source: 'webhook', defaultCurrency: 'INR' } as const;
const base = { reference_number: 'REF-1', amount: '1500.50', payment_date: '2026-11-22T10:15:00Z' };
const normalise = (input: unknown) => normalisePayment(input, options);
/** For tests of date parsing: no limit on dates ahead (MAX_FUTURE_PAYMENT_SKEW is tested on its own). */
const normaliseAnyDate = (input: unknown) =>
  normalisePayment(input, { ...options, rules: { ...DEFAULT_PAYMENT_RULES, maxFutureSkewMs: Number.MAX_SAFE_INTEGER } });
const errorOf = (input: unknown) => {
  const result = normalise(input);
  return result.ok ? null : result.error;
};

describe('normalisePayment: amounts', () => {
  it.each([
    ['INR', '10.123', 2],
    ['JPY', '10.5', 0],
    ['KWD', '1.2345', 3],
  ])('rejects an amount with more decimals than %s allows', (currency, amount, allowed) => {
    const error = errorOf({ ...base, currency, amount });
    expect(error?.code).toBe(ErrorCode.AMOUNT_PRECISION);
    expect(error?.message).toContain(`allows ${allowed}`);
    expect(error?.message).toMatch(/^amount: /);
  });

  it('rejects too many decimals sent as a JSON number too', () => {
    expect(errorOf({ ...base, amount: 10.123 })?.code).toBe(ErrorCode.AMOUNT_PRECISION);
    expect(errorOf({ ...base, currency: 'JPY', amount: 10.5 })?.code).toBe(ErrorCode.AMOUNT_PRECISION);
  });

  it('accepts exactly as many decimals as the currency allows and stores minor units', () => {
    expect(normalise({ ...base, currency: 'KWD', amount: '1.234' })).toMatchObject({
      ok: true,
      value: { amount_minor: 1234, currency: 'KWD' },
    });
    expect(normalise({ ...base, currency: 'jpy', amount: 500 })).toMatchObject({ ok: true, value: { amount_minor: 500, currency: 'JPY' } });
    expect(normalise({ ...base, amount: 1500.5 })).toMatchObject({ ok: true, value: { amount_minor: 150050, currency: 'INR' } });
  });

  it('decides precision by the currency’s exponent for any amount', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('INR', 'USD', 'JPY', 'KRW', 'KWD', 'BHD', 'CLF'),
        fc.integer({ min: 1, max: 99_999_999 }),
        fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 5 }),
        (currency, whole, fraction) => {
          const decimals = fraction.replace(/0+$/, '').length;
          const result = normalise({ ...base, currency, amount: `${whole}${fraction ? `.${fraction}` : ''}` });
          if (decimals > (currencyExponent(currency) ?? 0))
            expect(result).toMatchObject({ ok: false, error: { code: ErrorCode.AMOUNT_PRECISION } });
          else expect(result.ok).toBe(true);
        },
      ),
    );
  });

  it('requires exactly one of amount and amount_minor', () => {
    expect(errorOf({ ...base, amount_minor: 150050 })?.code).toBe(ErrorCode.VALIDATION_FAILED);
    const { amount: _omit, ...noAmount } = base;
    expect(errorOf(noAmount)?.message).toMatch(/exactly one of amount/);
    expect(normalise({ ...noAmount, amount_minor: 150050 })).toMatchObject({ ok: true, value: { amount_minor: 150050 } });
  });

  it('rejects a negative amount and an unknown currency', () => {
    expect(errorOf({ ...base, amount: '-1.00' })?.message).toMatch(/must not be negative/);
    expect(errorOf({ ...base, currency: 'ABC' })?.code).toBe(ErrorCode.UNKNOWN_CURRENCY);
  });
});

describe('normalisePayment: text fields', () => {
  const textFields = [
    'reference_number',
    'loan_account_number',
    'cif',
    'payment_channel',
    'gateway',
    'payment_method',
    'merchant_id',
    'order_id',
    'customer_id',
    'region',
    'gateway_txn_id',
    'failure_reason',
  ];

  it('rejects a NUL character in any text field with INVALID_TEXT and names the field', () => {
    fc.assert(
      fc.property(fc.constantFrom(...textFields), fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), (field, before, after) => {
        const error = errorOf({ ...base, [field]: `${before}\u0000${after}` });
        expect(error?.code).toBe(ErrorCode.INVALID_TEXT);
        expect(error?.message).toContain(`${field}: contains a NUL character`);
        expect(error?.details).toEqual({ field });
      }),
    );
  });

  it('rejects any text field holding a lone UTF-16 surrogate with INVALID_TEXT naming the field', () => {
    const lone = fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff', '\udc00\ud800');
    fc.assert(
      fc.property(fc.constantFrom(...textFields), fc.string({ unit: 'grapheme', maxLength: 4 }), lone, (field, text, bad) => {
        const points = [...text];
        const value = `${points.slice(0, 1).join('')}${bad}${points.slice(1).join('')}`;
        const error = errorOf({ ...base, [field]: value });
        expect(error?.code).toBe(ErrorCode.INVALID_TEXT);
        expect(error?.message).toMatch(new RegExp(`^${field}: contains a lone UTF-16 surrogate`));
      }),
    );
  });

  it('accepts any well-formed text without NUL in a text field and keeps it exactly', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 5 }), (text) => {
        fc.pre(!text.includes('\u0000') && text.trim() !== '');
        expect(normalise({ ...base, reference_number: text, failure_reason: text })).toMatchObject({
          ok: true,
          value: { reference_number: text, failure_reason: text },
        });
      }),
    );
  });

  it.each([
    ['reference_number', 255],
    ['loan_account_number', 20],
    ['cif', 20],
    ['payment_channel', 100],
    ['merchant_id', 100],
    ['order_id', 255],
    ['failure_reason', 500],
  ])('rejects %s longer than %i characters and accepts it at the limit', (field, max) => {
    expect(errorOf({ ...base, [field]: 'x'.repeat(max + 1) })?.message).toContain(`${field}: must be at most ${max} characters`);
    expect(normalise({ ...base, [field]: 'x'.repeat(max) }).ok).toBe(true);
  });

  it('rejects a blank reference number', () => {
    expect(errorOf({ ...base, reference_number: '   ' })?.message).toContain('reference_number: must not be empty');
  });

  it('rejects a NUL character or a lone surrogate anywhere in metadata, keys included, naming the path', () => {
    expect(errorOf({ ...base, metadata: { note: 'a\u0000b' } })).toMatchObject({
      code: 'INVALID_TEXT',
      details: { field: 'metadata.note' },
    });
    expect(errorOf({ ...base, metadata: { deep: [{ 'k\u0000': 1 }] } })).toMatchObject({
      code: 'INVALID_TEXT',
      details: { field: 'metadata.deep.0.k\\u0000' },
    });
    expect(errorOf({ ...base, metadata: { list: ['ok', 'x\udfff'] } })).toMatchObject({
      code: 'INVALID_TEXT',
      details: { field: 'metadata.list.1' },
    });
    expect(errorOf({ ...base, metadata: { ['\ud800']: 'v' } })?.message).toMatch(
      /^metadata\.\\ud800: key contains a lone UTF-16 surrogate/,
    );
  });

  it('rejects metadata nested deeper than 32 levels with NESTING_TOO_DEEP before serialising it', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(errorOf({ ...base, metadata: { deep } })).toMatchObject({ code: 'NESTING_TOO_DEEP' });
    let fits: unknown = 1;
    for (let i = 0; i < 30; i++) fits = [fits];
    expect(normalise({ ...base, metadata: { fits } }).ok).toBe(true);
  });

  it('accepts metadata holding the escaped text \\u0000, which is not a NUL character', () => {
    expect(normalise({ ...base, metadata: { log: 'escaped: \\u0000', path: 'C:\\\\u0000' } })).toMatchObject({ ok: true });
  });

  it('rejects metadata over 16 KiB', () => {
    expect(errorOf({ ...base, metadata: { blob: 'x'.repeat(17 * 1024) } })?.message).toMatch(/metadata: is \d+ bytes/);
  });

  it('normalises country to upper case and rejects one that is not two letters', () => {
    expect(normalise({ ...base, country: 'in' })).toMatchObject({ ok: true, value: { country: 'IN' } });
    expect(errorOf({ ...base, country: 'India' })?.message).toContain('country: must be a two-letter ISO 3166 code');
  });
});

describe('normalisePayment: dates', () => {
  it.each([
    ['2026-02-30T00:00:00Z', 'a day February does not have'],
    ['2026-02-29', 'February 29th outside a leap year'],
    ['2026-04-31T10:00:00+05:30', 'a 31st in a 30-day month'],
    ['2026-13-01T00:00:00Z', 'month 13'],
    ['2026-01-01T25:00:00Z', 'hour 25'],
    ['22/11/2026', 'a day-first date'],
    ['yesterday', 'a word'],
    ['2026-11-22T10:15:00 IST', 'a zone abbreviation'],
    ['1969-12-31T23:59:59Z', 'a date before 1970'],
    ['2100-01-01T00:00:00Z', 'a date from 2100'],
  ])('rejects %s (%s)', (payment_date) => {
    const error = errorOf({ ...base, payment_date });
    expect(error?.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(error?.message).toMatch(/^payment_date: /);
  });

  it('accepts 29 February in a leap year', () => {
    expect(normaliseAnyDate({ ...base, payment_date: '2028-02-29T12:00:00Z' })).toMatchObject({ ok: true });
  });

  it.each([
    ['2026-11-22T15:45:00+05:30', '2026-11-22T10:15:00.000Z'],
    ['2026-11-22T15:45:00+0530', '2026-11-22T10:15:00.000Z'],
    ['2026-11-22T02:15:00-08:00', '2026-11-22T10:15:00.000Z'],
    ['2026-11-22 10:15:00', '2026-11-22T10:15:00.000Z'],
    ['2026-11-22T10:15:00.123456Z', '2026-11-22T10:15:00.123Z'],
    ['2026-11-22', '2026-11-22T00:00:00.000Z'],
  ])('reads %s as %s UTC', (payment_date, utc) => {
    const result = normalise({ ...base, payment_date });
    expect(result.ok && result.value.payment_date.toISOString()).toBe(utc);
  });

  it('converts a local time with any offset to the same UTC instant', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1971, 0, 1) / 1000, max: Date.UTC(2099, 0, 1) / 1000 }),
        fc.integer({ min: -12 * 4, max: 14 * 4 }).map((q) => q * 15),
        (seconds, offsetMinutes) => {
          const local = new Date((seconds + offsetMinutes * 60) * 1000).toISOString().slice(0, 19);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const hh = String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0');
          const mm = String(Math.abs(offsetMinutes) % 60).padStart(2, '0');
          const result = normaliseAnyDate({ ...base, payment_date: `${local}${sign}${hh}:${mm}` });
          expect(result.ok && result.value.payment_date.getTime()).toBe(seconds * 1000);
        },
      ),
    );
  });
});

describe('normalisePayment: business rules', () => {
  const now = new Date('2026-11-22T12:00:00Z');
  const withRules = (input: unknown, rules = DEFAULT_PAYMENT_RULES) => normalisePayment(input, { ...options, rules, now });

  it('refuses a zero amount with AMOUNT_ZERO by default, as major or minor units, and accepts it when allowed', () => {
    expect(withRules({ ...base, amount: 0 })).toMatchObject({ ok: false, error: { code: 'AMOUNT_ZERO' } });
    expect(withRules({ ...base, amount: '0.00' })).toMatchObject({ ok: false, error: { code: 'AMOUNT_ZERO' } });
    const { amount: _omit, ...noAmount } = base;
    expect(withRules({ ...noAmount, amount_minor: 0 })).toMatchObject({ ok: false, error: { code: 'AMOUNT_ZERO' } });
    expect(withRules({ ...base, amount: 0 }, { ...DEFAULT_PAYMENT_RULES, allowZeroAmount: true })).toMatchObject({
      ok: true,
      value: { amount_minor: 0 },
    });
  });

  it('refuses a payment_date later than now plus the allowed skew with PAYMENT_DATE_IN_FUTURE, and accepts one up to it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 * 86_400 }), fc.integer({ min: -86_400, max: 3 * 86_400 }), (skewSeconds, aheadSeconds) => {
        const date = new Date(now.getTime() + aheadSeconds * 1000).toISOString();
        const result = withRules({ ...base, payment_date: date }, { allowZeroAmount: false, maxFutureSkewMs: skewSeconds * 1000 });
        if (aheadSeconds > skewSeconds) expect(result).toMatchObject({ ok: false, error: { code: 'PAYMENT_DATE_IN_FUTURE' } });
        else expect(result.ok).toBe(true);
      }),
    );
  });

  it('refuses the year 2031 by default', () => {
    expect(withRules({ ...base, payment_date: '2031-12-01T00:00:00Z' })).toMatchObject({
      ok: false,
      error: {
        code: 'PAYMENT_DATE_IN_FUTURE',
        message: expect.stringMatching(/^payment_date: 2031-12-01T00:00:00.000Z is later than 2026-11-23T12:00:00.000Z/),
      },
    });
  });
});

describe('normalisePayment: any input', () => {
  it('never throws on arbitrary JSON and answers ok or a Failure', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (input) => {
        const result = normalise(input);
        if (!result.ok) expect(typeof result.error.message).toBe('string');
      }),
    );
  });

  it('never throws when any field of a valid payment holds arbitrary JSON', () => {
    const fields = [
      ...Object.keys(base),
      'amount_minor',
      'currency',
      'status',
      'country',
      'fee_amount',
      'fee_minor',
      'tax_amount',
      'metadata',
      'cif',
    ];
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.jsonValue(), (field, value) => {
        const result = normalise({ ...base, [field]: value });
        expect(typeof result.ok).toBe('boolean');
      }),
    );
  });
});
