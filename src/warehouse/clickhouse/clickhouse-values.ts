import type { ColumnType } from '../tables.js';

/**
 * Values between Payscope and ClickHouse: `$n` parameters become typed `{pN:Type}` parameters,
 * rows read in `JSON` format (which names each column's type) become the JS values the port
 * promises — integers as numbers (refused beyond 2^53), times as Dates — and rows to insert become
 * `JSONEachRow` records.
 */

const UTC_TIMESTAMP = "DateTime64(3, 'UTC')";

/** The ClickHouse type of a `tables.ts` column; every column is Nullable except ORDER BY keys. */
export function clickHouseType(type: ColumnType, options: { nullable: boolean; lowCardinality: boolean }): string {
  const base = {
    VARCHAR: options.lowCardinality ? 'LowCardinality(String)' : 'String',
    BIGINT: 'Int64',
    INTEGER: 'Int32',
    BOOLEAN: 'Bool',
    TIMESTAMP: UTC_TIMESTAMP,
    DATE: 'Date32',
    JSON: 'String',
  }[type];
  if (!options.nullable) return base;
  // LowCardinality wraps Nullable, not the reverse.
  return base.startsWith('LowCardinality(') ? `LowCardinality(Nullable(String))` : `Nullable(${base})`;
}

/** `YYYY-MM-DD hh:mm:ss.mmm` of an instant, in UTC: what DateTime64(3, 'UTC') reads and writes. */
export function clickHouseTime(value: Date | number): string {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) throw new Error('clickhouse: an invalid Date cannot be written');
  return d.toISOString().slice(0, 23).replace('T', ' ');
}

function parameterOf(value: unknown, asTimestamp: boolean): { type: string; value: unknown } {
  if (asTimestamp) {
    if (value === null || value === undefined) return { type: `Nullable(${UTC_TIMESTAMP})`, value: null };
    const d = value instanceof Date ? value : new Date(value as string | number);
    if (Number.isNaN(d.getTime())) throw new Error(`clickhouse: parameter ${String(value)} is not a timestamp`);
    return { type: UTC_TIMESTAMP, value: clickHouseTime(d) };
  }
  if (value === null || value === undefined) return { type: 'Nullable(String)', value: null };
  if (typeof value === 'string') return { type: 'String', value };
  if (typeof value === 'boolean') return { type: 'Bool', value };
  if (typeof value === 'bigint') return { type: 'Int64', value: value.toString() };
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return { type: 'Int64', value };
    if (Number.isFinite(value)) return { type: 'Float64', value };
    throw new Error(`clickhouse: parameter ${value} is not a finite number`);
  }
  if (value instanceof Date) return { type: UTC_TIMESTAMP, value: clickHouseTime(value) };
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return { type: 'Array(String)', value };
    if (value.every((v) => typeof v === 'number' && Number.isSafeInteger(v))) return { type: 'Array(Int64)', value };
  }
  throw new Error(`clickhouse: cannot bind a parameter of type ${typeof value}`);
}

/**
 * Rewrites portable SQL for ClickHouse: `$n` → `{pN:Type}` typed from the JS value (`$n::TIMESTAMP`
 * binds a DateTime64(3, 'UTC') from a Date or an ISO string), and `::TIMESTAMP` elsewhere →
 * DateTime64(3, 'UTC') (ClickHouse's TIMESTAMP is DateTime, whole seconds). String literals,
 * quoted identifiers and comments are left alone.
 *
 * @example
 *   bindParameters('SELECT * FROM payments WHERE currency = $1 AND payment_time >= $2::TIMESTAMP', ['INR', new Date(0)])
 *   // → { sql: "… currency = {p1:String} AND payment_time >= {p2:DateTime64(3, 'UTC')}", params: { p1: 'INR', p2: '1970-01-01 00:00:00.000' } }
 */
export function bindParameters(sql: string, params: readonly unknown[]): { sql: string; params: Record<string, unknown> } {
  const bound: Record<string, unknown> = {};
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    if (c === "'" || c === '"' || c === '`') {
      const end = closingQuote(sql, i, c);
      out += sql.slice(i, end);
      i = end;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      out += sql.slice(i, stop);
      i = stop;
      continue;
    }
    const param = /^\$(\d+)(\s*::\s*TIMESTAMP\b)?/i.exec(sql.slice(i, i + 40));
    if (param) {
      const index = Number(param[1]);
      if (index < 1 || index > params.length) throw new Error(`clickhouse: $${index} has no parameter (${params.length} given)`);
      const p = parameterOf(params[index - 1], param[2] !== undefined);
      const name = `p${index}${param[2] ? 't' : ''}`;
      bound[name] = p.value;
      out += `{${name}:${p.type}}`;
      i += param[0].length;
      continue;
    }
    const cast = /^::\s*TIMESTAMP\b/i.exec(sql.slice(i, i + 20));
    if (cast) {
      out += `::${UTC_TIMESTAMP}`;
      i += cast[0].length;
      continue;
    }
    out += c;
    i++;
  }
  return { sql: out, params: bound };
}

function closingQuote(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === '\\') i += 2;
    else if (sql[i] === quote && sql[i + 1] === quote) i += 2;
    else if (sql[i] === quote) return i + 1;
    else i++;
  }
  return sql.length;
}

// ── reading ───────────────────────────────────────────────────────────────────────────────────────

/** Strips Nullable(…) and LowCardinality(…) from a column type. */
function baseType(type: string): string {
  let t = type.trim();
  for (;;) {
    const m = /^(?:Nullable|LowCardinality)\((.*)\)$/.exec(t);
    if (!m) return t;
    t = (m[1] as string).trim();
  }
}

type Decoder = (value: unknown, column: string) => unknown;

const WIDE_INTEGER = /^U?Int(64|128|256)$/;

function decoderOf(type: string): Decoder {
  const t = baseType(type);
  if (WIDE_INTEGER.test(t)) return decodeWideInteger;
  if (/^DateTime64?(\(|$)/.test(t)) return (v) => (v === null ? null : new Date(`${String(v).replace(' ', 'T')}Z`));
  if (/^Date(32)?$/.test(t)) return (v) => (v === null ? null : new Date(`${String(v)}T00:00:00Z`));
  if (/^Array\(/.test(t)) {
    const inner = decoderOf((/^Array\((.*)\)$/.exec(t)?.[1] as string) ?? 'String');
    return (v, column) => (Array.isArray(v) ? v.map((x) => inner(x, column)) : v);
  }
  if (/^Decimal/.test(t)) return (v) => (v === null ? null : Number(v));
  return (v) => v;
}

function decodeWideInteger(v: unknown, column: string): unknown {
  if (v === null || typeof v === 'number') return v;
  const text = String(v);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || BigInt(text) !== BigInt(n)) {
    throw new Error(`column ${column}: ${text} exceeds 2^53; cast it to VARCHAR in the query`);
  }
  return n;
}

/** Turns rows of a `JSON`-format result into JS values by the column types it names. */
export function decodeRows(
  meta: readonly { name: string; type: string }[],
  rows: readonly Record<string, unknown>[],
): Record<string, unknown>[] {
  const decoders = meta.map((m) => [m.name, decoderOf(m.type)] as const);
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const [name, decode] of decoders) out[name] = decode(row[name] ?? null, name);
    return out;
  });
}

// ── writing ───────────────────────────────────────────────────────────────────────────────────────

/** A row of a `tables.ts` table as a `JSONEachRow` record (times as UTC text, JSON as text, integers checked). */
export function encodeRow(
  columns: Readonly<Record<string, ColumnType>>,
  row: Readonly<Record<string, unknown>>,
  table: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, type] of Object.entries(columns)) out[name] = encodeValue(type, row[name], table, name);
  return out;
}

function encodeValue(type: ColumnType, value: unknown, table: string, column: string): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'VARCHAR':
      return String(value);
    case 'JSON':
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'DATE':
      return value instanceof Date ? value.toISOString().slice(0, 10) : String(value);
    case 'TIMESTAMP':
      return clickHouseTime(value as Date);
    case 'BIGINT':
    case 'INTEGER':
      if (!Number.isSafeInteger(value)) throw new Error(`${table}.${column}: ${String(value)} is not a safe integer`);
      return value;
    case 'BOOLEAN':
      return Boolean(value);
  }
}
