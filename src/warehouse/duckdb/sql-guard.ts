/**
 * The read-only SQL guard, the first line of the sandbox: decides from DuckDB's own parse tree
 * (`json_serialize_sql`) whether a statement may run, with a message that names what was refused.
 * The boundary is the engine: the server's DuckDB instance has no file or network access at all
 * (`lockDown` in duckdb-adapter.ts, docs/adr/0007-sql-sandbox.md). The guard refuses what the
 * engine allows but analysts may not use:
 *
 * - exactly one statement, and a SELECT (json_serialize_sql serialises nothing else: DDL, DML,
 *   COPY, ATTACH, PRAGMA, SET, INSTALL/LOAD, EXPORT, CALL are refused by it);
 * - relations: only the documented views (unqualified) and the CTEs in scope where they are named
 *   — no base table, no file path (`FROM '/etc/passwd'`), no schema or catalog qualifier;
 * - table functions: only `range`, `generate_series`, `unnest`, `json_each`, `json_tree`;
 * - functions: none of the ones that read settings, the environment, sequences, or sleep, nor any
 *   `duckdb_*`/`pragma_*`/`read_*` function, nor a schema-qualified one (`main.`, which the parser
 *   writes for `[1, 2]`, `{'a': 1}` and `position(x IN y)`, names the built-ins and is allowed);
 * - parse-tree shapes this guard does not know (a new DuckDB table reference kind) are refused.
 */

import type { SqlVerdict } from '../warehouse-port.js';

export type { SqlVerdict };

export const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set(['range', 'generate_series', 'unnest', 'json_each', 'json_tree']);

const DENIED_FUNCTIONS = new Set([
  'getenv',
  'current_setting',
  'current_query',
  'current_query_id',
  'current_database',
  'current_catalog',
  'current_schema',
  'current_schemas',
  'in_search_path',
  'getvariable',
  'nextval',
  'currval',
  'setseed',
  'sleep_ms',
  'pg_sleep',
  'write_log',
  'json_execute_serialized_sql',
  'query',
  'query_table',
  'glob',
  'sniff_csv',
  'checkpoint',
  'force_checkpoint',
  'enable_logging',
  'disable_logging',
  'truncate_duckdb_logs',
  'enable_profiling',
  'disable_profiling',
  'which_secret',
]);
const DENIED_FUNCTION_PREFIXES = ['duckdb_', 'pragma_', 'read_', 'parquet_', 'pg_', 'has_', 'arrow_', 'test_'];

const ALLOWED_NODES = new Set(['SELECT_NODE', 'SET_OPERATION_NODE', 'RECURSIVE_CTE_NODE', 'CTE_NODE']);
const ALLOWED_TABLE_REFS = new Set(['BASE_TABLE', 'JOIN', 'SUBQUERY', 'TABLE_FUNCTION', 'EMPTY', 'EMPTY_FROM', 'EXPRESSION_LIST']);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * Judges the output of `json_serialize_sql(sql)`.
 * @param views the relation names a query may use (lower case)
 * @param catalogRelations every relation name in the database: a CTE may not shadow one, or a
 *   reference outside the CTE's scope would silently reach the real relation
 */
export function checkSerializedSql(serialized: string, views: ReadonlySet<string>, catalogRelations: ReadonlySet<string>): SqlVerdict {
  let tree: { error: boolean; error_type?: string; error_message?: string; statements?: Json[] };
  try {
    tree = JSON.parse(serialized) as typeof tree;
  } catch {
    return { ok: false, kind: 'invalid', message: 'the statement could not be parsed' };
  }
  if (tree.error) {
    const message = tree.error_message ?? 'the statement could not be parsed';
    if (/only select statements/i.test(message)) {
      return { ok: false, kind: 'not_allowed', message: 'only SELECT (or WITH … SELECT) statements are allowed' };
    }
    return { ok: false, kind: 'invalid', message };
  }
  const statements = tree.statements ?? [];
  if (statements.length !== 1) {
    return { ok: false, kind: 'not_allowed', message: `send exactly one statement (got ${statements.length})` };
  }
  const ctes = new Set<string>();
  collectCtes(statements[0] as Json, ctes);
  for (const name of ctes) {
    if (catalogRelations.has(name) && !views.has(name)) {
      return { ok: false, kind: 'not_allowed', message: `a CTE may not be named '${name}' (a relation of the warehouse); rename it` };
    }
  }
  const refused = findRefusal(statements[0] as Json, views, new Set());
  return refused ? { ok: false, kind: 'not_allowed', message: refused } : { ok: true };
}

function collectCtes(node: Json, into: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) collectCtes(item, into);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const map = (node.cte_map as { map?: { key?: string }[] } | undefined)?.map;
  if (Array.isArray(map)) for (const entry of map) if (typeof entry.key === 'string') into.add(entry.key.toLowerCase());
  for (const value of Object.values(node)) collectCtes(value, into);
}

/**
 * The CTEs a query node defines, in order. Each is visible in the node's own body and subqueries,
 * and in the CTEs defined after it; a CTE's own definition sees it only when it is recursive.
 * Outside the node the name means a relation again — for DuckDB, possibly a file path — so the
 * scope must follow the tree, not the statement (issue 9: `(WITH "<path>" AS …) s, "<path>" f`).
 */
function cteEntries(node: { [k: string]: Json }): { name: string; definition: Json }[] {
  const map = (node.cte_map as { map?: { key?: unknown; value?: Json }[] } | undefined)?.map;
  if (!Array.isArray(map)) return [];
  return map.filter((e) => typeof e.key === 'string').map((e) => ({ name: String(e.key).toLowerCase(), definition: e.value ?? null }));
}

function isRecursiveDefinition(definition: Json, name: string): boolean {
  const node = (definition as { query?: { node?: { type?: string; cte_name?: string } } } | null)?.query?.node;
  return node?.type === 'RECURSIVE_CTE_NODE' && String(node.cte_name ?? '').toLowerCase() === name;
}

function findRefusal(node: Json, views: ReadonlySet<string>, inScope: ReadonlySet<string>): string | null {
  if (Array.isArray(node)) {
    for (const item of node) {
      const r = findRefusal(item, views, inScope);
      if (r) return r;
    }
    return null;
  }
  if (node === null || typeof node !== 'object') return null;
  let ctes = inScope;
  for (const { name, definition } of cteEntries(node)) {
    const r = findRefusal(definition, views, isRecursiveDefinition(definition, name) ? new Set([...ctes, name]) : ctes);
    if (r) return r;
    ctes = new Set([...ctes, name]);
  }
  const type = typeof node.type === 'string' ? node.type : null;
  const isExpression = typeof node.class === 'string';
  if (type && !isExpression && 'modifiers' in node && !ALLOWED_NODES.has(type)) return `query shape ${type} is not allowed`;
  if (type && !isExpression && 'sample' in node && !('modifiers' in node)) {
    if (!ALLOWED_TABLE_REFS.has(type)) return `${type.toLowerCase().replaceAll('_', ' ')} is not allowed; select from the documented views`;
    if (type === 'BASE_TABLE') {
      const name = String(node.table_name ?? '');
      const qualified = [node.catalog_name, node.schema_name].filter((p) => typeof p === 'string' && p !== '');
      if (qualified.length > 0)
        return `'${[...qualified, name].join('.')}': schema-qualified names are not allowed; use the view name alone`;
      const lower = name.toLowerCase();
      if (!views.has(lower) && !ctes.has(lower)) {
        return `'${name}' is not a documented view; GET /api/v1/sql/views lists them (files, tables and system views cannot be read)`;
      }
      if (node.at_clause !== null && node.at_clause !== undefined) return 'AT (time travel) clauses are not allowed';
    }
    if (type === 'TABLE_FUNCTION') {
      const fn = (node.function as { function_name?: string } | null)?.function_name ?? '';
      if (!ALLOWED_TABLE_FUNCTIONS.has(fn.toLowerCase())) {
        return `table function ${fn}() is not allowed; allowed: ${[...ALLOWED_TABLE_FUNCTIONS].join(', ')}`;
      }
    }
  }
  if (isExpression && typeof node.function_name === 'string') {
    const fn = node.function_name.toLowerCase();
    if (!isBuiltinQualifier(node.catalog, node.schema)) {
      const qualifier = [node.catalog, node.schema].filter((p) => typeof p === 'string' && p !== '');
      return `function ${[...qualifier, fn].join('.')}() is not allowed: schema-qualified functions are refused`;
    }
    if (DENIED_FUNCTIONS.has(fn) || DENIED_FUNCTION_PREFIXES.some((p) => fn.startsWith(p))) return `function ${fn}() is not allowed`;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === 'cte_map') continue; // walked above, each definition in its own scope
    const r = findRefusal(value, views, ctes);
    if (r) return r;
  }
  return null;
}

/**
 * DuckDB's parser writes the built-ins behind standard syntax — `[1, 2]` (list_value),
 * `{'a': 1}` (struct_pack), `position(x IN y)` — with schema `main` and no catalog, exactly as
 * it writes `main.list_value(…)`. Both name the same built-in, still judged by its name below.
 */
function isBuiltinQualifier(catalog: Json | undefined, schema: Json | undefined): boolean {
  const noCatalog = catalog === undefined || catalog === null || catalog === '';
  return noCatalog && (schema === undefined || schema === null || schema === '' || schema === 'main');
}
