import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { experimentDefinitionSchema, experimentStatusChangedEvent, validateEvent } from '../../src/contracts/index.js';
import { createLogger } from '../../src/core/logger.js';
import { createExperimentGuardrailsJob, guardrailReportMarkdown } from '../../src/jobs/experiment-guardrails-job.js';
import { changeExperimentStatus, findExperiment, insertExperiment } from '../../src/store/experiment-store.js';
import type { RowOf } from '../../src/warehouse/tables.js';
import { type TestStore, describeEachStore } from '../harness/stores.js';
import { warehousePayment } from '../harness/warehouse-payments.js';
import { warehouseRow } from '../harness/warehouse-rows.js';
import { type TestWarehouse, openTestWarehouse } from '../harness/warehouses.js';

/**
 * The hourly guardrails job on a real store and a real DuckDB warehouse: a variant whose error
 * rate is more than 2× control's is stopped, one whose payment failure rate is more than 1 point
 * above control's is paused, one below its minimum sample is left running — each change with its
 * event in the outbox and an audit row. The rates the job compares are recomputed here from the rows.
 */

const NOW = new Date('2026-11-20T12:00:00Z');
const STARTED = new Date('2026-11-18T00:00:00Z');

let w: TestWarehouse;
beforeAll(async () => {
  w = await openTestWarehouse('duckdb');
});
afterAll(() => w?.close());

interface Plan {
  key: string;
  units: Record<string, number>;
  errors: Record<string, number>;
  payments: Record<string, number>;
  failed: Record<string, number>;
}

async function seed(p: Plan): Promise<void> {
  const exposures: RowOf<'experiment_exposures'>[] = [];
  const events: RowOf<'behaviour_events'>[] = [];
  const orders: RowOf<'orders'>[] = [];
  const payments: RowOf<'payments'>[] = [];
  for (const variant of Object.keys(p.units)) {
    for (let i = 0; i < (p.units[variant] ?? 0); i++) {
      const unit = `${p.key}-${variant}-${i}`;
      const at = new Date(STARTED.getTime() + (i % 40) * 60_000 * 60);
      exposures.push({
        event_id: `x-${unit}`,
        event_time: at,
        experiment_id: p.key,
        variant,
        unit_type: 'session',
        unit_hash: unit,
        bucket: null,
        session_hash: unit,
        user_hash: null,
        device_type: null,
        country: null,
      });
      if (i < (p.errors[variant] ?? 0)) {
        events.push(
          warehouseRow('behaviour_events', {
            event_id: `e-${unit}`,
            event_type: 'checkout.error',
            event_time: new Date(at.getTime() + 60_000),
            session_hash: unit,
          }),
        );
      }
      if (i < (p.payments[variant] ?? 0)) {
        const ref = `ref-${unit}`;
        const failed = i < (p.failed[variant] ?? 0);
        orders.push(
          warehouseRow('orders', {
            order_id: `o-${unit}`,
            status: failed ? 'cancelled' : 'placed',
            session_hash: unit,
            currency: 'INR',
            total_minor: 10_000,
            reference_number: ref,
            placed_at: new Date(at.getTime() + 120_000),
            status_time: new Date(at.getTime() + 120_000),
          }),
        );
        payments.push(
          warehousePayment(ref, { status: failed ? 'failed' : 'captured', failure_category: failed ? 'insufficient_funds' : null }),
        );
      }
    }
  }
  await w.warehouse.transaction(async (tx) => {
    await tx.append('experiment_exposures', exposures);
    if (events.length) await tx.append('behaviour_events', events);
    if (orders.length) await tx.replace('orders', orders);
    if (payments.length) await tx.replace('payments', payments);
  });
}

const PLANS: Plan[] = [
  // error rate 30/300 = 10 % vs 3/300 = 1 %: more than 2× → STOP
  { key: 'exp_errors', units: { control: 300, b: 300 }, errors: { control: 3, b: 30 }, payments: {}, failed: {} },
  // payment failures 30/250 = 12 % vs 25/250 = 10 %: +2 points > 1 → PAUSE; errors equal
  { key: 'exp_payments', units: { control: 300, b: 300 }, errors: {}, payments: { control: 250, b: 250 }, failed: { control: 25, b: 30 } },
  // 50 units per variant: below the minimum sample (100) → stays RUNNING however bad
  { key: 'exp_small', units: { control: 50, b: 50 }, errors: { control: 0, b: 40 }, payments: {}, failed: {} },
  // error rate exactly 2× control (6/300 vs 3/300): not above → stays RUNNING
  { key: 'exp_edge', units: { control: 300, b: 300 }, errors: { control: 3, b: 6 }, payments: {}, failed: {} },
];
/** For the verdicts: 300 units per variant, no errors, no failed payments. */
const CONCLUDE_PLANS: Plan[] = [
  // completion 120/300 = 40 % vs 30/300 = 10 %: significant → WINNER_DECLARED, winner b
  { key: 'exp_win', units: { control: 300, b: 300 }, errors: {}, payments: { control: 30, b: 120 }, failed: {} },
  // 60/300 each: no difference → INCONCLUSIVE once the maximum runtime has passed
  { key: 'exp_flat', units: { control: 300, b: 300 }, errors: {}, payments: { control: 60, b: 60 }, failed: {} },
];
let seeded = false;

async function startExperiment(store: TestStore['store'], key: string, overrides: Record<string, unknown> = {}): Promise<void> {
  const definition = experimentDefinitionSchema.parse({
    key,
    name: key,
    variants: [
      { key: 'control', weight: 5000 },
      { key: 'b', weight: 5000 },
    ],
    guardrails: { min_units_per_variant: 100, min_payments_per_variant: 100 },
    ...overrides,
  });
  await insertExperiment(store, { key, name: key, definition });
  const started = await changeExperimentStatus(store, {
    key,
    from: ['DRAFT'],
    to: 'RUNNING',
    actor: 'user',
    actorKeyId: null,
    reason: 'test',
    startedAt: STARTED,
    event: (from) => {
      const e = experimentStatusChangedEvent(`start-${key}`, {
        experiment_key: key,
        from_status: from as 'DRAFT',
        to_status: 'RUNNING',
        actor: 'user',
        reason: 'test',
        changed_at: STARTED.toISOString(),
      });
      return { id: e.id, type: e.type, subject: e.subject, payload: e };
    },
    audit: { keyId: null, keyName: null, role: null, method: 'POST', path: '/test', requestId: 'r', ip: '' },
  });
  expect(started.ok).toBe(true);
}

describeEachStore('experiment guardrails job', (kind) => {
  let db: TestStore;
  beforeEach(async () => {
    db = await kind.create();
    if (!seeded) {
      for (const p of [...PLANS, ...CONCLUDE_PLANS]) await seed(p);
      seeded = true;
    }
    for (const p of PLANS) await startExperiment(db.store, p.key);
  });
  afterEach(() => db.close());

  it('stops on errors, pauses on payment failures, waits for the minimum sample, and fires only above the threshold', async () => {
    const job = createExperimentGuardrailsJob({ store: db.store, warehouse: w.warehouse, logger: createLogger('silent'), now: () => NOW });
    const summary = await job.run();
    const status = async (key: string) => (await findExperiment(db.store, key))?.status;
    expect(await status('exp_errors')).toBe('STOPPED');
    expect(await status('exp_payments')).toBe('PAUSED');
    expect(await status('exp_small')).toBe('RUNNING');
    expect(await status('exp_edge')).toBe('RUNNING');
    expect(summary).toMatchObject({ checked: 4, stopped: 1, paused: 1 });

    // The compared rates, recomputed from the plans.
    const item = (key: string) => summary.experiments.find((e) => e.key === key);
    const check = (key: string, g: string) => item(key)?.verdict.checks.find((c) => c.guardrail === g);
    for (const p of PLANS) {
      const e = check(p.key, 'error_rate');
      if (e?.status === 'insufficient_sample') continue;
      expect(e?.control_value).toBeCloseTo((p.errors.control ?? 0) / (p.units.control ?? 1), 12);
      expect(e?.variant_value).toBeCloseTo((p.errors.b ?? 0) / (p.units.b ?? 1), 12);
    }
    expect(check('exp_payments', 'payment_failure_rate')?.variant_value).toBeCloseTo(30 / 250, 12);
    expect(check('exp_payments', 'payment_failure_rate')?.control_value).toBeCloseTo(25 / 250, 12);
    expect(check('exp_small', 'error_rate')?.status).toBe('insufficient_sample');
    expect(check('exp_errors', 'p95_latency')?.status).toBe('unavailable');

    // Each change: an event that validates against its contract, and an audit row.
    const { rows } = await db.store.query<{ payload: unknown }>(
      `SELECT payload FROM payment_service.outbox WHERE event_type = 'experiment.status_changed' AND event_id NOT LIKE 'start-%' ORDER BY id`,
    );
    const payloads = rows.map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload));
    expect(payloads.map((p) => [p.data.experiment_key, p.data.to_status, p.data.actor]).sort()).toEqual([
      ['exp_errors', 'STOPPED', 'guardrail'],
      ['exp_payments', 'PAUSED', 'guardrail'],
    ]);
    for (const p of payloads) expect(validateEvent(p).ok).toBe(true);
    const audit = await db.store.query<{ path: string }>(`SELECT path FROM payment_service.audit_log WHERE method = 'JOB' ORDER BY id`);
    expect(audit.rows.map((r) => r.path).sort()).toEqual([
      '/jobs/experiment-guardrails/exp_errors',
      '/jobs/experiment-guardrails/exp_payments',
    ]);

    // A second run changes nothing more; the report lists every check.
    const again = await job.run();
    expect(again).toMatchObject({ checked: 2, stopped: 0, paused: 0 });
    expect(guardrailReportMarkdown(summary)).toContain('**STOPPED**');
  });

  it('declares the winner of a significant primary metric, and INCONCLUSIVE at the maximum runtime without one', async () => {
    const runtime = { min_runtime_days: 1, max_runtime_days: 2, min_sample_per_variant: 100 };
    await startExperiment(db.store, 'exp_win', runtime);
    await startExperiment(db.store, 'exp_flat', runtime);
    const status = async (key: string) => await findExperiment(db.store, key);

    // Day 1.5: minimum runtime reached; the clear winner is declared, the flat one keeps running.
    const early = createExperimentGuardrailsJob({
      store: db.store,
      warehouse: w.warehouse,
      logger: createLogger('silent'),
      now: () => new Date(STARTED.getTime() + 36 * 3_600_000),
    });
    const first = await early.run();
    expect(await status('exp_win')).toMatchObject({ status: 'WINNER_DECLARED', winner_variant: 'b' });
    expect(await status('exp_flat')).toMatchObject({ status: 'RUNNING' });
    expect(first.experiments.find((e) => e.key === 'exp_flat')?.decision).toBe('KEEP_RUNNING');
    // The default definitions (14 days minimum) are not concluded.
    for (const key of ['exp_small', 'exp_edge']) expect((await status(key))?.status).toBe('RUNNING');

    // Day 3: past the maximum runtime with no significant difference.
    const late = createExperimentGuardrailsJob({
      store: db.store,
      warehouse: w.warehouse,
      logger: createLogger('silent'),
      now: () => new Date(STARTED.getTime() + 72 * 3_600_000),
    });
    const second = await late.run();
    expect(await status('exp_flat')).toMatchObject({ status: 'INCONCLUSIVE' });
    expect(second.concluded).toBe(1);

    const { rows } = await db.store.query<{ payload: unknown }>(
      `SELECT payload FROM payment_service.outbox WHERE event_type = 'experiment.status_changed' AND event_id NOT LIKE 'start-%' ORDER BY id`,
    );
    const concluded = rows
      .map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload))
      .filter((p) => p.data.actor === 'analysis');
    expect(concluded.map((p) => [p.data.experiment_key, p.data.to_status, p.data.winner_variant ?? null])).toEqual([
      ['exp_win', 'WINNER_DECLARED', 'b'],
      ['exp_flat', 'INCONCLUSIVE', null],
    ]);
    for (const p of concluded) expect(validateEvent(p).ok).toBe(true);
  });
});
