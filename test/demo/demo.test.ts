import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateEvent } from '../../src/contracts/index.js';
import { generateDemo } from '../../src/cli/demo/generate.js';
import { type DemoSummary, runDemo, stagingCsv } from '../../src/cli/demo/run-demo.js';
import { stagingSinkOf } from '../../src/cli/demo/staging-sink.js';
import { normalisePayment } from '../../src/recorder/payment.js';
import { stagingRowOf } from '../../src/sources/staging/staging-csv-loader.js';
import { razorpayAdapter } from '../../src/sources/webhooks/channels/razorpay-adapter.js';
import { stripeAdapter } from '../../src/sources/webhooks/channels/stripe-adapter.js';
import { TEST_SECRETS, type TestApp, startTestApp } from '../harness/app.js';
import { waitFor } from '../harness/event-logs.js';

/**
 * `payscope demo` end to end: a small demo sent to the real app through every ingestion path is
 * accepted (the only non-created answers are the intended Stripe duplicates), the ledger grows by
 * exactly what the demo says it created, and the warehouse catches up to the ledger. And the
 * generator is deterministic and produces only what the contracts and adapters accept.
 */

interface Quality {
  conservation: { ok: boolean; ledger: { count: number }; warehouse: { count: number }; in_flight: number | null };
}

describe('payscope demo against the running app (embedded store)', () => {
  let t: TestApp;
  let apiKey: string | null;
  let summary: DemoSummary;
  const now = new Date();

  beforeAll(async () => {
    t = await startTestApp('pglite');
    apiKey = (t as { adminKey?: string }).adminKey ?? null;
    const processor = t.app.stagingWorkers[0];
    if (!processor) throw new Error('the test app runs no staging worker');
    summary = await runDemo({
      url: t.url,
      payments: 300,
      days: 3,
      seed: 'test-demo',
      now,
      secrets: TEST_SECRETS,
      apiKey,
      staging: stagingSinkOf({ db: t.app.store, processor }),
    });
  }, 120_000);
  afterAll(() => t?.stop());

  it('uses every ingestion path and the server accepts everything but the intended duplicates', () => {
    expect(summary.merchants).toEqual({ loaded: expect.any(Number) });
    for (const channel of ['default', 'razorpay', 'stripe'] as const) {
      const path = summary.webhooks[channel];
      expect(path.sent, channel).toBeGreaterThan(0);
      expect(path.created, channel).toBeGreaterThan(0);
      expect(path.rejected, channel).toBe(0);
    }
    expect(summary.staging.mode).toBe('table');
    expect(summary.staging.created).toBeGreaterThan(0);
    expect(summary.staging).toMatchObject({ duplicates: 0, rejected: 0 });
    expect(summary.staging.created).toBe(summary.planned.byPath.staging);
    expect(summary.events.sent).toBeGreaterThan(0);
    expect(summary.events).toMatchObject({ duplicates: 0, rejected: 0, created: summary.events.sent });
    expect(summary.rejections).toEqual([]);
    // Duplicates only where intended: Stripe's second event for a payment already recorded.
    expect(summary.webhooks.default.duplicates + summary.webhooks.razorpay.duplicates).toBe(0);
    expect(summary.webhooks.stripe.duplicates).toBe(summary.planned.intendedDuplicates);
    expect(summary.paymentsCreated).toBe(300);
    // Razorpay's payment.captured after payment.authorized, the generic body's later status: transitions.
    expect(summary.webhooks.razorpay.transitions + summary.webhooks.default.transitions).toBeGreaterThan(0);
    expect(summary.webhooks.razorpay.sent).toBe(summary.webhooks.razorpay.created + summary.webhooks.razorpay.transitions);
  });

  it('the ledger holds exactly the payments the demo created, and the warehouse catches up to it', async () => {
    const ledger = await t.app.store.query<{ n: number }>('SELECT count(*)::bigint AS n FROM payment_service.payments');
    expect(Number(ledger.rows[0]?.n)).toBe(summary.paymentsCreated);
    const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
    let last: Quality | null = null;
    await waitFor(async () => {
      const res = await fetch(`${t.url}/api/v1/data-quality?days=5`, { headers });
      last = (await res.json()) as Quality;
      return last.conservation.in_flight === 0 && last.conservation.ok && last.conservation.warehouse.count === summary.paymentsCreated;
    }, 'the analytics consumer to catch up with the ledger');
    expect(last).toMatchObject({ conservation: { ok: true, ledger: { count: summary.paymentsCreated } } });
  });

  it('every failed demo payment reaches the warehouse with its gateway code and a failure category', async () => {
    const wh = t.app.warehouse;
    if (!wh) throw new Error('the test app has no warehouse');
    const rows = await wh.query<{ gateway: string; failure_code: string | null; failure_category: string | null; n: number }>(
      `SELECT gateway, failure_code, failure_category, count(*)::INTEGER AS n FROM payments WHERE status = 'failed' GROUP BY ALL`,
    );
    const failed = rows.reduce((n, r) => n + r.n, 0);
    expect(failed).toBeGreaterThan(5);
    expect(rows.filter((r) => r.failure_code === null || r.failure_category === null)).toEqual([]);
    // Every gateway's codes map to the vocabulary; the demo's failures are not mostly unexplained.
    const other = rows.filter((r) => r.failure_category === 'other').reduce((n, r) => n + r.n, 0);
    expect(other / failed).toBeLessThan(0.3);
    expect(new Set(rows.map((r) => r.gateway))).toEqual(new Set(['razorpay', 'stripe', 'payu', 'cashfree']));
  });

  it('a second run with the same seed sends the same data and is answered as duplicates only', async () => {
    const processor = t.app.stagingWorkers[0];
    if (!processor) throw new Error('no staging worker');
    const again = await runDemo({
      url: t.url,
      payments: 300,
      days: 3,
      seed: 'test-demo',
      now,
      secrets: TEST_SECRETS,
      apiKey,
      staging: stagingSinkOf({ db: t.app.store, processor }),
    });
    expect(again.paymentsCreated).toBe(0);
    expect(again.events.created).toBe(0);
    expect(again.events.duplicates).toBe(again.events.sent);
    expect(again.staging.duplicates).toBe(summary.staging.created);
    expect(again.rejections).toEqual([]);
  });
});

describe('the demo generator', () => {
  const options = { payments: 400, days: 10, seed: 7, now: new Date('2026-03-15T12:00:00Z') };

  it('is deterministic: the same seed gives the same deliveries, another seed different ones', () => {
    const a = generateDemo(options);
    const b = generateDemo(options);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(stagingCsv(b.staging)).toBe(stagingCsv(a.staging));
    const c = generateDemo({ ...options, seed: 8 });
    expect(c.webhooks.map((w) => w.reference)).not.toEqual(a.webhooks.map((w) => w.reference));
  });

  it('has the shape the dashboard needs: 8–12 merchants, every gateway, method and path, failures, refunds, settlements, funnels, cohorts, experiments', () => {
    const plan = generateDemo(options);
    expect(plan.merchants.length).toBeGreaterThanOrEqual(8);
    expect(plan.merchants.length).toBeLessThanOrEqual(12);
    expect(new Set(plan.merchants.map((m) => m.settlement_cycle))).toEqual(new Set(['T+1', 'T+2', 'T+3']));
    expect(Object.values(plan.counts.byPath).every((n) => n > 0)).toBe(true);
    const events = [...plan.before, ...plan.after].map((p) => p.event);
    const types = new Set(events.map((e) => e.type));
    for (const type of [
      'user.registered',
      'product.viewed',
      'product.added_to_cart',
      'checkout.started',
      'checkout.abandoned',
      'order.placed',
      'order.completed',
      'experiment.exposure_recorded',
      'payment.refunded',
      'settlement.batch_created',
      'settlement.completed',
    ]) {
      expect(types, type).toContain(type);
    }
    // Status changes travel as the gateways' later webhooks: ledger transitions (issue 10).
    const followUps = plan.followUps.map((w) => w.body as Record<string, unknown>);
    expect(followUps.some((b) => b.event === 'payment.captured')).toBe(true);
    expect(followUps.some((b) => b.status === 'succeeded' && typeof b.event_time === 'string')).toBe(true);
    const statuses = new Set(events.filter((e) => e.type.startsWith('settlement.')).map((e) => e.data.status));
    expect(statuses).toEqual(new Set(['PENDING', 'RECONCILED', 'SETTLED']));
    const experiments = new Set(events.filter((e) => e.type === 'experiment.exposure_recorded').map((e) => e.data.experiment_id));
    expect(experiments.size).toBe(2);
    const generic = plan.webhooks.filter((w) => w.channel === 'default').map((w) => w.body);
    expect(new Set(generic.map((b) => b.gateway))).toEqual(new Set(['razorpay', 'stripe', 'payu', 'cashfree']));
    expect(new Set(generic.map((b) => b.payment_method))).toEqual(new Set(['upi', 'card', 'netbanking', 'wallet']));
    expect(new Set(generic.map((b) => b.currency))).toContain('INR');
    // Sign-ups spread over months, before the window, for cohorts.
    const signUps = events.filter((e) => e.type === 'user.registered').map((e) => Date.parse(e.time));
    expect(Math.min(...signUps)).toBeLessThan(options.now.getTime() - 90 * 86_400_000);
  });

  it('produces only what the data contract, the channel adapters and the staging loader accept', () => {
    const plan = generateDemo({ ...options, payments: 1500 });
    for (const { event } of [...plan.before, ...plan.after]) {
      const r = validateEvent(event);
      expect(r.ok ? null : `${event.type}: ${r.error.message}`).toBeNull();
    }
    for (const w of plan.webhooks) {
      const adapter = w.channel === 'razorpay' ? razorpayAdapter : w.channel === 'stripe' ? stripeAdapter : null;
      const delivery = adapter ? adapter.toDelivery(w.body, { headers: {} }) : null;
      if (delivery && !delivery.ok) expect.fail(`${w.channel}: ${delivery.error.message}`);
      if (delivery && delivery.value.kind !== 'payment') continue;
      const n = normalisePayment(delivery ? delivery.value.input : w.body, { source: 'webhook', defaultCurrency: 'INR' });
      expect(n.ok ? null : n.error.message).toBeNull();
    }
    for (const row of plan.staging) {
      const r = stagingRowOf(row);
      expect(r.ok ? null : r.reason).toBeNull();
    }
    // Failure rates stay realistic (2–15 % per path overall).
    const failed = plan.webhooks.filter(
      (w) =>
        !w.intendedDuplicate && JSON.stringify(w.body).match(/"(failed|charge\.failed|payment\.failed|payment_intent\.payment_failed)"/),
    );
    const rate = failed.length / plan.webhooks.length;
    expect(rate).toBeGreaterThan(0.02);
    expect(rate).toBeLessThan(0.15);
  });
});
