import type { Refund } from './after-sale.js';
import { DAY, type DemoContext, HOUR, MINUTE, SOURCES, money } from './demo-events.js';
import type { DemoPayment, PlannedEvent } from './plan-types.js';
import type { DemoMerchant } from './world.js';

/** Settlement batches per merchant, UTC day and currency, following each merchant's cycle. */
export function settlementsOf(
  ctx: DemoContext,
  payments: readonly DemoPayment[],
  refunds: readonly ({ p: DemoPayment } & Refund)[],
  now: Date,
): PlannedEvent[] {
  const groups = new Map<string, { merchant: DemoMerchant; day: string; currency: string; payments: DemoPayment[]; refundMinor: number }>();
  const keyOf = (m: DemoMerchant, day: string, currency: string) => `${m.merchant_id}|${day}|${currency}`;
  for (const p of payments) {
    if (p.finalStatus !== 'succeeded' && p.finalStatus !== 'captured') continue;
    const day = p.time.toISOString().slice(0, 10);
    const key = keyOf(p.merchant, day, p.currency);
    let g = groups.get(key);
    if (!g) {
      g = { merchant: p.merchant, day, currency: p.currency, payments: [], refundMinor: 0 };
      groups.set(key, g);
    }
    g.payments.push(p);
  }
  for (const r of refunds) {
    const g = groups.get(keyOf(r.p.merchant, r.time.toISOString().slice(0, 10), r.p.currency));
    if (g) g.refundMinor += r.amountMinor;
  }
  const events: PlannedEvent[] = [];
  const sorted = [...groups.values()].sort((a, b) =>
    a.day === b.day ? keyOf(a.merchant, a.day, a.currency).localeCompare(keyOf(b.merchant, b.day, b.currency)) : a.day.localeCompare(b.day),
  );
  for (const g of sorted) {
    const dayStart = Date.parse(`${g.day}T00:00:00Z`);
    const created = new Date(dayStart + DAY + 2 * HOUR + ctx.rng.int(0, 59) * MINUTE);
    if (created > now) continue;
    const cycle = g.merchant.cycleDays;
    const gross = g.payments.reduce((s, p) => s + p.amountMinor, 0);
    const fee = g.payments.reduce((s, p) => s + p.feeMinor, 0);
    const tax = g.payments.reduce((s, p) => s + p.taxMinor, 0);
    const batchId = `setl_${g.day.replaceAll('-', '')}_${g.merchant.merchant_id.replace('-', '')}_${g.currency}`;
    const fields = {
      batch_id: batchId,
      merchant_id: g.merchant.merchant_id,
      settlement_cycle: g.merchant.settlement_cycle,
      gross_amount: money(gross, g.currency),
      fee_amount: money(fee, g.currency),
      tax_amount: money(tax, g.currency),
      refund_amount: money(g.refundMinor, g.currency),
      net_amount: { amount_minor: gross - fee - tax - g.refundMinor, currency: g.currency },
      payment_count: g.payments.length,
      payment_references: g.payments.map((p) => p.reference),
    };
    const settleDay = new Date(dayStart + cycle * DAY).toISOString().slice(0, 10);
    events.push({
      event: ctx.event(
        'settlement.batch_created',
        SOURCES.settlements,
        created,
        { ...fields, status: 'PENDING', expected_settlement_date: settleDay },
        batchId,
      ),
      afterRecording: false,
    });
    const reconciled = new Date(dayStart + cycle * DAY + 5 * HOUR + ctx.rng.int(0, 120) * MINUTE);
    if (reconciled > now) continue;
    events.push({
      event: ctx.event(
        'settlement.batch_created',
        SOURCES.settlements,
        reconciled,
        { ...fields, status: 'RECONCILED', expected_settlement_date: settleDay },
        batchId,
      ),
      afterRecording: false,
    });
    const settled = new Date(dayStart + cycle * DAY + 9 * HOUR + ctx.rng.int(0, 180) * MINUTE);
    if (settled > now) continue;
    events.push({
      event: ctx.event(
        'settlement.completed',
        SOURCES.settlements,
        settled,
        { ...fields, status: 'SETTLED', settlement_date: settleDay, bank_reference: `UTR${ctx.rng.token(12, '0123456789')}` },
        batchId,
      ),
      afterRecording: false,
    });
  }
  return events;
}
