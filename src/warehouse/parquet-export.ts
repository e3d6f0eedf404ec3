import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TABLES, TABLE_NAMES, type TableName } from './tables.js';
import type { ExportRequest, ExportResult } from './warehouse-port.js';

/** What an engine supplies to the Parquet export: per-day row counts, and one day written to a file. */
export interface DailyParquetWriter {
  /** Rows per UTC day (`YYYY-MM-DD`) of `table` on its time column, from `from` to `to` inclusive. */
  countByDay(table: TableName, timeColumn: string, from: string, to: string): Promise<Map<string, number>>;
  /** Writes the rows of one UTC day of `table`, ordered by its time column, as Parquet at `path`. */
  writeDay(table: TableName, timeColumn: string, day: string, path: string): Promise<void>;
}

/**
 * The Hive layout every engine exports (`DIR/<table>/date=YYYY-MM-DD/part-0.parquet`): each
 * (table, day) is replaced whole — written aside, then renamed — so re-running is idempotent and a
 * reader never sees half a file; a day without rows leaves no directory.
 */
export async function exportDailyParquet(request: ExportRequest, writer: DailyParquetWriter): Promise<ExportResult> {
  const tables = request.tables ?? TABLE_NAMES.filter((t) => t !== 'applied_events');
  const days = daysBetween(request.from, request.to);
  const files: ExportResult['files'] = [];
  const total = tables.length * days.length;
  let done = 0;
  for (const table of tables) {
    const time = TABLES[table].timeColumn;
    const counts = await writer.countByDay(table, time, request.from, request.to);
    for (const day of days) {
      const rows = counts.get(day) ?? 0;
      const partition = join(request.dir, table, `date=${day}`);
      const path = join(partition, 'part-0.parquet');
      rmSync(partition, { recursive: true, force: true });
      if (rows > 0) {
        mkdirSync(partition, { recursive: true });
        const tmp = join(partition, '.part-0.parquet.tmp');
        await writer.writeDay(table, time, day, tmp);
        renameSync(tmp, path);
        files.push({ table, date: day, path, rows });
      }
      done++;
      request.onProgress?.(done, total, { table, date: day, rows });
    }
  }
  return { files };
}

function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}
