import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PaymentPosition, PaymentSelection } from '../../src/warehouse/payment-reads.js';
import { seeded } from '../harness/analytics-data.js';
import { warehousePayment, writePayments } from '../harness/warehouse-payments.js';
import { type TestWarehouse, describeEachWarehouse, openTestWarehouse } from '../harness/warehouses.js';

/**
 * The payments explorer's reads on every engine: keyset pages cover the selection once each in
 * `payment_time DESC, reference DESC` order (ties on time included), the count and the stream
 * agree with the pages, and a payment is found by id or reference with its history.
 */

const rnd = seeded(5);
const BASE = Date.UTC(2026, 10, 10, 10, 0);
// 300 payments on 40 distinct instants (many ties), some replaced by a later version.
const rows = Array.from({ length: 300 }, (_, i) =>
  warehousePayment(`REF-${String(i).padStart(3, '0')}`, {
    payment_time: new Date(BASE + Math.floor(rnd() * 40) * 61_007),
    gateway: i % 2 === 0 ? 'razorpay' : 'stripe',
    status: i % 5 === 0 ? 'failed' : 'succeeded',
  }),
);
const newer = rows.slice(0, 30).map((r) => ({ ...r, status: 'refunded', amount_minor: 1 }));

const byOrder = (a: (typeof rows)[number], b: (typeof rows)[number]) =>
  (b.payment_time as Date).getTime() - (a.payment_time as Date).getTime() ||
  (String(a.reference_number) < String(b.reference_number) ? 1 : String(a.reference_number) > String(b.reference_number) ? -1 : 0);

describeEachWarehouse('payment reads', (engine) => {
  let w: TestWarehouse;
  beforeAll(async () => {
    w = await openTestWarehouse(engine);
    await writePayments(w.warehouse, rows);
    await writePayments(w.warehouse, newer);
    await w.warehouse.transaction((tx) =>
      tx.append('payment_status_history', [
        {
          event_id: 'ev-1',
          reference_number: 'REF-001',
          event_type: 'payment.recorded',
          status: 'succeeded',
          event_time: new Date(BASE),
          amount_minor: 10_000,
          currency: 'INR',
          failure_code: null,
          failure_reason: null,
          failure_category: null,
          from_status: null,
          to_status: 'succeeded',
          applied: true,
          version: 1,
        },
      ]),
    );
  });
  afterAll(() => w?.close());

  const selections: [string, PaymentSelection, (r: (typeof rows)[number]) => boolean][] = [
    ['everything', { filters: {} }, () => true],
    [
      'a gateway and a time range',
      { filters: { gateway: ['stripe'] }, from: new Date(BASE + 5 * 61_007), to: new Date(BASE + 30 * 61_007) },
      (r) =>
        r.gateway === 'stripe' &&
        (r.payment_time as Date).getTime() >= BASE + 5 * 61_007 &&
        (r.payment_time as Date).getTime() < BASE + 30 * 61_007,
    ],
    ['a reference prefix', { filters: {}, search: 'REF-01' }, (r) => String(r.reference_number).startsWith('REF-01')],
  ];

  for (const [name, selection, keep] of selections) {
    it(`pages, counts and streams ${name} once each, newest first`, async () => {
      const current = new Map([...rows, ...newer].map((r) => [r.reference_number, r]));
      const expected = [...current.values()]
        .filter(keep)
        .sort(byOrder)
        .map((r) => r.reference_number);
      const paged: string[] = [];
      let after: PaymentPosition | null = null;
      for (;;) {
        const page = await w.warehouse.listPayments(selection, { after, limit: 17 });
        paged.push(...page.map((p) => String(p.reference_number)));
        if (page.length < 17) break;
        after = page[page.length - 1]?.position ?? null;
      }
      expect(paged).toEqual(expected);
      expect(await w.warehouse.countPayments(selection)).toBe(expected.length);
      const streamed: string[] = [];
      for await (const chunk of w.warehouse.streamPayments(selection)) streamed.push(...chunk.map((p) => String(p.reference_number)));
      expect(streamed).toEqual(expected);
    });
  }

  it('reads the newest version of a replaced payment, and finds one by id or reference with its history', async () => {
    const byRef = await w.warehouse.findPayment('REF-001');
    expect(byRef?.payment).toMatchObject({ reference_number: 'REF-001', status: 'refunded', amount_minor: 1 });
    expect(byRef?.statusHistory.map((h) => h.event_id)).toEqual(['ev-1']);
    expect((await w.warehouse.findPayment('pid-REF-002'))?.payment.reference_number).toBe('REF-002');
    expect(await w.warehouse.findPayment('nope')).toBeNull();
  });
});
