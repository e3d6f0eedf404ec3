import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type PaymentStatus, foldLifecycle, statusKey } from '../../src/contracts/payment-lifecycle.js';
import type { OperationalStore } from '../../src/store/store-port.js';
import { TEST_SECRETS } from '../harness/app.js';
import { type ServerProcess, spawnServer, withServerStore } from '../harness/server-process.js';
import { createPostgresDatabase, describeEachStore } from '../harness/stores.js';
import { sendWebhook } from '../harness/webhook-client.js';

/**
 * SIGKILL while payments move through their lifecycle (issue 10, "Tests"): a load of first
 * deliveries and later statuses of them, the server killed mid-way and restarted. Every delivery
 * that was answered 2xx must be in the history exactly once with its one event in the outbox, and
 * nothing may be half-written: a history row, its outbox event and the payment's version move
 * together or not at all, and the ledger's state is the fold of what its history holds.
 */

interface Step {
  status: PaymentStatus;
  amount_minor: number;
  event_time: string;
}

/** A payment's planned deliveries, sent one after another (the next once the previous was answered). */
interface Plan {
  reference: string;
  steps: Step[];
  /** Index of the next step to send. */
  next: number;
  busy: boolean;
  acknowledged: Set<number>;
}

const LIFECYCLES: ReadonlyArray<ReadonlyArray<'pending' | 'authorized' | 'failed' | 'captured' | 'succeeded'>> = [
  ['authorized', 'captured'],
  ['pending', 'authorized', 'captured', 'succeeded'],
  ['failed', 'captured'],
  ['authorized', 'succeeded'],
];

function plan(reference: string, n: number): Plan {
  const lifecycle = LIFECYCLES[n % LIFECYCLES.length] as (typeof LIFECYCLES)[number];
  const authorized = 10_000 + (n % 997) * 100;
  const captured = n % 3 === 0 ? authorized - 2_500 : authorized; // every third capture is partial
  const base = Date.UTC(2026, 10, 12, 9, 0, 0) + (n % 1000) * 60_000;
  return {
    reference,
    steps: lifecycle.map((status, i) => ({
      status,
      amount_minor: status === 'captured' || status === 'succeeded' ? captured : authorized,
      event_time: new Date(base + i * 1000).toISOString(),
    })),
    next: 0,
    busy: false,
    acknowledged: new Set(),
  };
}

const bodyOf = (p: Plan, step: Step) => ({
  reference_number: p.reference,
  loan_account_number: 'LN1',
  cif: 'CIF1',
  amount_minor: step.amount_minor,
  currency: 'INR',
  payment_date: p.steps[0]?.event_time,
  event_time: step.event_time,
  status: step.status.toUpperCase(),
});

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

describeEachStore('crash recovery of payment transitions', (kind) => {
  let dataDir: string;
  let env: Record<string, string>;
  let server: ServerProcess | null = null;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'payscope-lifecycle-crash-'));
    env = {
      DATA_DIR: dataDir,
      WEBHOOK_SOURCES: JSON.stringify({ default: { secret: TEST_SECRETS.default } }),
      ENABLE_REDIS_CACHE: 'false',
      STAGING_INTERVAL_SECONDS: '3600',
      ...(kind.name === 'postgres' ? { DATABASE_URL: await createPostgresDatabase() } : {}),
    };
  });
  afterEach(async () => {
    await server?.kill('SIGKILL');
    server = null;
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Opens the same database the server used (after the server has stopped, for PGlite). */
  const withStore = <T>(fn: (store: OperationalStore) => Promise<T>) => withServerStore(kind.name, { env, dataDir }, fn);

  it('keeps every acknowledged transition exactly once, with its one status_changed event, after SIGKILL under load', async () => {
    server = await spawnServer(env);
    const plans: Plan[] = [];
    let transitionsAcknowledged = 0;
    let stop = false;
    const unexpected: string[] = [];
    let inFlight = 0;

    const sendStep = async (p: Plan, index: number) => {
      const step = p.steps[index] as Step;
      inFlight++;
      try {
        const res = await sendWebhook((server as ServerProcess).url, bodyOf(p, step), { secret: TEST_SECRETS.default });
        if (res.status === 200 || res.status === 201) {
          const wanted = index === 0 ? 'created' : 'transitioned';
          // A resend of an acknowledged step is a duplicate; anything else must be what the step is.
          if (res.body.status !== wanted && !(p.acknowledged.has(index) && res.body.status === 'duplicate')) {
            unexpected.push(`${p.reference} step ${index}: ${JSON.stringify(res.body)}`);
          }
          if (!p.acknowledged.has(index) && index > 0) transitionsAcknowledged++;
          p.acknowledged.add(index);
          return true;
        }
        if (res.status !== 503) unexpected.push(`${p.reference} step ${index}: ${res.status} ${JSON.stringify(res.body)}`);
      } catch {
        // Connection reset by the kill: not acknowledged, so a sender would retry; nothing to check.
      } finally {
        inFlight--;
      }
      return false;
    };

    const senders = Array.from({ length: 32 }, async () => {
      while (!stop) {
        const ready = plans.filter((p) => !p.busy && p.next < p.steps.length && p.next > 0);
        const roll = Math.random();
        if (ready.length === 0 || roll < 0.4) {
          const p = plan(`LCK-${randomUUID()}`, plans.length);
          plans.push(p);
          p.busy = true;
          if (await sendStep(p, 0)) p.next = 1;
          p.busy = false;
        } else if (roll < 0.9) {
          const p = ready[Math.floor(Math.random() * ready.length)] as Plan;
          p.busy = true;
          if (await sendStep(p, p.next)) p.next++;
          p.busy = false;
        } else {
          // An exact redelivery of something already acknowledged.
          const done = plans.filter((q) => q.acknowledged.size > 0);
          const p = done[Math.floor(Math.random() * done.length)] as Plan;
          await sendStep(p, Math.floor(Math.random() * p.next));
        }
      }
    });
    while (transitionsAcknowledged < 400) await sleep(20);
    const inFlightAtKill = inFlight;
    await server.kill('SIGKILL');
    stop = true;
    await Promise.all(senders);
    expect(unexpected).toEqual([]);
    expect(inFlightAtKill, 'the kill must land while deliveries are in flight').toBeGreaterThan(0);

    // Restart; an acknowledged transition sent again is a duplicate, a step never answered goes through now.
    server = await spawnServer(env);
    const resend = plans.find((p) => p.acknowledged.has(1)) as Plan;
    const again = await sendWebhook(server.url, bodyOf(resend, resend.steps[1] as Step), { secret: TEST_SECRETS.default });
    expect(again.body).toMatchObject({ status: 'duplicate' });
    expect(await server.kill('SIGTERM')).toBe(0);
    server = null;

    await withStore(async (store) => {
      const q = async <R>(sql: string) => (await store.query<R>(sql)).rows;
      const payments = await q<{
        id: string;
        reference_number: string;
        status: string;
        status_time: Date;
        authorized_minor: number | null;
        captured_minor: number | null;
        version: number;
      }>(
        `SELECT id::text AS id, reference_number, status, status_time, authorized_minor::float8 AS authorized_minor,
                captured_minor::float8 AS captured_minor, version FROM payment_service.payments`,
      );
      const history = await q<{
        payment_id: string;
        version: number;
        dedup_key: string;
        reported_status: PaymentStatus;
        amount_minor: number;
        event_time: Date;
      }>(
        `SELECT payment_id::text AS payment_id, version, dedup_key, reported_status, amount_minor::float8 AS amount_minor, event_time
         FROM payment_service.payment_status_history`,
      );
      const outbox = await q<{ aggregate_id: string; event_type: string; version: number | null }>(
        `SELECT aggregate_id, event_type, (payload::jsonb -> 'data' ->> 'version')::int AS version FROM payment_service.outbox`,
      );
      const references = await q<{ n: number }>('SELECT count(*)::int AS n FROM payment_service.payment_references');
      expect(references[0]?.n).toBe(payments.length);

      const byRef = new Map(plans.map((p) => [p.reference, p]));
      const historyOf = groupBy(history, (h) => h.payment_id);
      const outboxOf = groupBy(outbox, (e) => e.aggregate_id);
      let acknowledgedChecked = 0;
      for (const row of payments) {
        const p = byRef.get(row.reference_number);
        expect(p, `${row.reference_number} was never sent`).toBeDefined();
        if (!p) continue;
        const rows = historyOf.get(row.id) ?? [];
        const events = outboxOf.get(row.id) ?? [];
        const context = `${row.reference_number} (acknowledged steps ${[...p.acknowledged].join(',')})`;
        // Never half: history versions 1..v, one payment.recorded, status_changed versions 2..v, v = the row's version.
        const versions = Array.from({ length: row.version }, (_, i) => i + 1);
        expect(
          rows.map((h) => h.version).sort((a, b) => a - b),
          context,
        ).toEqual(versions);
        expect(
          events.filter((e) => e.event_type === 'payment.recorded'),
          context,
        ).toHaveLength(1);
        expect(
          events
            .filter((e) => e.event_type === 'payment.status_changed')
            .map((e) => e.version)
            .sort((a, b) => (a as number) - (b as number)),
          context,
        ).toEqual(versions.slice(1));
        // Every acknowledged step is there once; everything there was sent.
        const keys = rows.map((h) => h.dedup_key);
        const sentKeys = p.steps.slice(0, p.next + 1).map((s) => statusKey(s.status, s.amount_minor, 'INR'));
        for (const i of p.acknowledged) {
          expect(
            keys.filter((k) => k === sentKeys[i]),
            `${context}: step ${i}`,
          ).toHaveLength(1);
          acknowledgedChecked++;
        }
        for (const k of keys) expect(sentKeys, context).toContain(k);
        // The ledger's state is the fold of the history it holds.
        const { state } = foldLifecycle(
          rows.map((h) => ({
            kind: 'status' as const,
            status: h.reported_status,
            amount_minor: h.amount_minor,
            event_time: h.event_time,
            key: h.dedup_key,
          })),
        );
        expect(
          { status: row.status, status_time: row.status_time, authorized_minor: row.authorized_minor, captured_minor: row.captured_minor },
          context,
        ).toEqual({
          status: state.status,
          status_time: state.status_time,
          authorized_minor: state.authorized_minor,
          captured_minor: state.captured_minor,
        });
      }
      // Every acknowledged first delivery made a payment.
      const recorded = new Set(payments.map((r) => r.reference_number));
      for (const p of plans) if (p.acknowledged.has(0)) expect(recorded.has(p.reference), p.reference).toBe(true);
      expect(acknowledgedChecked).toBeGreaterThanOrEqual(400);
    });
  }, 240_000);
});
