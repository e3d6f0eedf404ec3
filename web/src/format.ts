/**
 * Display formatting. Money stays in integer minor units everywhere in the dashboard's logic; it
 * becomes a decimal *string* (exact, no float division) only here, for Intl.NumberFormat.
 */

const locale = typeof navigator !== 'undefined' ? navigator.language || 'en-IN' : 'en-IN';
const moneyFormats = new Map<string, Intl.NumberFormat>();
const compactFormats = new Map<string, Intl.NumberFormat>();

/** Digits after the decimal point of a currency (INR 2, JPY 0, KWD 3). */
export function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** Exact decimal string of an integer amount of minor units: 150050, INR → "1500.50". */
export function minorToDecimalString(minor: number | bigint | string, currency: string): string {
  const digits = minorDigits(currency);
  let n = BigInt(typeof minor === 'number' ? Math.trunc(minor) : minor);
  const negative = n < 0n;
  if (negative) n = -n;
  const s = n.toString().padStart(digits + 1, '0');
  const whole = digits === 0 ? s : s.slice(0, -digits);
  const frac = digits === 0 ? '' : s.slice(-digits);
  return `${negative ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

function moneyFormat(currency: string, compact: boolean): Intl.NumberFormat {
  const cache = compact ? compactFormats : moneyFormats;
  let f = cache.get(currency);
  if (!f) {
    try {
      f = new Intl.NumberFormat(locale, {
        style: 'currency',
        currency,
        ...(compact ? { notation: 'compact', maximumFractionDigits: 1 } : {}),
      });
    } catch {
      f = new Intl.NumberFormat(locale, { maximumFractionDigits: compact ? 1 : 2 });
    }
    cache.set(currency, f);
  }
  return f;
}

/** "₹1,500.50" from (150050, "INR"). */
export function formatMoney(
  minor: number | bigint | string | null | undefined,
  currency: string | null | undefined,
  compact = false,
): string {
  if (minor === null || minor === undefined || currency === null || currency === undefined || currency === '') return '—';
  // Intl.NumberFormat.format takes a decimal string exactly (ES2023); the cast covers older lib types.
  return moneyFormat(currency, compact).format(minorToDecimalString(minor, currency) as unknown as number);
}

/** Major units as a number, for chart axes only (never for arithmetic on money). */
export function minorToChartValue(minor: number, currency: string): number {
  return Number(minorToDecimalString(minor, currency));
}

const integerFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
const decimalFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '—' : integerFormat.format(n);
}

export function formatDecimal(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '—' : decimalFormat.format(n);
}

/** A ratio 0…1 as "97.3%". */
export function formatRate(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  return `${decimalFormat.format(ratio * 100)}%`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${integerFormat.format(ms)} ms`;
  if (ms < 60_000) return `${decimalFormat.format(ms / 1000)} s`;
  return `${decimalFormat.format(ms / 60_000)} min`;
}

export function formatDateTime(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short', ...(timeZone ? { timeZone } : {}) });
}

/** "payment_method" → "Payment method". */
export function humanise(key: string): string {
  const s = key.replace(/_minor$/, '').replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A chart axis or tooltip value (major units, already display-only) with its currency. */
export function formatChartMoney(major: number, currency: string, compact = false): string {
  return moneyFormat(currency, compact).format(major);
}
