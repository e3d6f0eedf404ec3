import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from './errors.js';
import { MAX_JSON_DEPTH, decodeUtf8, findJsonProblem, firstInvalidUtf8Offset, isStorableText, jsonProblemFailure } from './text.js';

const LONE = fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff', '\udc00\ud800');
/** Any well-formed string (every code point, astral ones included). */
const wellFormed = fc.string({ unit: 'binary', maxLength: 20 });

/** `text` with `lone` put between two of its code points, so it cannot pair with half a character. */
function withLone(text: string, lone: string, at: number): string {
  const points = [...text];
  const cut = points.length === 0 ? 0 : at % (points.length + 1);
  return `${points.slice(0, cut).join('')}${lone}${points.slice(cut).join('')}`;
}

function nestedArrays(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('isStorableText', () => {
  it('refuses any string holding a lone surrogate', () => {
    fc.assert(
      fc.property(wellFormed, LONE, fc.nat(), (text, lone, at) => {
        expect(isStorableText(withLone(text, lone, at))).toBe(false);
      }),
    );
  });

  it('refuses any string holding a NUL', () => {
    fc.assert(
      fc.property(wellFormed, fc.nat(), (text, at) => {
        expect(isStorableText(withLone(text, '\u0000', at))).toBe(false);
      }),
    );
  });

  it('accepts any well-formed string without NUL', () => {
    fc.assert(
      fc.property(wellFormed, (text) => {
        fc.pre(!text.includes('\u0000'));
        expect(isStorableText(text)).toBe(true);
      }),
    );
  });
});

describe('decodeUtf8', () => {
  it('round-trips any well-formed string through its UTF-8 bytes', () => {
    fc.assert(
      fc.property(wellFormed, (text) => {
        expect(decodeUtf8(Buffer.from(text, 'utf8'))).toEqual({ ok: true, value: text });
      }),
    );
  });

  it('refuses exactly the byte strings that are not UTF-8, naming the first invalid byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (bytes) => {
        const result = decodeUtf8(bytes);
        expect(result.ok).toBe(isUtf8(bytes));
        const offset = firstInvalidUtf8Offset(bytes);
        if (result.ok) {
          expect(offset).toBe(-1);
        } else {
          expect(result.error).toMatchObject({ code: ErrorCode.INVALID_UTF8, details: { offset } });
          expect(isUtf8(bytes.subarray(0, offset))).toBe(true);
          expect(isUtf8(bytes.subarray(0, offset + 4))).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses overlong forms, encoded surrogates, code points above U+10FFFF and cut characters', () => {
    for (const bytes of [
      [0xc0, 0xaf],
      [0xe0, 0x80, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0x61, 0xe2, 0x82],
    ]) {
      expect(decodeUtf8(Uint8Array.from(bytes)).ok, JSON.stringify(bytes)).toBe(false);
    }
  });

  it('keeps a byte-order mark, so a JSON parser still refuses it', () => {
    expect(decodeUtf8(Uint8Array.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))).toEqual({ ok: true, value: '\ufeff{}' });
  });
});

describe('findJsonProblem', () => {
  it('finds nothing in JSON of well-formed text nested within the bound', () => {
    const json = fc.jsonValue({ maxDepth: 8 }).filter((v) => !JSON.stringify(v).includes('\\u0000'));
    fc.assert(
      fc.property(json, (value) => {
        expect(findJsonProblem(value)).toBeNull();
      }),
    );
  });

  it('names the path of a lone surrogate in a value or a key', () => {
    fc.assert(
      fc.property(wellFormed, LONE, fc.nat(), (text, lone, at) => {
        const bad = withLone(text, lone, at);
        expect(findJsonProblem({ a: [{ ok: 'x' }, { b: bad }] })).toMatchObject({ kind: 'text', path: 'a.1.b' });
        const inKey = findJsonProblem({ a: { [bad]: 1 } });
        expect(inKey).toMatchObject({ kind: 'text' });
        expect(isStorableText(inKey?.path ?? '')).toBe(true);
      }),
    );
  });

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} levels, at any depth without running out of stack`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), (depth) => {
        const problem = findJsonProblem(nestedArrays(depth));
        if (depth > MAX_JSON_DEPTH) expect(problem).toMatchObject({ kind: 'depth' });
        else expect(problem).toBeNull();
      }),
    );
    expect(findJsonProblem(nestedArrays(1_000_000))).toMatchObject({ kind: 'depth' });
  });

  it('turns a problem into INVALID_TEXT or NESTING_TOO_DEEP naming the field', () => {
    expect(jsonProblemFailure({ kind: 'text', path: 'metadata.note', reason: 'contains …' })).toMatchObject({
      code: ErrorCode.INVALID_TEXT,
      message: 'metadata.note: contains …',
      details: { field: 'metadata.note' },
    });
    expect(jsonProblemFailure({ kind: 'depth', path: 'metadata' })).toMatchObject({
      code: ErrorCode.NESTING_TOO_DEEP,
      details: { field: 'metadata', max_depth: MAX_JSON_DEPTH },
    });
  });
});
