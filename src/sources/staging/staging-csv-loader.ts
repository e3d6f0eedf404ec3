import { createReadStream, statSync } from 'node:fs';
import { parse } from 'csv-parse';
import { findJsonProblem, firstInvalidUtf8Offset, isStorableText, textProblemOf } from '../../core/text.js';
import type { SqlExecutor } from '../../store/store-port.js';

/**
 * Loads a CSV file into `payment_staging`, the way an ETL would. Each row is checked against the
 * staging table's column types first, because PostgreSQL would otherwise fail the whole chunk on
 * one bad value; rows that do not fit are returned with their line number and reason, the rest
 * are inserted in chunks. Amounts are staged exactly as written (the columns are unconstrained
 * NUMERIC): whether `12.345` is right depends on the row's currency, and the staging processor
 * decides that, marking the row `AMOUNT_PRECISION` when its currency allows fewer decimals.
 */

export interface CsvReject {
  line: number;
  reason: string;
}

export interface CsvLoadResult {
  loaded: number;
  rejected: CsvReject[];
}

const REQUIRED = ['reference_number', 'loan_account_number', 'cif', 'amount', 'payment_date'] as const;
const LIMITS: Record<string, number> = {
  reference_number: 255,
  loan_account_number: 20,
  cif: 20,
  payment_channel: 100,
  currency: 3,
  status: 20,
  gateway: 100,
  payment_method: 100,
  merchant_id: 100,
  order_id: 255,
  customer_id: 255,
  region: 100,
  country: 2,
  gateway_txn_id: 255,
  failure_reason: 500,
};
const OPTIONAL_NUMERIC = ['fee_amount', 'tax_amount'] as const;
export const STAGING_CSV_COLUMNS = [
  ...REQUIRED,
  'metadata',
  ...Object.keys(LIMITS).filter((k) => !REQUIRED.includes(k as never)),
  ...OPTIONAL_NUMERIC,
];
const COLUMN_SET = new Set(STAGING_CSV_COLUMNS);

// Digits as written, nothing rounded; the bound only keeps absurd input out of the table (the
// recorder refuses anything above MAX_MINOR_UNITS anyway).
const DECIMAL_RE = /^\d{1,30}(\.\d{1,30})?$/;

/** Checks one CSV record against the staging table; returns the row to insert or the reason it cannot go in. */
export function stagingRowOf(record: Record<string, string>): { ok: true; row: Record<string, unknown> } | { ok: false; reason: string } {
  const row: Record<string, unknown> = {};
  for (const col of REQUIRED) {
    if (!record[col]?.trim()) return { ok: false, reason: `${col} is empty; it is required` };
  }
  for (const [col, raw] of Object.entries(record)) {
    if (!COLUMN_SET.has(col)) continue;
    const value = raw.trim();
    if (value === '') continue;
    if (!isStorableText(value)) return { ok: false, reason: `${col} ${textProblemOf(value)}` };
    const limit = LIMITS[col];
    if (limit !== undefined && value.length > limit) return { ok: false, reason: `${col} is ${value.length} characters; at most ${limit}` };
    row[col] = value;
  }
  if (!DECIMAL_RE.test(String(row.amount))) {
    return {
      ok: false,
      reason: `amount '${row.amount}' must be a non-negative decimal in major units, e.g. 1250.50 (no sign, no exponent)`,
    };
  }
  for (const col of OPTIONAL_NUMERIC) {
    if (row[col] !== undefined && !DECIMAL_RE.test(String(row[col])))
      return { ok: false, reason: `${col} '${row[col]}' must be a non-negative decimal in major units` };
  }
  const date = String(row.payment_date);
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(date) || Number.isNaN(Date.parse(date))) {
    return { ok: false, reason: `payment_date '${date}' is not an ISO 8601 date-time` };
  }
  row.payment_date = new Date(
    /(Z|[+-]\d{2}:?\d{2})$/i.test(date) || date.length === 10 ? date : `${date.replace(' ', 'T')}Z`,
  ).toISOString();
  if (row.metadata !== undefined) {
    try {
      const parsed: unknown = JSON.parse(String(row.metadata));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        return { ok: false, reason: 'metadata must be a JSON object' };
      const problem = findJsonProblem(parsed);
      if (problem !== null) {
        const where = problem.path ? `metadata.${problem.path}` : 'metadata';
        return {
          ok: false,
          reason: problem.kind === 'text' ? `${where} ${problem.reason}` : `${where} is nested too deep; flatten it`,
        };
      }
      row.metadata = parsed;
    } catch {
      return { ok: false, reason: 'metadata is not valid JSON' };
    }
  }
  return { ok: true, row };
}

const INSERT_COLUMNS = STAGING_CSV_COLUMNS.map((c) => {
  if (c === 'amount') return 'amount numeric';
  if (c === 'fee_amount' || c === 'tax_amount') return `${c} numeric`;
  if (c === 'payment_date') return 'payment_date timestamp';
  if (c === 'metadata') return 'metadata jsonb';
  return `${c} text`;
});

/** Inserts already-checked staging rows in one statement. */
export async function insertStagingRows(db: SqlExecutor, rows: readonly Record<string, unknown>[]): Promise<void> {
  if (rows.length === 0) return;
  const names = STAGING_CSV_COLUMNS.join(', ');
  await db.query(
    `INSERT INTO payment_staging (${names}) SELECT ${names} FROM json_to_recordset($1::json) AS x(${INSERT_COLUMNS.join(', ')})`,
    [JSON.stringify(rows)],
  );
}

/** Streams `file` into the staging table; `onProgress(bytesRead, totalBytes)` drives a progress bar. */
export async function loadStagingCsv(options: {
  db: SqlExecutor;
  file: string;
  chunkSize?: number;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}): Promise<CsvLoadResult> {
  const totalBytes = statSync(options.file).size;
  // A first pass finds the lines holding bytes that are not UTF-8: csv-parse would decode them to
  // U+FFFD, and two references differing only in such bytes would become one payment.
  const badLines = await linesWithInvalidUtf8(options.file);
  const invalidUtf8 = 'is not valid UTF-8 (bytes that no character encodes); save the file as UTF-8';
  if (badLines.has(1)) return { loaded: 0, rejected: [{ line: 1, reason: `the header line ${invalidUtf8}; nothing was loaded` }] };
  const chunkSize = options.chunkSize ?? 5000;
  const input = createReadStream(options.file);
  let bytesRead = 0;
  input.on('data', (chunk) => {
    bytesRead += chunk.length;
  });
  const parser = input.pipe(parse({ columns: true, skip_empty_lines: true, bom: true, relax_column_count: true, info: true }));
  const rejected: CsvReject[] = [];
  let pending: Record<string, unknown>[] = [];
  let loaded = 0;
  let previousEnd = 1;
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    let invalid = false;
    for (let line = previousEnd + 1; line <= info.lines && !invalid; line++) invalid = badLines.has(line);
    previousEnd = info.lines;
    const checked = invalid ? ({ ok: false, reason: `the row ${invalidUtf8}` } as const) : stagingRowOf(record);
    if (checked.ok) pending.push(checked.row);
    else rejected.push({ line: info.lines, reason: checked.reason });
    if (pending.length >= chunkSize) {
      await insertStagingRows(options.db, pending);
      loaded += pending.length;
      pending = [];
      options.onProgress?.(bytesRead, totalBytes);
    }
  }
  await insertStagingRows(options.db, pending);
  loaded += pending.length;
  options.onProgress?.(totalBytes, totalBytes);
  return { loaded, rejected };
}

/** The 1-based numbers of the lines of `file` that hold bytes which are not UTF-8 (streamed, any size). */
export async function linesWithInvalidUtf8(file: string): Promise<Set<number>> {
  const bad = new Set<number>();
  let line = 1;
  let carry: Buffer = Buffer.alloc(0);
  const countLines = (buf: Buffer, from: number, to: number) => {
    for (let i = buf.indexOf(0x0a, from); i !== -1 && i < to; i = buf.indexOf(0x0a, i + 1)) line++;
  };
  const scan = (buf: Buffer, final: boolean) => {
    let pos = 0;
    while (pos < buf.length) {
      const rel = firstInvalidUtf8Offset(buf.subarray(pos));
      const end = rel === -1 ? buf.length : pos + rel;
      countLines(buf, pos, end);
      if (rel === -1) return Buffer.alloc(0);
      // A character cut by the chunk boundary: look again with the next chunk.
      if (!final && end >= buf.length - 3) return Buffer.from(buf.subarray(end));
      bad.add(line);
      pos = end + 1;
    }
    return Buffer.alloc(0);
  };
  for await (const chunk of createReadStream(file)) {
    carry = scan(carry.length > 0 ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer), false);
  }
  scan(carry, true);
  return bad;
}
