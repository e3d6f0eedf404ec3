import { describe, expect, it } from 'vitest';
import { bindPositionalParams, findUnsafeQuotedName, judgeQueryTree } from './sql-guard.js';

const VIEWS = new Set(['v_payments']);

/** Lines as `EXPLAIN QUERY TREE run_passes = 0` prints them (copied from ClickHouse 26.7). */
const tree = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

describe('judgeQueryTree', () => {
  it('accepts a view in FROM and the implicit system.one of a SELECT without FROM', () => {
    const lines = tree(`
QUERY id: 0
  PROJECTION
    LIST id: 1, nodes: 1
      QUERY id: 2, is_subquery: 1
        PROJECTION
          LIST id: 3, nodes: 1
            CONSTANT id: 4, constant_value: UInt64_1, constant_value_type: UInt8
        JOIN TREE
          IDENTIFIER id: 5, identifier: system.one
  JOIN TREE
    IDENTIFIER id: 6, alias: p, identifier: v_payments, final: 1`);
    expect(judgeQueryTree(lines, VIEWS)).toEqual({ ok: true });
  });

  it('refuses a table name that is only a CTE outside its scope', () => {
    const lines = tree(`
QUERY id: 0
  PROJECTION
    LIST id: 1, nodes: 1
      MATCHER id: 2, matcher_type: ASTERISK
  JOIN TREE
    CROSS JOIN id: 3
      TABLE EXPRESSION
        QUERY id: 4, alias: s, is_subquery: 1
          WITH
            LIST id: 5, nodes: 1
              QUERY id: 6, is_subquery: 1, is_cte: 1, cte_name: payments
                PROJECTION
                  LIST id: 7, nodes: 1
                    CONSTANT id: 8, constant_value: UInt64_1, constant_value_type: UInt8
                JOIN TREE
                  IDENTIFIER id: 9, identifier: system.one
          PROJECTION
            LIST id: 10, nodes: 1
              MATCHER id: 11, matcher_type: ASTERISK
          JOIN TREE
            IDENTIFIER id: 12, identifier: payments
      TABLE EXPRESSION
        IDENTIFIER id: 13, alias: f, identifier: payments`);
    expect(judgeQueryTree(lines, VIEWS)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/'payments' is not a documented view/),
    });
  });

  it('refuses output it cannot read as one tree (a line break smuggled into a name)', () => {
    const lines = ['QUERY id: 0', '  JOIN TREE', '    IDENTIFIER id: 1, identifier: payments', 'b', '  JOIN TREE'];
    expect(judgeQueryTree(lines, VIEWS)).toMatchObject({ ok: false });
    expect(judgeQueryTree(['QUERY id: 0', '   JOIN TREE'], VIEWS)).toMatchObject({ ok: false });
  });

  it('refuses node kinds it does not know and SETTINGS sections', () => {
    expect(judgeQueryTree(['QUERY id: 0', '  JOIN TREE', '    STORAGE id: 1, x: y'], VIEWS)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/STORAGE/),
    });
    expect(judgeQueryTree(['QUERY id: 0', '  SETTINGS readonly=0'], VIEWS)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/SETTINGS/),
    });
  });

  it('judges a view name by the whole end of the line, so an alias cannot pose as the identifier', () => {
    const lines = ['QUERY id: 0', '  JOIN TREE', '    IDENTIFIER id: 1, alias: identifier: v_payments, identifier: payments'];
    expect(judgeQueryTree(lines, VIEWS)).toMatchObject({ ok: false });
  });
});

describe('bindPositionalParams', () => {
  it('binds $n in code only, never inside strings, quoted names or comments', () => {
    const { sql, used } = bindPositionalParams("SELECT $1, '$2', `$3`, a$4 -- $5\n, $2 /* $6 */", 'p', (n) =>
      n === 1 ? 'Int64' : 'String',
    );
    expect(sql).toBe("SELECT {p_1:Int64}, '$2', `$3`, a$4 -- $5\n, {p_2:String} /* $6 */");
    expect(used).toEqual([1, 2]);
  });
});

describe('findUnsafeQuotedName', () => {
  it('finds quoted names with line breaks, commas, colons or quotes, and ignores string literals', () => {
    expect(findUnsafeQuotedName("SELECT 'a,\nb' AS `ok name`")).toBeNull();
    expect(findUnsafeQuotedName('SELECT 1 AS `a\nb`')).toBe('a\nb');
    expect(findUnsafeQuotedName('SELECT * FROM `x, identifier: v_payments`')).toBe('x, identifier: v_payments');
  });
});
