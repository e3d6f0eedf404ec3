import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-adapter.js';
import { statusOnlyPaymentCount, warehousePaymentsByDay } from '../../src/warehouse/queries/data-quality-queries.js';
import { listMerchants } from '../../src/warehouse/queries/merchant-queries.js';
import { runQuery } from '../../src/warehouse/typed-query.js';
import type { Warehouse } from '../../src/warehouse/warehouse-port.js';
import { testLogger } from '../harness/event-logs.js';
import { warehousePayment } from '../harness/warehouse-payments.js';

/**
 * The named warehouse queries that data quality and the merchant dimension read through, on
 * DuckDB: typed rows, and `Date` parameters bound to the millisecond (the window's bounds decide
 * which day a payment is counted in).
 */
describe('named warehouse queries on DuckDB', () => {
  let warehouse: Warehouse;
  const at = (iso: string) => new Date(iso);

  beforeAll(async () => {
    warehouse = await openDuckDbWarehouse({ path: ':memory:', logger: testLogger });
    await warehouse.transaction(async (tx) => {
      await tx.replace('payments', [
        warehousePayment('BEFORE', { payment_time: at('2026-11-09T23:59:59.999Z'), amount_minor: 1 }),
        warehousePayment('FIRST', { payment_time: at('2026-11-10T00:00:00.000Z'), amount_minor: 200 }),
        warehousePayment('LATE', { payment_time: at('2026-11-10T23:59:59.999Z'), amount_minor: 300 }),
        warehousePayment('USD', { payment_time: at('2026-11-11T12:00:00.000Z'), amount_minor: 50, currency: 'USD' }),
        warehousePayment('AT-TO', { payment_time: at('2026-11-12T00:00:00.000Z'), amount_minor: 7 }),
        warehousePayment('STATUS-ONLY', { payment_time: at('2026-11-10T08:00:00.000Z'), in_ledger: false }),
      ]);
      await tx.replace('merchants', [
        {
          merchant_id: 'M-2',
          name: 'Two',
          category: null,
          settlement_cycle: 'T+2',
          region: null,
          country: 'IN',
          updated_at: at('2026-11-01T10:00:00.123Z'),
        },
        {
          merchant_id: 'M-1',
          name: 'One',
          category: 'retail',
          settlement_cycle: null,
          region: 'west',
          country: null,
          updated_at: at('2026-11-02T10:00:00Z'),
        },
      ]);
    });
  });
  afterAll(async () => {
    await warehouse?.close();
  });

  it('counts ledger payments per UTC day and currency with from inclusive and to exclusive, to the millisecond', async () => {
    const rows = await runQuery(warehouse, warehousePaymentsByDay, { from: at('2026-11-10T00:00:00Z'), to: at('2026-11-12T00:00:00Z') });
    const sorted = [...rows].sort((a, b) => `${a.day}${a.currency}`.localeCompare(`${b.day}${b.currency}`));
    expect(sorted).toEqual([
      { day: '2026-11-10', currency: 'INR', n: 2, amount: 500 },
      { day: '2026-11-11', currency: 'USD', n: 1, amount: 50 },
    ]);
  });

  it('counts the payments known only from a status event apart', async () => {
    expect(await runQuery(warehouse, statusOnlyPaymentCount, {})).toEqual([{ n: 1 }]);
  });

  it('lists the merchant dimension by id with its nulls and update times', async () => {
    const rows = await runQuery(warehouse, listMerchants, {});
    expect(rows.map((r) => r.merchant_id)).toEqual(['M-1', 'M-2']);
    expect(rows[1]).toEqual({
      merchant_id: 'M-2',
      name: 'Two',
      category: null,
      settlement_cycle: 'T+2',
      region: null,
      country: 'IN',
      updated_at: at('2026-11-01T10:00:00.123Z'),
    });
  });
});
