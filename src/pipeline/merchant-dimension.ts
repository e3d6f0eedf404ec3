import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { ErrorCode, type Failure, type Result, err, failure, ok } from '../core/errors.js';
import { listMerchants } from '../warehouse/queries/merchant-queries.js';
import type { RowOf } from '../warehouse/tables.js';
import { runQuery } from '../warehouse/typed-query.js';
import type { Warehouse } from '../warehouse/warehouse-port.js';
import type { PaymentRow, SettlementRow } from './facts/index.js';

/**
 * The merchant dimension: names, categories and settlement cycles, loaded from a CSV file or the
 * API into the warehouse's `merchants` table and held in memory by the consumer, which copies the
 * name and cycle onto payments and settlements as they land. Loading merchants also fills the
 * payments and settlements already stored for them, so enrichment does not depend on order.
 */
export interface MerchantDirectory {
  enrichPayment(row: PaymentRow): PaymentRow;
  enrichSettlement(row: SettlementRow): SettlementRow;
  /** Upserts merchants and back-fills stored facts; returns how many rows were written. */
  load(merchants: readonly Merchant[]): Promise<{ merchants: number; payments_updated: number; settlements_updated: number }>;
  /** Reads the dimension from the warehouse (at start). */
  refresh(): Promise<void>;
  size(): number;
}

export const merchantSchema = z.strictObject({
  merchant_id: z.string().min(1).max(100),
  name: z.string().min(1).max(255),
  category: z.string().max(100).nullish(),
  settlement_cycle: z
    .string()
    .regex(/^T\+\d{1,2}$/, { error: 'must look like T+1 or T+2 (days after the payment the merchant is paid)' })
    .nullish(),
  region: z.string().max(100).nullish(),
  country: z
    .string()
    .regex(/^[A-Z]{2}$/, { error: 'must be a two-letter upper-case ISO 3166-1 code' })
    .nullish(),
});
export type Merchant = z.output<typeof merchantSchema>;

export function createMerchantDirectory(warehouse: Warehouse): MerchantDirectory {
  let byId = new Map<string, RowOf<'merchants'>>();
  return {
    enrichPayment(row) {
      const m = row.merchant_id ? byId.get(row.merchant_id) : undefined;
      return m ? { ...row, merchant_name: m.name, settlement_cycle: m.settlement_cycle } : row;
    },
    enrichSettlement(row) {
      const m = row.merchant_id ? byId.get(row.merchant_id) : undefined;
      return m ? { ...row, merchant_name: m.name, settlement_cycle: row.settlement_cycle ?? m.settlement_cycle } : row;
    },
    async load(merchants) {
      const now = new Date();
      const rows: RowOf<'merchants'>[] = merchants.map((m) => ({
        merchant_id: m.merchant_id,
        name: m.name,
        category: m.category ?? null,
        settlement_cycle: m.settlement_cycle ?? null,
        region: m.region ?? null,
        country: m.country ?? null,
        updated_at: now,
      }));
      const counts = await warehouse.transaction(async (tx) => {
        await tx.replace('merchants', rows);
        return tx.backfillMerchants(merchants.map((m) => m.merchant_id));
      });
      for (const r of rows) byId.set(r.merchant_id as string, r);
      return { merchants: rows.length, ...counts };
    },
    async refresh() {
      const rows = await runQuery(warehouse, listMerchants, {});
      byId = new Map(rows.map((r) => [r.merchant_id, r]));
    },
    size: () => byId.size,
  };
}

/**
 * Reads merchants from CSV text with a header row (merchant_id,name,category,settlement_cycle,
 * region,country; only the first two are required). Every bad row is reported by line; none is
 * loaded unless all are valid, so a half-loaded dimension never enriches half the facts.
 */
export function parseMerchantsCsv(text: string): Result<Merchant[], Failure> {
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (error) {
    return err(failure(ErrorCode.VALIDATION_FAILED, `the merchants file is not valid CSV: ${(error as Error).message}`));
  }
  return validateMerchants(
    records.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === '' ? null : v]))),
    2,
  );
}

/** Validates merchants given as JSON objects (the API's body) or parsed CSV rows. */
export function validateMerchants(inputs: readonly unknown[], firstLine = 0): Result<Merchant[], Failure> {
  const merchants: Merchant[] = [];
  const issues: { row: number; field: string; message: string }[] = [];
  const seen = new Set<string>();
  for (const [i, input] of inputs.entries()) {
    const r = merchantSchema.safeParse(input);
    if (!r.success) {
      for (const issue of r.error.issues)
        issues.push({ row: i + firstLine, field: issue.path.join('.') || '(row)', message: issue.message });
    } else if (seen.has(r.data.merchant_id)) {
      issues.push({ row: i + firstLine, field: 'merchant_id', message: `${r.data.merchant_id} appears twice` });
    } else {
      seen.add(r.data.merchant_id);
      merchants.push(r.data);
    }
  }
  if (issues.length > 0) {
    const where = firstLine > 0 ? 'line' : 'item';
    const shown = issues.slice(0, 10).map((x) => `${where} ${x.row}: ${x.field} ${x.message}`);
    return err(failure(ErrorCode.VALIDATION_FAILED, `${issues.length} problem(s) in the merchants: ${shown.join('; ')}`, { issues }));
  }
  return ok(merchants);
}
