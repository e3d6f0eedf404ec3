import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from './errors.js';
import { MAX_MINOR_UNITS, currencyExponent, decimalStringOfNumber, formatMinorUnits, toMinorUnits } from './money.js';

// A spread of exponents: 0 (JPY, KRW, ISK), 2 (INR, USD, EUR), 3 (KWD, BHD), 4 (CLF, UYW).
const currencyArb = fc.constantFrom('JPY', 'KRW', 'ISK', 'INR', 'USD', 'EUR', 'KWD', 'BHD', 'CLF', 'UYW');
const digits = (minLength: number, maxLength: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength, maxLength });
const pow10 = (n: number) => 10n ** BigInt(n);
const abs = (n: bigint) => (n < 0n ? -n : n);

describe('toMinorUnits', () => {
  it('converts exactly or refuses, and never rounds', () => {
    fc.assert(
      fc.property(currencyArb, fc.boolean(), digits(1, 19), digits(0, 6), (currency, negative, whole, fraction) => {
        const text = `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
        const exponent = currencyExponent(currency) ?? -1;
        // text × 10^L is the integer N; in minor units the value is N × 10^exponent / 10^L.
        const scaled = BigInt(whole + fraction) * (negative ? -1n : 1n) * pow10(exponent);
        const divisor = pow10(fraction.length);
        const exact = scaled % divisor === 0n;
        const result = toMinorUnits(text, currency);
        if (result.ok) {
          expect(result.value * divisor).toBe(scaled);
        } else if (!exact) {
          expect(result.error.code).toBe(ErrorCode.AMOUNT_PRECISION);
        } else {
          expect(result.error.code).toBe(ErrorCode.VALIDATION_FAILED);
          expect(abs(scaled / divisor) > MAX_MINOR_UNITS).toBe(true);
        }
        if (exact && abs(scaled / divisor) <= MAX_MINOR_UNITS) expect(result.ok).toBe(true);
      }),
    );
  });

  it('rejects an amount with more decimals than the currency allows', () => {
    expect(toMinorUnits('12.345', 'INR')).toMatchObject({ ok: false, error: { code: ErrorCode.AMOUNT_PRECISION } });
    expect(toMinorUnits('12.5', 'JPY')).toMatchObject({ ok: false, error: { code: ErrorCode.AMOUNT_PRECISION } });
    expect(toMinorUnits('1.2345', 'KWD')).toMatchObject({ ok: false, error: { code: ErrorCode.AMOUNT_PRECISION } });
    expect(toMinorUnits('1.234', 'KWD')).toEqual({ ok: true, value: 1234n });
  });

  it('accepts trailing zeros beyond the currency’s decimals', () => {
    expect(toMinorUnits('12.3400', 'INR')).toEqual({ ok: true, value: 1234n });
    expect(toMinorUnits('500.000', 'JPY')).toEqual({ ok: true, value: 500n });
  });

  it('refuses text that is not a plain decimal and an unknown currency', () => {
    for (const text of ['1e3', '.5', '5.', '+5', '1,000.00', '١٢', '', ' - 5']) {
      expect(toMinorUnits(text, 'INR')).toMatchObject({ ok: false, error: { code: ErrorCode.VALIDATION_FAILED } });
    }
    expect(toMinorUnits('5', 'XYZ')).toMatchObject({ ok: false, error: { code: ErrorCode.UNKNOWN_CURRENCY } });
  });
});

describe('formatMinorUnits', () => {
  it('is undone by toMinorUnits for every amount in range', () => {
    fc.assert(
      fc.property(currencyArb, fc.bigInt({ min: -MAX_MINOR_UNITS, max: MAX_MINOR_UNITS }), (currency, minor) => {
        expect(toMinorUnits(formatMinorUnits(minor, currency), currency)).toEqual({ ok: true, value: minor });
      }),
    );
  });

  it('prints exactly the currency’s number of decimals', () => {
    fc.assert(
      fc.property(currencyArb, fc.bigInt({ min: -MAX_MINOR_UNITS, max: MAX_MINOR_UNITS }), (currency, minor) => {
        const exponent = currencyExponent(currency) ?? 0;
        const text = formatMinorUnits(minor, currency);
        expect(text).toMatch(exponent === 0 ? /^-?\d+$/ : new RegExp(`^-?\\d+\\.\\d{${exponent}}$`));
      }),
    );
    expect(formatMinorUnits(5n, 'INR')).toBe('0.05');
    expect(formatMinorUnits(-1234n, 'KWD')).toBe('-1.234');
  });

  it('gives back a decimal the currency allows in its canonical form', () => {
    // At most 11 whole digits: with CLF's 4 decimals that stays below MAX_MINOR_UNITS.
    fc.assert(
      fc.property(currencyArb, digits(1, 11), digits(0, 4), (currency, whole, fraction) => {
        const exponent = currencyExponent(currency) ?? 0;
        const f = fraction.slice(0, exponent);
        const minor = toMinorUnits(`${whole}${f ? `.${f}` : ''}`, currency);
        const canonicalWhole = whole.replace(/^0+(?=\d)/, '');
        const expected = exponent === 0 ? canonicalWhole : `${canonicalWhole}.${f.padEnd(exponent, '0')}`;
        expect(minor.ok && formatMinorUnits(minor.value, currency)).toBe(expected);
      }),
    );
  });
});

describe('decimalStringOfNumber', () => {
  // A canonical literal with at most 15 significant digits and at most 15 digits before the point.
  const literalArb = fc
    .tuple(fc.boolean(), fc.integer({ min: 1, max: 9 }), digits(0, 14), fc.integer({ min: -20, max: 15 }))
    .map(([negative, lead, rest, point]) => {
      const significant = `${lead}${rest}`.replace(/0+$/, '');
      const body =
        point <= 0
          ? `0.${'0'.repeat(-point)}${significant}`
          : point >= significant.length
            ? significant + '0'.repeat(point - significant.length)
            : `${significant.slice(0, point)}.${significant.slice(point)}`;
      return negative ? `-${body}` : body;
    });

  it('returns the literal the sender wrote for numbers of up to 15 significant digits', () => {
    fc.assert(
      fc.property(literalArb, (literal) => {
        expect(decimalStringOfNumber(Number(literal))).toEqual({ ok: true, value: literal });
      }),
    );
  });

  it('never returns a decimal that differs from the number it was given', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        const result = decimalStringOfNumber(n);
        if (result.ok) {
          expect(Number(result.value)).toBe(n === 0 ? 0 : n);
          expect(result.value).toMatch(/^-?\d+(\.\d+)?$/);
        } else {
          expect(result.error.code).toBe(ErrorCode.AMOUNT_PRECISION);
        }
      }),
    );
  });

  it('refuses a number whose literal JSON parsing may have changed', () => {
    // 9007199254740993 parses to …992: the printed digits cannot tell, so it must be sent as a string.
    expect(decimalStringOfNumber(JSON.parse('9007199254740993'))).toMatchObject({ ok: false, error: { code: ErrorCode.AMOUNT_PRECISION } });
    expect(decimalStringOfNumber(JSON.parse('0.1234567890123456789'))).toMatchObject({
      ok: false,
      error: { code: ErrorCode.AMOUNT_PRECISION },
    });
  });

  it('expands exponent notation exactly', () => {
    expect(decimalStringOfNumber(1.5e-7)).toEqual({ ok: true, value: '0.00000015' });
    expect(decimalStringOfNumber(-2e-7)).toEqual({ ok: true, value: '-0.0000002' });
    expect(decimalStringOfNumber(0.1 + 0.2)).toMatchObject({ ok: false, error: { code: ErrorCode.AMOUNT_PRECISION } });
  });

  it('refuses infinities and NaN', () => {
    for (const n of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(decimalStringOfNumber(n)).toMatchObject({ ok: false, error: { code: ErrorCode.VALIDATION_FAILED } });
    }
  });
});
