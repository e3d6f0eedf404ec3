/**
 * The read-only SQL guard for ClickHouse, the first line of the sandbox: decides from ClickHouse's
 * own parser whether a statement may run. `clickhouse-sandbox.ts` asks the engine for two things,
 * never splitting or matching the caller's SQL itself:
 *
 * 1. `formatQuery({sql:String})` — the statement as a bound parameter, so it is never executed and
 *    never split into several: more than one statement is a parse error ("Multi-statements are not
 *    allowed"), and the answer is ClickHouse's canonical text of exactly one statement, without
 *    comments. Only that text is judged and run.
 * 2. `EXPLAIN QUERY TREE run_passes = 0 (<canonical text>)` — the query tree as the parser built it,
 *    before any analysis (nothing is resolved or evaluated, no scalar subquery runs). Only a SELECT
 *    (or WITH … SELECT, UNION, INTERSECT, EXCEPT) fits inside the parentheses: INSERT, DDL, SET,
 *    SYSTEM, FORMAT and INTO OUTFILE do not parse there.
 *
 * `judgeQueryTree` then walks the tree (the same rules as DuckDB's guard, docs/adr/0007):
 * - relations: only the documented views, unqualified, and CTEs **in scope** (a CTE is visible in
 *   the query that defines it, its subqueries, and the CTEs after it; in its own definition only
 *   when recursive) — no base table, no other database, no `system.*` (except the implicit
 *   `system.one` of a SELECT without FROM);
 * - `x IN <name>` names a relation too and follows the same rule;
 * - table functions: only {@link ALLOWED_TABLE_FUNCTIONS} (no file, url, remote, s3, input, jdbc,
 *   merge, view, cluster, dictionary, executable…);
 * - functions: none that read files, settings, dictionaries, other tables, the server or sleep
 *   ({@link DENIED_FUNCTIONS}, internal `__*`);
 * - no SETTINGS clause; node kinds this guard does not know are refused.
 *
 * The engine is the second line (clickhouse-sandbox.ts): every sandbox query runs with
 * `readonly = 1` (no writes, no setting changes, no table function that creates storage: file,
 * url, remote, s3, executable…), `max_execution_time`, `max_memory_usage` and `max_result_rows`.
 */

import type { SqlVerdict } from '../warehouse-port.js';

export type { SqlVerdict };

/** Table functions the SQL API allows on ClickHouse (documented in docs/adr/0007). */
export const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  'numbers',
  'numbers_mt',
  'zeros',
  'zeros_mt',
  'generate_series',
  'generateseries',
  'values',
]);

/** Lower-case names. Functions that reach outside the query's own rows or stall it. */
export const DENIED_FUNCTIONS: ReadonlySet<string> = new Set([
  'sleep',
  'sleepeachrow',
  'file',
  'getsetting',
  'getsettingordefault',
  'getserversetting',
  'getmergetreesetting',
  'currentdatabase',
  'current_database',
  'currentschemas',
  'current_schemas',
  'currentuser',
  'current_user',
  'user',
  'currentprofiles',
  'currentroles',
  'enabledprofiles',
  'enabledroles',
  'defaultprofiles',
  'defaultroles',
  'hascolumnintable',
  'getmacro',
  'hostname',
  'fqdn',
  'getserverport',
  'tcpport',
  'serveruuid',
  'shardnum',
  'shardcount',
  'getclienthttpheader',
  'getoskernelversion',
  'uptime',
  'buildid',
  'queryid',
  'query_id',
  'initialqueryid',
  'initial_query_id',
  'initialquerystarttime',
  'initial_query_start_time',
  'connectionid',
  'connection_id',
  'transactionid',
  'transactionlatestsnapshot',
  'transactionoldestsnapshot',
  'logtrace',
  'catboostevaluate',
  'naivebayesclassifier',
  'evalmlmethod',
  'generateserialid',
  'zookeepersessionuptime',
  'globalvariable',
  'addresstoline',
  'addresstolinewithinlines',
  'addresstosymbol',
  'demangle',
  'trap',
  'getscalar',
  'showcertificate',
  'displayname',
  'input_file_name',
]);
const DENIED_FUNCTION_PREFIXES = ['dict', 'joinget', 'filesystem', '__'];

/** `x IN t` names a relation when `t` is a bare name: these functions take one. */
const IN_FUNCTIONS = new Set(['in', 'notin', 'globalin', 'globalnotin', 'nullin', 'notnullin', 'globalnullin', 'globalnotnullin']);

/** Node kinds of the unanalysed query tree this guard knows; any other is refused. */
const KNOWN_NODES = new Set([
  'QUERY',
  'UNION',
  'IDENTIFIER',
  'FUNCTION',
  'CONSTANT',
  'LAMBDA',
  'LIST',
  'MATCHER',
  'SORT',
  'WINDOW',
  'JOIN',
  'CROSS JOIN',
  'ARRAY_JOIN',
  'TABLE_FUNCTION',
  'INTERPOLATE',
  'EXCEPT COLUMN TRANSFORMER',
  'REPLACE COLUMN TRANSFORMER',
  'APPLY COLUMN TRANSFORMER',
]);
/** Sections whose child is a relation (a table, a table function, a subquery or a join). */
const TABLE_SECTIONS = new Set(['JOIN TREE', 'TABLE EXPRESSION', 'LEFT TABLE EXPRESSION', 'RIGHT TABLE EXPRESSION']);
/** The FROM of a SELECT without FROM: one row, one column, nothing to read. */
const IMPLICIT_FROM = 'system.one';

interface TreeNode {
  /** `QUERY`, `FUNCTION`… for nodes (lines with `id: N`); the section title (`JOIN TREE`) otherwise. */
  kind: string;
  isSection: boolean;
  /** `key: value` pairs after the id, as printed. */
  text: string;
  children: TreeNode[];
}

/**
 * Judges the lines of `EXPLAIN QUERY TREE run_passes = 0` for one SELECT.
 * @param views the relation names a query may use
 */
export function judgeQueryTree(lines: readonly string[], views: ReadonlySet<string>): SqlVerdict {
  const root = parseTree(lines);
  if (typeof root === 'string') return { ok: false, kind: 'not_allowed', message: root };
  if (root.kind !== 'QUERY' && root.kind !== 'UNION') {
    return { ok: false, kind: 'not_allowed', message: 'only SELECT (or WITH … SELECT) statements are allowed' };
  }
  const refused = walk(root, views, new Set(), null);
  return refused ? { ok: false, kind: 'not_allowed', message: refused } : { ok: true };
}

function parseTree(lines: readonly string[]): TreeNode | string {
  const stack: { depth: number; node: TreeNode }[] = [];
  let root: TreeNode | null = null;
  for (const raw of lines) {
    const line = raw.replace(/\s+$/, '');
    if (line === '') continue;
    const indent = line.length - line.trimStart().length;
    if (indent % 2 !== 0) return 'the query tree could not be read';
    const depth = indent / 2;
    const body = line.trimStart();
    const match = /^([A-Z_][A-Z_ ]*?) id: \d+(?:, (.*))?$/.exec(body);
    const node: TreeNode = match
      ? { kind: match[1] ?? '', isSection: false, text: match[2] ?? '', children: [] }
      : { kind: body, isSection: true, text: '', children: [] };
    if (depth === 0) {
      if (root !== null) return 'the query tree could not be read (more than one root)';
      root = node;
      stack.length = 0;
      stack.push({ depth, node });
      continue;
    }
    while (stack.length > 0 && (stack.at(-1)?.depth ?? 0) >= depth) stack.pop();
    const parent = stack.at(-1);
    if (!parent || parent.depth !== depth - 1) return 'the query tree could not be read';
    parent.node.children.push(node);
    stack.push({ depth, node });
  }
  return root ?? 'the query tree is empty';
}

/** `key: value` of a node's text; `identifier` and `alias` are judged by the whole line instead. */
function attribute(node: TreeNode, key: string): string | null {
  for (const part of node.text.split(', ')) {
    if (part.startsWith(`${key}: `)) return part.slice(key.length + 2);
  }
  return null;
}

/**
 * The relation an IDENTIFIER node names, if it is one of `allowed`: the line must end in
 * `identifier: <name>` plus only the modifiers ClickHouse prints after it. (Quoted names holding
 * `,`, `:` or line breaks, which could fake this, are refused before the tree is built.)
 */
function namedRelation(node: TreeNode, allowed: (name: string) => boolean): string | null {
  const match = /(?:^|, )identifier: ([^,]+)((?:, (?:final: 1|sample_size: [^,]+|sample_offset: [^,]+))*)$/.exec(node.text);
  const name = match?.[1];
  return name !== undefined && allowed(name) ? name : null;
}

function identifierText(node: TreeNode): string {
  return /(?:^|, )identifier: (.*)$/.exec(node.text)?.[1] ?? node.text;
}

function walk(node: TreeNode, views: ReadonlySet<string>, inScope: ReadonlySet<string>, section: string | null): string | null {
  if (node.isSection) {
    if (node.kind.startsWith('SETTINGS')) return 'SETTINGS clauses are not allowed (the sandbox sets its own limits)';
    return walkChildren(node, views, inScope, node.kind);
  }
  if (!KNOWN_NODES.has(node.kind)) return `query shape ${node.kind} is not allowed`;

  if (node.kind === 'QUERY' || node.kind === 'UNION') {
    let ctes = inScope;
    const withSection = node.children.find((c) => c.isSection && c.kind === 'WITH');
    for (const item of withSection?.children.flatMap((list) => list.children) ?? []) {
      const name = attribute(item, 'cte_name');
      if (name === null) {
        const r = walk(item, views, ctes, 'WITH');
        if (r) return r;
        continue;
      }
      const recursive = attribute(item, 'is_recursive_cte') === '1';
      const r = walk(item, views, recursive ? new Set([...ctes, name]) : ctes, 'WITH');
      if (r) return r;
      ctes = new Set([...ctes, name]);
    }
    for (const child of node.children) {
      if (child === withSection) continue;
      const r = walk(child, views, ctes, null);
      if (r) return r;
    }
    return null;
  }

  if (node.kind === 'IDENTIFIER' && section !== null && TABLE_SECTIONS.has(section)) {
    const relation = namedRelation(node, (name) => views.has(name) || inScope.has(name) || name === IMPLICIT_FROM);
    if (relation === null) return notAView(identifierText(node));
    return null;
  }

  if (node.kind === 'TABLE_FUNCTION') {
    const fn = attribute(node, 'table_function_name') ?? '';
    if (!ALLOWED_TABLE_FUNCTIONS.has(fn.toLowerCase())) {
      return `table function ${fn}() is not allowed; allowed: ${[...ALLOWED_TABLE_FUNCTIONS].join(', ')}`;
    }
    return walkChildren(node, views, inScope, null);
  }

  if (node.kind === 'FUNCTION') {
    const fn = (attribute(node, 'function_name') ?? '').toLowerCase();
    if (DENIED_FUNCTIONS.has(fn) || DENIED_FUNCTION_PREFIXES.some((p) => fn.startsWith(p))) {
      return `function ${attribute(node, 'function_name')}() is not allowed`;
    }
    if (IN_FUNCTIONS.has(fn)) {
      const args = node.children.find((c) => c.isSection && c.kind === 'ARGUMENTS')?.children[0]?.children ?? [];
      const set = args[1];
      if (set?.kind === 'IDENTIFIER' && namedRelation(set, (name) => views.has(name) || inScope.has(name)) === null) {
        return `${notAView(identifierText(set))} (write IN (SELECT … FROM <view>) or IN (1, 2, …))`;
      }
    }
  }
  return walkChildren(node, views, inScope, null);
}

function walkChildren(node: TreeNode, views: ReadonlySet<string>, inScope: ReadonlySet<string>, section: string | null): string | null {
  for (const child of node.children) {
    const r = walk(child, views, inScope, section);
    if (r) return r;
  }
  return null;
}

function notAView(name: string): string {
  return name.includes('.')
    ? `'${name}': database-qualified names are not allowed; use the view name alone`
    : `'${name}' is not a documented view; GET /api/v1/sql/views lists them (tables, files and system tables cannot be read)`;
}

// ── text helpers over ClickHouse's canonical SQL ──────────────────────────────────────────────────

/** Characters a quoted identifier may not hold: they could fake lines of the EXPLAIN output. */
const UNSAFE_IN_QUOTED_NAME = /[\u0000-\u001f\u007f-\u009f\u2028\u2029`'"\\,:]/;

/**
 * Walks SQL token by token as ClickHouse's lexer does for strings ('…' with \ and '' escapes),
 * quoted names (`…`, "…") and comments (--, #, /* *\/), calling `onCode` for every stretch of
 * plain code and `onQuotedName` for every quoted name's content. Returns the text rebuilt from
 * what the callbacks return.
 */
function scanSql(sql: string, onCode: (code: string) => string, onQuotedName: (name: string) => void): string {
  let out = '';
  let code = '';
  let i = 0;
  const flush = () => {
    out += onCode(code);
    code = '';
  };
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (c === "'" || c === '`' || c === '"') {
      flush();
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === '\\') j += 2;
        else if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      if (c !== "'") onQuotedName(sql.slice(i + 1, j));
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if ((c === '-' && next === '-') || c === '#') {
      flush();
      const end = sql.indexOf('\n', i);
      const j = end < 0 ? sql.length : end;
      out += sql.slice(i, j);
      i = j;
    } else if (c === '/' && next === '*') {
      flush();
      const end = sql.indexOf('*/', i + 2);
      const j = end < 0 ? sql.length : end + 2;
      out += sql.slice(i, j);
      i = j;
    } else {
      code += c;
      i++;
    }
  }
  flush();
  return out;
}

/**
 * Replaces the positional parameters `$1, $2…` (outside strings, names and comments) by ClickHouse
 * query parameters `{<prefix>_<n>:<type of n>}`, and returns the numbers it met.
 */
export function bindPositionalParams(sql: string, prefix: string, typeOf: (n: number) => string): { sql: string; used: number[] } {
  const used = new Set<number>();
  const rewritten = scanSql(
    sql,
    (code) =>
      code.replace(/(^|[^A-Za-z0-9_$])\$(\d+)(?![A-Za-z0-9_$])/g, (_m, before: string, digits: string) => {
        const n = Number(digits);
        used.add(n);
        return `${before}{${prefix}_${n}:${typeOf(n)}}`;
      }),
    () => {},
  );
  return { sql: rewritten, used: [...used].sort((a, b) => a - b) };
}

/** The first quoted name in (canonical) SQL holding a character that could fake EXPLAIN output. */
export function findUnsafeQuotedName(sql: string): string | null {
  let found: string | null = null;
  scanSql(
    sql,
    (code) => code,
    (name) => {
      if (found === null && UNSAFE_IN_QUOTED_NAME.test(name)) found = name;
    },
  );
  return found;
}
