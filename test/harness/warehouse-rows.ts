/**
 * A row of any warehouse table for tests that write facts straight through the port: every column
 * of `tables.ts` NULL except the fields given, so a test names only what it is about.
 */
import { type RowOf, TABLES, type TableName } from '../../src/warehouse/tables.js';

export function warehouseRow<T extends TableName>(table: T, fields: Partial<RowOf<T>>): RowOf<T> {
  const blank = Object.fromEntries(Object.keys(TABLES[table].columns).map((column) => [column, null]));
  return { ...blank, ...fields } as RowOf<T>;
}
