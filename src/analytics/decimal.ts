/** Exact rational helpers on bigint: no float ever touches money. */

/** `n / d` rounded half to even (banker's rounding); `d` must not be 0. */
export function divideHalfEven(n: bigint, d: bigint): bigint {
  if (d === 0n) throw new Error('division by zero');
  if (d < 0n) return divideHalfEven(-n, -d);
  const q = n / d; // truncates toward zero
  const r = n - q * d;
  if (r === 0n) return q;
  const twice = (r < 0n ? -r : r) * 2n;
  const away = n < 0n ? q - 1n : q + 1n;
  if (twice > d) return away;
  if (twice < d) return q;
  return q % 2n === 0n ? q : away;
}

const DECIMAL = /^(\d{1,18})(?:\.(\d{1,18}))?$/;

/** `"83.2512"` → `{units: 832512n, scale: 4}`; null when not a positive decimal of ≤ 18 significant digits. */
export function parseDecimal(text: string): { units: bigint; scale: number } | null {
  const m = DECIMAL.exec(text.trim());
  if (!m) return null;
  const frac = m[2] ?? '';
  const digits = `${m[1]}${frac}`.replace(/^0+/, '');
  if (digits.length === 0 || digits.length > 18) return null;
  return { units: BigInt(`${m[1]}${frac}`), scale: frac.length };
}

/** `{units: 832512n, scale: 4}` → `"83.2512"`. */
export function formatDecimal(units: bigint, scale: number): string {
  const s = units.toString().padStart(scale + 1, '0');
  return scale === 0 ? s : `${s.slice(0, -scale)}.${s.slice(-scale)}`;
}

/** A ratio rounded to 6 decimals, or null when the denominator is 0. */
export function ratio(n: number, d: number): number | null {
  if (d === 0) return null;
  return Math.round((n / d) * 1e6) / 1e6;
}
