import { ErrorCode, type Failure, type Result, err, failure, ok } from './errors.js';

/**
 * Money is integer minor units plus an ISO 4217 currency. The exponent of each currency decides
 * how many decimals a major-unit amount may carry; more decimals than that is rejected, never
 * rounded.
 */

const ZERO_DECIMAL = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF';
const THREE_DECIMAL = 'BHD IQD JOD KWD LYD OMR TND';
const FOUR_DECIMAL = 'CLF UYW';
const TWO_DECIMAL =
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN ' +
  'BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP ' +
  'GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP ' +
  'LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR ' +
  'NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN ' +
  'SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ' +
  'ZMW ZWG';

const EXPONENTS: ReadonlyMap<string, number> = new Map([
  ...ZERO_DECIMAL.split(' ').map((c) => [c, 0] as const),
  ...TWO_DECIMAL.split(' ').map((c) => [c, 2] as const),
  ...THREE_DECIMAL.split(' ').map((c) => [c, 3] as const),
  ...FOUR_DECIMAL.split(' ').map((c) => [c, 4] as const),
]);

/** Largest amount we accept, in minor units: PostgreSQL BIGINT and JS safe integers both hold it. */
export const MAX_MINOR_UNITS = BigInt(Number.MAX_SAFE_INTEGER);

export function currencyExponent(currency: string): number | undefined {
  return EXPONENTS.get(currency);
}

export function isKnownCurrency(currency: string): boolean {
  return EXPONENTS.has(currency);
}

const DECIMAL_RE = /^(-)?(\d+)(?:\.(\d+))?$/;

/**
 * Converts a major-unit decimal string ("1234.50") to integer minor units for `currency`.
 * @example toMinorUnits('12.34', 'INR') // ok(1234n)
 * @example toMinorUnits('12.345', 'INR') // error AMOUNT_PRECISION
 */
export function toMinorUnits(decimal: string, currency: string): Result<bigint, Failure> {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) {
    return err(
      failure(ErrorCode.UNKNOWN_CURRENCY, `currency '${currency}' is not an ISO 4217 code; send a three-letter code such as INR or USD`),
    );
  }
  const m = DECIMAL_RE.exec(decimal.trim());
  if (!m) {
    return err(
      failure(ErrorCode.VALIDATION_FAILED, `amount '${decimal}' is not a decimal number; send digits with an optional '.' and fraction`),
    );
  }
  const [, sign, whole = '0', rawFraction = ''] = m;
  const fraction = rawFraction.replace(/0+$/, '');
  if (fraction.length > exponent) {
    return err(
      failure(
        ErrorCode.AMOUNT_PRECISION,
        `amount ${decimal} has ${fraction.length} decimals but ${currency} allows ${exponent}; send the exact amount, it is never rounded`,
        { currency, allowed_decimals: exponent },
      ),
    );
  }
  const minor = BigInt(whole + fraction.padEnd(exponent, '0')) * (sign ? -1n : 1n);
  if (minor > MAX_MINOR_UNITS || minor < -MAX_MINOR_UNITS) {
    return err(failure(ErrorCode.VALIDATION_FAILED, `amount ${decimal} ${currency} is too large`));
  }
  return ok(minor);
}

/**
 * Converts a JSON number to its decimal string without going through arithmetic. A JS number
 * prints as the shortest decimal that round-trips, which is exactly the literal the sender wrote
 * whenever that literal has at most 15 significant digits; longer literals may have been changed
 * by parsing, so they are refused rather than guessed.
 */
export function decimalStringOfNumber(n: number): Result<string, Failure> {
  if (!Number.isFinite(n)) {
    return err(failure(ErrorCode.VALIDATION_FAILED, 'amount must be a finite number'));
  }
  let text = String(n);
  if (/e/i.test(text)) {
    // Exponent form appears below 1e-6 or at 1e21 and above; expand it exactly from the digits.
    const [mantissa = '', expPart = '0'] = text.toLowerCase().split('e');
    const exp = Number(expPart);
    const negative = mantissa.startsWith('-');
    const [intDigits = '', fracDigits = ''] = mantissa.replace('-', '').split('.');
    const digits = intDigits + fracDigits;
    const point = intDigits.length + exp;
    text =
      point <= 0
        ? `0.${'0'.repeat(-point)}${digits}`
        : point >= digits.length
          ? digits + '0'.repeat(point - digits.length)
          : `${digits.slice(0, point)}.${digits.slice(point)}`;
    if (negative) text = `-${text}`;
  }
  const significant = text.replace(/^-/, '').replace('.', '').replace(/^0+/, '');
  if (significant.length > 15) {
    return err(
      failure(
        ErrorCode.AMOUNT_PRECISION,
        `amount ${text} has more than 15 significant digits and cannot be read exactly from a JSON number; send it as a string`,
      ),
    );
  }
  return ok(text);
}

/** Formats integer minor units as a major-unit decimal string: formatMinorUnits(1234n, 'INR') === '12.34'. */
export function formatMinorUnits(minor: bigint, currency: string): string {
  const exponent = currencyExponent(currency) ?? 2;
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = digits.slice(digits.length - exponent);
  return `${negative ? '-' : ''}${whole}${exponent > 0 ? `.${fraction}` : ''}`;
}
