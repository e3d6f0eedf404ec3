import { ErrorCode, type Failure, type Result, err, failure, ok } from './errors.js';

/**
 * What PostgreSQL text and json can hold, checked once for every source: well-formed UTF-16 (no
 * lone surrogate — `"\ud800"` parses from JSON but has no UTF-8 form) and no NUL character. A
 * value that breaks either fails the whole statement it is in, so a group commit or a staging
 * batch would fall back to one-by-one and the caller would see a 500. Also: a nesting bound, so
 * no recursive serialiser (`JSON.stringify`, PostgreSQL's json parser) runs out of stack, and a
 * strict UTF-8 decoder, so invalid bytes are refused instead of becoming U+FFFD (two references
 * differing only in invalid bytes would otherwise become one payment).
 */

// Node 20 has String.prototype.isWellFormed (ES2024); the ES2023 lib this project targets does not
// declare it, and raising the lib would also admit ES2024 APIs Node 20 lacks (Object.groupBy).
declare global {
  interface String {
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}

/** Deepest nesting of objects and arrays accepted in any JSON input (a payment, an event). */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether `s` can be stored as PostgreSQL text: no lone UTF-16 surrogate and no NUL.
 * @example isStorableText('Café 😀') // true
 * @example isStorableText('a\ud800') // false
 */
export function isStorableText(s: string): boolean {
  return s.isWellFormed() && !s.includes('\u0000');
}

/** Why a text value cannot be stored, for messages. */
export function textProblemOf(s: string): string {
  return s.includes('\u0000')
    ? 'contains a NUL character (\\u0000), which PostgreSQL text cannot hold; remove it'
    : 'contains a lone UTF-16 surrogate (an unpaired \\ud800–\\udfff escape), which is not Unicode text; send the full surrogate pair or the character itself';
}

/** The first thing in a JSON-like value that no store can hold: bad text (a string or a key) or nesting too deep. */
export type JsonProblem = { kind: 'text'; path: string; reason: string } | { kind: 'depth'; path: string };

/**
 * Walks a parsed JSON value (objects, arrays, strings; anything else is a leaf) without recursion
 * and returns the first string or key that is not storable text, or the first object/array nested
 * more than `maxDepth` deep (the value itself is depth 1). Paths are dotted: `metadata.note.0`.
 * @example findJsonProblem({ metadata: { 'k\udc00': 1 } }) // { kind: 'text', path: 'metadata.k\\udc00', … }
 */
export function findJsonProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): JsonProblem | null {
  const stack: Array<{ value: unknown; path: readonly (string | number)[]; depth: number }> = [{ value, path: [], depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop() as (typeof stack)[number];
    const v = item.value;
    if (typeof v === 'string') {
      if (!isStorableText(v)) return { kind: 'text', path: pathText(item.path), reason: textProblemOf(v) };
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    const depth = item.depth + 1;
    if (depth > maxDepth) return { kind: 'depth', path: pathText(item.path) };
    // Pushed in reverse so the first field is checked first and a message names the first bad one.
    const entries = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : Object.entries(v);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i] as readonly [string | number, unknown];
      if (typeof key === 'string' && !isStorableText(key)) {
        return { kind: 'text', path: pathText([...item.path, printable(key)]), reason: `key ${textProblemOf(key)}` };
      }
      stack.push({ value: child, path: [...item.path, key], depth });
    }
  }
  return null;
}

/**
 * The Failure for a JsonProblem: INVALID_TEXT or NESTING_TOO_DEEP, naming the field in the message
 * (`metadata.note: contains …`) and in `details.field`.
 */
export function jsonProblemFailure(problem: JsonProblem, maxDepth = MAX_JSON_DEPTH): Failure {
  const field = problem.path || '(body)';
  if (problem.kind === 'text') return failure(ErrorCode.INVALID_TEXT, `${field}: ${problem.reason}`, { field });
  return failure(ErrorCode.NESTING_TOO_DEEP, `${field}: objects and arrays are nested more than ${maxDepth} levels deep; flatten it`, {
    field,
    max_depth: maxDepth,
  });
}

const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes bytes that must be UTF-8, refusing any invalid sequence (overlong forms, encoded
 * surrogates, truncated characters) with INVALID_UTF8 and the offset of the first bad byte. A
 * byte-order mark is kept, so a JSON parser refuses it as before. `what` names the input in the
 * message ("the body", "the CSV").
 */
export function decodeUtf8(bytes: Uint8Array, what = 'the body'): Result<string, Failure> {
  try {
    return ok(fatalDecoder.decode(bytes));
  } catch {
    const offset = firstInvalidUtf8Offset(bytes);
    return err(
      failure(ErrorCode.INVALID_UTF8, `${what} is not valid UTF-8 (first invalid byte at offset ${offset}); send UTF-8 text`, {
        offset,
      }),
    );
  }
}

/**
 * The offset of the first byte that does not start or continue a valid UTF-8 character, or -1
 * when all of `bytes` is valid (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
 */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let length: number;
    let min = 0x80;
    let max = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) min = 0xa0; // overlong
      if (b === 0xed) max = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) min = 0x90; // overlong
      if (b === 0xf4) max = 0x8f; // above U+10FFFF
    } else return i;
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i;
      if (k === 1 ? c < min || c > max : c < 0x80 || c > 0xbf) return i;
    }
    i += length;
  }
  return -1;
}

// NUL, a high surrogate without its low half, a low surrogate without its high half.
const UNSTORABLE_UNIT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function pathText(path: readonly (string | number)[]): string {
  return path.map((p) => (typeof p === 'string' ? printable(p) : String(p))).join('.');
}

/** A key as it can be shown (and stored in an error row): bad code units as escapes, cut to 100 characters. */
function printable(key: string): string {
  const shown = key.replace(UNSTORABLE_UNIT, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return shown.length > 100 ? `${shown.slice(0, 100)}…` : shown;
}
