/**
 * How the dashboard shows a number, written out independently of web/src/format.ts so the
 * end-to-end test checks the page against the API's figures rather than against the page's own
 * code. The browser runs with locale en-US (see dashboard.test.ts).
 */

const LOCALE = 'en-US';
const integer = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 1 });

/** Minor units of `currency` as the exact decimal string Intl formats ("150050", INR → "1500.50"). */
function decimalOf(minor: number, currency: string): string {
  const digits = new Intl.NumberFormat(LOCALE, { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  const negative = minor < 0;
  const s = String(Math.abs(minor)).padStart(digits + 1, '0');
  const whole = digits === 0 ? s : s.slice(0, -digits);
  return `${negative ? '-' : ''}${whole}${digits === 0 ? '' : `.${s.slice(-digits)}`}`;
}

/** "₹5,029,229.00" from (502922900, "INR"); "—" when there is no amount. */
export function money(minor: number | null | undefined, currency: string): string {
  if (minor === null || minor === undefined) return '—';
  // Intl.NumberFormat.format takes a decimal string exactly (ES2023).
  return new Intl.NumberFormat(LOCALE, { style: 'currency', currency }).format(decimalOf(minor, currency) as unknown as number);
}

/** "1,234" */
export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : integer.format(n);
}

/** A ratio 0…1 as "91.9%"; "—" when the API says null. */
export function percent(ratio: number | null | undefined): string {
  return ratio === null || ratio === undefined ? '—' : `${oneDecimal.format(ratio * 100)}%`;
}
