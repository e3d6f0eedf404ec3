import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { MAX_SQL_LENGTH } from '../sql-sandbox.js';
import { PERSONAL_JSON_PATHS, SQL_VIEW_NAMES, SQL_VIEW_SCHEMAS, SQL_VIEWS, type SqlViewSchema } from '../sql-views.js';
import type { SandboxQuery, SandboxResult, SqlVerdict } from '../warehouse-port.js';
import { ALLOWED_TABLE_FUNCTIONS, bindPositionalParams, findUnsafeQuotedName, judgeQueryTree } from './sql-guard.js';

/**
 * The read-only SQL API on ClickHouse (`POST /api/v1/sql`, docs/adr/0007-sql-sandbox.md): the
 * documented views in two databases, `<database>_sql_full` and `<database>_sql_masked` (personal
 * `*_hash` columns NULL, JSON columns without the contracts' `piiFields`), the guard
 * (`sql-guard.ts`, ClickHouse's own parser) and the engine limits of every sandbox query.
 *
 * A sandbox query runs as
 *
 *     WITH v_payments AS (SELECT * FROM `<database>_sql_masked`.v_payments), …   -- every view
 *     SELECT * FROM (<the statement as ClickHouse formatted it>)
 *     SETTINGS max_execution_time = …, max_memory_usage = …, max_result_rows = maxRows + 1,
 *              result_overflow_mode = 'break', …, readonly = 1
 *
 * so the view names the statement uses resolve to the chosen database whatever the connection's
 * current database is (in-process chDB shares one session, where `USE` or `SET` would leak into
 * the adapter's queries), and the limits hold for this query only. `readonly = 1` makes ClickHouse
 * itself refuse writes, setting changes and every table function that needs storage (file, url,
 * remote, s3, executable…), should the guard miss one.
 *
 * @example
 * const sandbox = createClickHouseSandbox({ client, database: 'payscope' });
 * await sandbox.createViews(); // after the base tables exist
 * await sandbox.sandboxQuery({ sql: 'SELECT count() FROM v_payments', params: [], schema: 'sql_masked', timeoutMs: 5000, maxRows: 100 });
 */
export interface ClickHouseSandbox {
  checkSandboxSql(sql: string): Promise<SqlVerdict>;
  sandboxQuery(request: SandboxQuery): Promise<SandboxResult>;
  readonly sandboxTableFunctions: readonly string[];
  /** (Re)creates both databases of views over the base tables in `database`; idempotent. */
  createViews(): Promise<void>;
}

export interface ClickHouseSandboxDeps {
  client: ClickHouseClient;
  /** The database holding the base tables (tables.ts). */
  database: string;
  /** Per-query memory cap of a sandbox query (`max_memory_usage`), bytes; default 1 GiB. */
  maxMemoryBytes?: number;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DEFAULT_MAX_MEMORY = 1024 ** 3;
const ENGINE_REFUSAL =
  'SQL cannot read or write files, reach the network or change settings; select from the views of GET /api/v1/sql/views';

export function createClickHouseSandbox(deps: ClickHouseSandboxDeps): ClickHouseSandbox {
  const { client, database } = deps;
  if (!NAME.test(database)) throw new Error(`bad ClickHouse database name ${database}`);
  const maxMemory = deps.maxMemoryBytes ?? DEFAULT_MAX_MEMORY;
  const viewDatabase = (schema: string) => {
    if (schema !== SQL_VIEW_SCHEMAS.full && schema !== SQL_VIEW_SCHEMAS.masked) throw new Error(`bad sandbox schema ${schema}`);
    return `${database}_${schema}`;
  };

  /**
   * Judges `sql` (with `$n` bound to `params[n - 1]`, NULL when absent) and returns ClickHouse's canonical text
   * of it with `{<prefix>_n:Type}` parameters: the text that runs.
   */
  async function judge(
    sql: string,
    params: readonly unknown[],
  ): Promise<{ ok: true; sql: string; prefix: string; used: number[] } | { ok: false; verdict: SqlVerdict & { ok: false } }> {
    const refuse = (kind: 'invalid' | 'not_allowed', message: string) => ({
      ok: false as const,
      verdict: { ok: false as const, kind, message },
    });
    if (sql.includes('\u0000')) return refuse('invalid', 'the statement contains a NUL character');
    if (sql.length > MAX_SQL_LENGTH) return refuse('invalid', `the statement is longer than ${MAX_SQL_LENGTH} characters`);
    // A name nobody can guess, so a {name:Type} written by the caller is never one we bind.
    const prefix = `ps${randomBytes(8).toString('hex')}`;
    const bound = bindPositionalParams(sql, prefix, (n) => clickHouseTypeOf(params[n - 1]));

    let canonical: string;
    try {
      const result = await client.query({
        query: 'SELECT formatQuery({sql:String}) AS sql',
        query_params: { sql: bound.sql },
        format: 'JSONEachRow',
      });
      const rows = await result.json<{ sql: string }>();
      canonical = rows[0]?.sql ?? '';
    } catch (error) {
      const message = firstLine(error);
      if (/Multi-statements are not allowed/i.test(message)) return refuse('not_allowed', 'send exactly one statement (no ;)');
      return refuse('invalid', stripScope(message));
    }
    const unsafe = findUnsafeQuotedName(canonical);
    if (unsafe !== null) {
      return refuse(
        'not_allowed',
        `quoted names may not hold line breaks, quotes, backslashes, commas or colons: \`${unsafe.slice(0, 40)}\``,
      );
    }

    let lines: string[];
    try {
      const result = await client.query({
        query: `EXPLAIN QUERY TREE run_passes = 0 (\n${canonical}\n)`,
        query_params: Object.fromEntries(bound.used.map((n) => [`${prefix}_${n}`, params[n - 1] ?? null])),
        format: 'JSONEachRow',
      });
      lines = (await result.json<{ explain: string }>()).map((r) => r.explain);
    } catch (error) {
      const message = firstLine(error);
      if (/Syntax error/i.test(message)) {
        return refuse('not_allowed', 'only one SELECT (or WITH … SELECT) is allowed: no INSERT, DDL, SET, SYSTEM, FORMAT or INTO OUTFILE');
      }
      if (/Substitution .* is not set|UNKNOWN_QUERY_PARAMETER/i.test(message)) {
        return refuse('invalid', 'bind values with $1, $2… and params; {name:Type} placeholders are not supported');
      }
      return refuse('invalid', stripScope(message));
    }
    const verdict = judgeQueryTree(lines, SQL_VIEW_NAMES);
    if (!verdict.ok) return { ok: false, verdict };
    return { ok: true, sql: canonical, prefix, used: bound.used };
  }

  return {
    sandboxTableFunctions: [...ALLOWED_TABLE_FUNCTIONS],

    async checkSandboxSql(sql) {
      const judged = await judge(sql, []);
      return judged.ok ? { ok: true } : judged.verdict;
    },

    async sandboxQuery(request) {
      const views = viewDatabase(request.schema);
      // Judged again here: what runs is exactly the canonical text the guard accepted.
      const judged = await judge(request.sql, request.params);
      if (!judged.ok) return { ok: false, reason: judged.verdict.kind, message: judged.verdict.message };
      const missing = judged.used.find((n) => n < 1 || n > request.params.length);
      if (missing !== undefined) return { ok: false, reason: 'invalid', message: `$${missing} has no value in params` };

      const ctes = SQL_VIEWS.map((v) => `${v.name} AS (SELECT * FROM ${views}.${v.name})`).join(',\n     ');
      const limits = [
        `max_execution_time = ${Math.max(0.001, request.timeoutMs / 1000)}`,
        `timeout_overflow_mode = 'throw'`,
        `max_memory_usage = ${maxMemory}`,
        `max_result_rows = ${request.maxRows + 1}`,
        `result_overflow_mode = 'break'`,
        // Keyed tables are ReplacingMergeTree and rollups SummingMergeTree (the adapter's schema):
        // read them merged, as the adapter's own reads do; tables without FINAL ignore it.
        'final = 1',
        'output_format_json_quote_64bit_integers = 1',
        `date_time_output_format = 'iso'`,
        'cancel_http_readonly_queries_on_client_close = 1',
        'readonly = 1',
      ];
      const query = `WITH ${ctes}\nSELECT * FROM (\n${judged.sql}\n)\nSETTINGS ${limits.join(', ')}`;
      const timeout = timeoutMessage(request.timeoutMs);
      try {
        const result = await client.query({
          query,
          query_params: Object.fromEntries(judged.used.map((n) => [`${judged.prefix}_${n}`, request.params[n - 1]])),
          format: 'JSONCompact',
        });
        const body = (await result.json()) as unknown as { meta: { name: string; type: string }[]; data: unknown[][] };
        const columns = body.meta.map((m) => ({ name: m.name, type: m.type }));
        const decoders = columns.map((c) => decoderFor(c.type));
        const rows = body.data.slice(0, request.maxRows).map((row) => row.map((v, i) => (decoders[i] ?? identity)(v)));
        return { ok: true, columns, rows, truncated: body.data.length > request.maxRows };
      } catch (error) {
        await drainFailedOutput(client);
        const message = firstLine(error);
        if (/TIMEOUT_EXCEEDED|Timeout exceeded|aborted|AbortError/i.test(message) || (error as { code?: string }).code === '159') {
          return { ok: false, reason: 'timeout', message: timeout };
        }
        if (/READONLY|readonly mode|ACCESS_DENIED|Not enough privileges/i.test(message)) {
          return { ok: false, reason: 'not_allowed', message: ENGINE_REFUSAL };
        }
        if (/MEMORY_LIMIT_EXCEEDED|Memory limit/i.test(message)) {
          return { ok: false, reason: 'invalid', message: `the query needed more than ${Math.round(maxMemory / 1024 ** 2)} MiB of memory` };
        }
        return { ok: false, reason: 'invalid', message: stripScope(message) };
      }
    },

    async createViews() {
      for (const statement of clickHouseViewStatements(database)) await client.command({ query: statement });
    },
  };
}

/**
 * The DDL of both view databases over the base tables in `database`, mirroring `sqlViewStatements`
 * in sql-views.ts: the same views and columns, personal columns NULL and JSON columns masked in
 * `<database>_sql_masked`.
 */
export function clickHouseViewStatements(database: string): string[] {
  const statements: string[] = [];
  for (const schema of Object.values(SQL_VIEW_SCHEMAS) as SqlViewSchema[]) {
    const target = `${database}_${schema}`;
    statements.push(`CREATE DATABASE IF NOT EXISTS ${target}`);
    for (const view of SQL_VIEWS) {
      const select = view.columns
        .map((c) => {
          if (schema !== SQL_VIEW_SCHEMAS.masked) return c.name;
          if (c.personal) return `CAST(NULL AS Nullable(String)) AS ${c.name}`;
          return c.type === 'JSON' ? `${maskedJsonExpression(c.name)} AS ${c.name}` : c.name;
        })
        .join(', ');
      statements.push(`CREATE OR REPLACE VIEW ${target}.${view.name} AS SELECT ${select} FROM ${database}.${view.source}`);
    }
  }
  return statements;
}

interface PathTrie {
  [key: string]: PathTrie;
}

/**
 * A ClickHouse expression: the JSON text in `column` without the contracts' personal fields
 * (`PERSONAL_JSON_PATHS`, dotted paths). ClickHouse's jsonMergePatch keeps keys patched to null, so
 * objects are rebuilt from their key/raw-value pairs, dropping personal keys and descending into
 * the parents of nested paths; a value that is not a JSON object is left as it is.
 */
export function maskedJsonExpression(column: string): string {
  const trie: PathTrie = {};
  for (const path of PERSONAL_JSON_PATHS) {
    let node = trie;
    for (const key of path.split('.')) node = node[key] ??= {};
  }
  const body = maskObject(`assumeNotNull(${column})`, trie, 0); // a Nullable cannot hold the key/value arrays
  return `if(${column} IS NULL, NULL, ${body})`;
}

function maskObject(raw: string, trie: PathTrie, depth: number): string {
  const kv = `kv${depth}`;
  const leaves = Object.entries(trie).filter(([, sub]) => Object.keys(sub).length === 0);
  const parents = Object.entries(trie).filter(([, sub]) => Object.keys(sub).length > 0);
  const quote = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  const value =
    parents.length === 0
      ? `${kv}.2`
      : `multiIf(${parents.map(([key, sub]) => `${kv}.1 = ${quote(key)}, ${maskObject(`${kv}.2`, sub, depth + 1)}`).join(', ')}, ${kv}.2)`;
  const kept =
    leaves.length === 0
      ? `JSONExtractKeysAndValuesRaw(${raw})`
      : `arrayFilter(${kv} -> ${kv}.1 NOT IN (${leaves.map(([k]) => quote(k)).join(', ')}), JSONExtractKeysAndValuesRaw(${raw}))`;
  const rebuilt = `concat('{', arrayStringConcat(arrayMap(${kv} -> concat(toJSONString(${kv}.1), ':', ${value}), ${kept}), ','), '}')`;
  return `if(toString(JSONType(${raw})) = 'Object', ${rebuilt}, ${raw})`;
}

// ── values ────────────────────────────────────────────────────────────────────────────────────────

/** The ClickHouse type a positional parameter binds as. */
function clickHouseTypeOf(value: unknown): string {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? 'Int64' : 'Float64';
  if (typeof value === 'boolean') return 'Bool';
  if (typeof value === 'string') return 'String';
  return 'Nullable(String)';
}

const identity = (v: unknown) => v;

/** Makes one column's JSON values JSON-safe: 64-bit and wider integers as numbers when exact, times as ISO strings. */
function decoderFor(type: string): (v: unknown) => unknown {
  const bare = type.replace(/^(?:LowCardinality\()?(?:Nullable\()?/, '').replace(/\)+$/, '');
  if (/^U?Int(64|128|256)$/.test(bare)) {
    return (v) => {
      if (typeof v !== 'string') return v;
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : v;
    };
  }
  if (/^DateTime(64)?\b/.test(bare)) {
    return (v) => {
      if (typeof v !== 'string') return v;
      const d = new Date(v);
      return Number.isNaN(d.getTime()) ? v : d.toISOString();
    };
  }
  return identity;
}

/**
 * In-process chDB (3.4) keeps what a failed query wrote (a JSONCompact document with no rows) and
 * prepends it to the session's next result, which then fails to parse. A throwaway query takes it.
 * (A query of another caller that runs in between still gets it: a chDB bug, see the report.)
 */
async function drainFailedOutput(client: ClickHouseClient): Promise<void> {
  await client
    .query({ query: 'SELECT 1', format: 'TabSeparated' })
    .then((r) => r.text())
    .catch(() => undefined);
}

function firstLine(error: unknown): string {
  return ((error as Error)?.message ?? String(error)).split('\n')[0] ?? 'the query failed';
}

/** ClickHouse appends the wrapping query (`In scope SELECT formatQuery(…)`): not the caller's business. */
function stripScope(message: string): string {
  return message.replace(/\s*:?\s*In scope .*$/s, '').trim() || 'the statement could not be parsed';
}

function timeoutMessage(ms: number): string {
  return `the query ran longer than ${ms} ms and was stopped`;
}
