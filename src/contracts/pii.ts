/**
 * Applies a contract's field lists to an event's `data`: the analytics consumer pseudonymises
 * `piiFields` (a keyed HMAC) and drops `freeFormFields` before anything reaches the warehouse.
 * Paths are dotted paths into `data`; they never cross arrays (a test checks every listed path).
 */

/**
 * A copy of `data` where each string at one of `paths` is replaced by `replace(value, path)`;
 * absent and null values stay as they are. `data` itself is not changed.
 * @example mapFields({ payment: { cif: 'CIF1' } }, ['payment.cif'], (v) => hmac(v)) // { payment: { cif: '9f…' } }
 */
export function mapFields<T>(data: T, paths: readonly string[], replace: (value: string, path: string) => string): T {
  let copy = data;
  for (const path of paths) {
    copy = updateAt(copy, path.split('.'), (v) => (typeof v === 'string' ? replace(v, path) : v)) as T;
  }
  return copy;
}

/** A copy of `data` without the fields at `paths`. `data` itself is not changed. */
export function omitFields<T>(data: T, paths: readonly string[]): T {
  let copy = data;
  for (const path of paths) copy = updateAt(copy, path.split('.'), () => OMIT) as T;
  return copy;
}

const OMIT = Symbol('omit');

function updateAt(value: unknown, keys: readonly string[], update: (v: unknown) => unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const [key, ...rest] = keys;
  if (key === undefined || !Object.hasOwn(value, key)) return value;
  const record = value as Record<string, unknown>;
  const next = rest.length === 0 ? update(record[key]) : updateAt(record[key], rest, update);
  if (next === record[key]) return value;
  const copy = { ...record };
  if (next === OMIT) delete copy[key];
  else copy[key] = next;
  return copy;
}
