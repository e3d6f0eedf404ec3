import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../harness/app.js';
import { postEvents } from '../harness/event-capture.js';
import { waitFor } from '../harness/event-logs.js';
import { cloudEvent } from '../harness/events.js';
import { warehousePayment, writePayments } from '../harness/warehouse-payments.js';

/**
 * The payments explorer (GET /api/v1/payments, /export, /:id) over real payments: three sent
 * through POST /api/v1/events and the pipeline (with a refund, a dispute and a settlement batch),
 * and randomised ones written through the Warehouse port for the paging property.
 */

interface Item {
  reference_number: string;
  payment_id: string | null;
  customer_hash: string | null;
  payment_time: string;
  status: string;
  [k: string]: unknown;
}
interface Page {
  items: Item[];
  total: number;
  limit: number;
  next_cursor: string | null;
  masked: string[];
}

let t: TestApp;
let analyst: string;
const inr = (amount_minor: number) => ({ amount_minor, currency: 'INR' });
const at = (h: number) => new Date(Date.parse('2026-11-10T03:00:00Z') + h * 3_600_000);

beforeAll(async () => {
  t = await startTestApp('pglite');
  analyst = await t.createKey(['analyst']);
  const pay = (i: number, type: 'payment.succeeded' | 'payment.failed', extra: Record<string, unknown> = {}) =>
    cloudEvent(
      type,
      {
        reference_number: `EX-${i}`,
        payment_id: `pay-ex-${i}`,
        amount: inr(10_000 * i),
        gateway: i === 2 ? 'stripe' : 'razorpay',
        payment_method: 'upi',
        merchant_id: 'M-EX',
        order_id: `order-ex-${i}`,
        gateway_txn_id: `gw-ex-${i}`,
        customer_id: `customer-${i}`,
        ...extra,
      } as never,
      { time: at(i) },
    );
  const payments = [
    pay(1, 'payment.succeeded'),
    pay(2, 'payment.failed', { failure_code: 'U30', failure_reason: 'insufficient funds' }),
    pay(3, 'payment.succeeded'),
  ];
  expect((await postEvents(t.url, payments)).body.rejected).toBe(0);
  const wh = t.app.warehouse;
  await waitFor(async () => (await wh?.query<{ n: number }>('SELECT count(*)::INT AS n FROM payments'))?.[0]?.n === 3, 'payments');
  const after = [
    cloudEvent(
      'payment.refunded',
      { refund_id: 'rf-ex-1', reference_number: 'EX-1', amount: inr(2_500), reason: 'requested_by_customer' },
      { time: at(5) },
    ),
    cloudEvent(
      'payment.dispute_opened',
      { dispute_id: 'dp-ex-1', reference_number: 'EX-1', amount: inr(10_000), status: 'needs_response' },
      { time: at(6) },
    ),
    cloudEvent(
      'settlement.batch_created',
      {
        batch_id: 'B-EX',
        merchant_id: 'M-EX',
        settlement_cycle: 'T+1',
        status: 'PENDING',
        payment_references: ['EX-1'],
        gross_amount: inr(10_000),
        fee_amount: inr(0),
        net_amount: inr(10_000),
        payment_count: 1,
      },
      { time: at(7) },
    ),
  ];
  expect((await postEvents(t.url, after)).body.rejected).toBe(0);
  await waitFor(
    async () =>
      (await wh?.query<{ n: number }>(`SELECT count(*)::INT AS n FROM payments WHERE settlement_batch_id = 'B-EX'`))?.[0]?.n === 1,
    'settlement',
  );
  await waitFor(async () => (await wh?.query<{ n: number }>('SELECT count(*)::INT AS n FROM disputes'))?.[0]?.n === 1, 'dispute');
}, 60_000);
afterAll(() => t?.stop());

const get = async <T>(path: string, key = analyst) => {
  const res = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, headers: res.headers, body: (await res.json()) as T };
};

describe('GET /api/v1/payments (happy)', () => {
  it('lists the payments newest first with the total, personal columns null for an analyst', async () => {
    const res = await get<Page>('/api/v1/payments?merchant=M-EX');
    expect(res.status).toBe(200);
    expect(res.body.items.map((i) => i.reference_number)).toEqual(['EX-3', 'EX-2', 'EX-1']);
    expect(res.body).toMatchObject({ total: 3, limit: 50, next_cursor: null, masked: ['customer_hash', 'cif_hash', 'loan_account_hash'] });
    expect(res.body.items.every((i) => i.customer_hash === null)).toBe(true);
    expect(res.body.items[1]).toMatchObject({
      status: 'failed',
      failure_code: 'U30',
      amount_minor: 20_000,
      currency: 'INR',
      gateway: 'stripe',
    });
  });

  it('shows the pseudonyms to an admin', async () => {
    const res = await get<Page>('/api/v1/payments?merchant=M-EX', t.adminKey);
    expect(res.body.masked).toEqual([]);
    expect(res.body.items.every((i) => typeof i.customer_hash === 'string' && i.customer_hash.length > 0)).toBe(true);
  });

  it('finds a payment by reference, payment id, order id, gateway id and reference prefix', async () => {
    for (const q of ['EX-2', 'pay-ex-2', 'order-ex-2', 'gw-ex-2']) {
      const res = await get<Page>(`/api/v1/payments?q=${encodeURIComponent(q)}`);
      expect(
        res.body.items.map((i) => i.reference_number),
        q,
      ).toEqual(['EX-2']);
    }
    expect((await get<Page>('/api/v1/payments?q=EX-')).body.total).toBe(3);
    expect((await get<Page>('/api/v1/payments?q=nothing-like-it')).body).toMatchObject({ items: [], total: 0, next_cursor: null });
  });

  it('applies the Payments page filters: status, gateway, currency and a date range in a time zone', async () => {
    expect((await get<Page>('/api/v1/payments?merchant=M-EX&status=failed')).body.items.map((i) => i.reference_number)).toEqual(['EX-2']);
    expect((await get<Page>('/api/v1/payments?merchant=M-EX&gateway=razorpay&currency=inr')).body.total).toBe(2);
    // 2026-11-10 in Asia/Kolkata is 2026-11-09T18:30Z … 2026-11-10T18:30Z: all three (04:00–06:00Z).
    expect((await get<Page>('/api/v1/payments?merchant=M-EX&from=2026-11-10&to=2026-11-10&tz=Asia/Kolkata')).body.total).toBe(3);
    // From 05:00Z on: EX-2 and EX-3.
    expect((await get<Page>('/api/v1/payments?merchant=M-EX&from=2026-11-10T05:00:00Z&to=2026-11-11')).body.total).toBe(2);
  });

  it('returns one payment with its status history, refunds, disputes, settlement and events in time order', async () => {
    for (const id of ['pay-ex-1', 'EX-1']) {
      const res = await get<{
        payment: Item;
        status_history: { status: string }[];
        refunds: { refund_id: string; amount_minor: number; customer_hash: string | null }[];
        disputes: { dispute_id: string }[];
        settlement: { batch_id: string; status: string } | null;
        events: { type: string; time: string }[];
      }>(`/api/v1/payments/${id}`);
      expect(res.status, id).toBe(200);
      expect(res.body.payment).toMatchObject({
        reference_number: 'EX-1',
        payment_id: 'pay-ex-1',
        customer_hash: null,
        settlement_batch_id: 'B-EX',
      });
      expect(res.body.status_history.map((h) => h.status)).toEqual(['succeeded']);
      expect(res.body.refunds).toMatchObject([{ refund_id: 'rf-ex-1', amount_minor: 2_500, customer_hash: null }]);
      expect(res.body.disputes).toMatchObject([{ dispute_id: 'dp-ex-1' }]);
      expect(res.body.settlement).toMatchObject({ batch_id: 'B-EX', status: 'PENDING' });
      expect(res.body.events.map((e) => e.type)).toEqual([
        'payment.succeeded',
        'payment.refunded',
        'payment.dispute_opened',
        'settlement.batch_created',
      ]);
    }
  });

  it('returns a payment’s lifecycle: its amounts and its history in event time with what the ledger did with each event', async () => {
    const wh = t.app.warehouse as NonNullable<typeof t.app.warehouse>;
    const history = (event_id: string, minute: number, status: string, extra: Record<string, unknown>) => ({
      event_id,
      reference_number: 'LC-1',
      event_type: 'payment.status_changed',
      status,
      event_time: new Date(Date.parse('2026-11-11T10:00:00Z') + minute * 60_000),
      amount_minor: 8_000,
      currency: 'INR',
      failure_code: null,
      failure_reason: null,
      failure_category: null,
      from_status: null,
      to_status: null,
      applied: null,
      version: null,
      ...extra,
    });
    await writePayments(wh, [
      warehousePayment('LC-1', {
        payment_id: 'pay-lc-1',
        status: 'captured',
        amount_minor: 10_000,
        authorized_minor: 10_000,
        captured_minor: 8_000,
        ledger_version: 3,
        payment_time: new Date('2026-11-11T10:00:00Z'),
      }),
    ]);
    // Appended in arrival order: the capture first, the authorisation (earlier in event time) after it.
    await wh.transaction((tx) =>
      tx.append('payment_status_history', [
        history('e-rec', 2, 'captured', { event_type: 'payment.recorded', to_status: 'captured', applied: true, version: 1 }),
        history('e-auth', 0, 'authorized', {
          amount_minor: 10_000,
          from_status: 'captured',
          to_status: 'captured',
          applied: false,
          version: 2,
        }),
        history('e-fail', 5, 'failed', { from_status: 'captured', to_status: 'captured', applied: false, version: 3 }),
      ]),
    );
    const res = await get<{
      payment: Record<string, unknown>;
      status_history: Record<string, unknown>[];
      events: { type: string; summary: string }[];
    }>('/api/v1/payments/pay-lc-1');
    expect(res.status).toBe(200);
    expect(res.body.events.map((e) => e.summary)).toEqual(['authorized · kept (captured)', 'captured', 'failed · kept (captured)']);
    expect(res.body.payment).toMatchObject({ authorized_minor: 10_000, captured_minor: 8_000, refunded_minor: 0, ledger_version: 3 });
    expect(
      res.body.status_history.map(({ event_id, status, from_status, to_status, applied, version, amount_minor, event_time }) => ({
        event_id,
        status,
        from_status,
        to_status,
        applied,
        version,
        amount_minor,
        event_time,
      })),
    ).toEqual([
      {
        event_id: 'e-auth',
        status: 'authorized',
        from_status: 'captured',
        to_status: 'captured',
        applied: false,
        version: 2,
        amount_minor: 10_000,
        event_time: '2026-11-11T10:00:00.000Z',
      },
      {
        event_id: 'e-rec',
        status: 'captured',
        from_status: null,
        to_status: 'captured',
        applied: true,
        version: 1,
        amount_minor: 8_000,
        event_time: '2026-11-11T10:02:00.000Z',
      },
      {
        event_id: 'e-fail',
        status: 'failed',
        from_status: 'captured',
        to_status: 'captured',
        applied: false,
        version: 3,
        amount_minor: 8_000,
        event_time: '2026-11-11T10:05:00.000Z',
      },
    ]);
  });

  it('writes every list, detail and export call to the audit log with the rows returned', async () => {
    const before = await t.app.store.query<{ n: number }>(
      `SELECT count(*)::INT AS n FROM payment_service.audit_log WHERE path LIKE '/api/v1/payments%'`,
    );
    await get<Page>('/api/v1/payments?merchant=M-EX&limit=2');
    await get('/api/v1/payments/EX-2');
    await (await fetch(`${t.url}/api/v1/payments/export?merchant=M-EX`, { headers: { authorization: `Bearer ${analyst}` } })).text();
    await waitFor(async () => {
      const { rows } = await t.app.store.query<{ n: number }>(
        `SELECT count(*)::INT AS n FROM payment_service.audit_log WHERE path LIKE '/api/v1/payments%'`,
      );
      return (rows[0]?.n ?? 0) >= (before.rows[0]?.n ?? 0) + 3;
    }, 'audit rows');
    const { rows } = await t.app.store.query<{ path: string; rows: number; role: string; status: number }>(
      `SELECT path, rows, role, status FROM payment_service.audit_log WHERE path LIKE '/api/v1/payments%' ORDER BY id DESC LIMIT 3`,
    );
    expect(rows.map((r) => [r.path, r.rows, r.role, r.status]).sort()).toEqual(
      [
        ['/api/v1/payments', 2, 'analyst', 200],
        ['/api/v1/payments/EX-2', 1, 'analyst', 200],
        ['/api/v1/payments/export', 3, 'analyst', 200],
      ].sort(),
    );
  });
});

describe('GET /api/v1/payments/export (happy)', () => {
  it('streams the selection as CSV: a header and one line per payment of the filter, pseudonyms empty for an analyst', async () => {
    const res = await fetch(`${t.url}/api/v1/payments/export?merchant=M-EX`, { headers: { authorization: `Bearer ${analyst}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="payments-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = (await res.text()).trimEnd().split('\r\n');
    const header = lines[0]?.split(',') ?? [];
    expect(header.slice(0, 6)).toEqual(['payment_id', 'reference_number', 'payment_time', 'status', 'amount_minor', 'currency']);
    const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i], v])));
    expect(rows.map((r) => r.reference_number)).toEqual(['EX-3', 'EX-2', 'EX-1']);
    expect(rows.every((r) => r.customer_hash === '' && r.cif_hash === '')).toBe(true);
    expect(rows[1]?.failure_reason).toBe('insufficient funds');

    const admin = await (await fetch(`${t.url}/api/v1/payments/export?merchant=M-EX`, { headers: t.auth })).text();
    const adminHeader = admin.split('\r\n')[0]?.split(',') ?? [];
    const hashAt = adminHeader.indexOf('customer_hash');
    expect(
      admin
        .split('\r\n')
        .slice(1, 4)
        .every((l) => (l.split(',')[hashAt] ?? '').length > 0),
    ).toBe(true);
  });
});

describe('keyset pagination (property)', () => {
  it('pages cover every payment of the filter exactly once, in list order, whatever the page size and ties in time', async () => {
    const wh = t.app.warehouse;
    if (!wh) throw new Error('no warehouse');
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ minute: fc.integer({ min: 0, max: 5 }), status: fc.constantFrom('succeeded', 'failed', 'pending') }), {
          minLength: 0,
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom('', 'succeeded'),
        async (specs, limit, status) => {
          const merchant = `M-PROP-${run++}`;
          const rows = specs.map((s, i) =>
            warehousePayment(`${merchant}-${String(i).padStart(3, '0')}`, {
              merchant_id: merchant,
              status: s.status,
              payment_time: new Date(Date.parse('2026-11-01T00:00:00Z') + s.minute * 60_000),
            }),
          );
          await writePayments(wh, rows);
          const query = `merchant=${merchant}${status ? `&status=${status}` : ''}&limit=${limit}`;
          const seen: string[] = [];
          let cursor: string | null = null;
          let total = -1;
          for (let pages = 0; pages < 100; pages++) {
            const res: { status: number; body: Page } = await get<Page>(`/api/v1/payments?${query}${cursor ? `&cursor=${cursor}` : ''}`);
            expect(res.status).toBe(200);
            expect(res.body.items.length).toBeLessThanOrEqual(limit);
            total = res.body.total;
            seen.push(...res.body.items.map((i) => i.reference_number));
            cursor = res.body.next_cursor;
            if (!cursor) break;
          }
          const expected = rows
            .filter((r) => !status || r.status === status)
            .sort(
              (a, b) =>
                (b.payment_time?.getTime() ?? 0) - (a.payment_time?.getTime() ?? 0) || (a.reference_number! < b.reference_number! ? 1 : -1),
            )
            .map((r) => r.reference_number);
          expect(seen).toEqual(expected);
          expect(new Set(seen).size).toBe(seen.length);
          expect(total).toBe(expected.length);
          // The export of the same filter holds the same payments.
          const csv = await (
            await fetch(`${t.url}/api/v1/payments/export?${query}`, { headers: { authorization: `Bearer ${analyst}` } })
          ).text();
          expect(csv.trimEnd().split('\r\n').length - 1).toBe(expected.length);
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);

  it('exports more rows than one warehouse chunk, each exactly once', async () => {
    const wh = t.app.warehouse;
    if (!wh) throw new Error('no warehouse');
    const n = 5_000;
    const rows = Array.from({ length: n }, (_, i) =>
      warehousePayment(`BULK-${String(i).padStart(5, '0')}`, {
        merchant_id: 'M-BULK',
        payment_time: new Date(Date.parse('2026-10-01T00:00:00Z') + i * 1000),
      }),
    );
    await writePayments(wh, rows);
    const count = (await get<Page>('/api/v1/payments?merchant=M-BULK&limit=1')).body.total;
    expect(count).toBe(n);
    const csv = await (
      await fetch(`${t.url}/api/v1/payments/export?merchant=M-BULK`, { headers: { authorization: `Bearer ${analyst}` } })
    ).text();
    const refs = csv
      .trimEnd()
      .split('\r\n')
      .slice(1)
      .map((l) => l.split(',')[1]);
    expect(refs.length).toBe(count);
    expect(new Set(refs).size).toBe(n);
    expect(refs[0]).toBe('BULK-04999');
  }, 60_000);
});
