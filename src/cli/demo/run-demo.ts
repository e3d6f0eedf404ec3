import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signStandardWebhook, signXSignature } from '../../sources/webhooks/signature.js';
import { arrivalsBetween, paymentsPerHour } from './pace.js';
import { createRng } from './random.js';
import { DEMO_EXPERIMENTS } from './experiments.js';
import { createDemoGenerator } from './generator.js';
import {
  type DemoPlan,
  type PaymentPath,
  type PlannedEvent,
  type StagingRecord,
  type WebhookChannel,
  type WebhookDelivery,
  generateDemo,
} from './generate.js';

/**
 * Sends a demo plan to a running Payscope through its real ingestion paths — signed webhooks
 * (generic, razorpay, stripe), the staging table (through a `StagingSink`) and `POST /api/v1/events`
 * — then, with `live`, keeps a trickle of new payments flowing until the signal aborts.
 * `payscope demo` and the start flow both call `runDemo`.
 */

/** Puts staged rows into `payment_staging` the way `payscope staging load` does, and has them recorded. */
export interface StagingSink {
  /** Loads a staging CSV (header row = payment_staging columns). */
  load(file: string): Promise<{ loaded: number; rejected: number }>;
  /** Runs the staging processor over the backlog and reports what it recorded. */
  drain(): Promise<{ recorded: number; duplicates: number; errors: number }>;
}

export interface DemoOptions {
  /** Base URL of the running server, e.g. http://127.0.0.1:3004. */
  url: string;
  payments?: number;
  days?: number;
  seed?: number | string;
  /** Webhook secrets by source name (`default`, `razorpay`, `stripe`). */
  secrets: Partial<Record<WebhookChannel, string>>;
  /** Sent as `Authorization: Bearer …` on non-webhook calls. */
  apiKey?: string | null;
  /** The staging path; without one, staged payments are sent to the generic webhook instead (said in the summary). */
  staging?: StagingSink | null;
  /**
   * After the backfill, keep sending new payments until `signal` aborts: by default along the
   * history's own curve (pace.ts) — the rate a history of `payments` over `days` has at that hour.
   */
  live?: boolean;
  /** A fixed live rate in payments per second instead (a load demo; today's bar then outgrows the history). */
  liveRate?: number;
  signal?: AbortSignal;
  /**
   * Send the backfill (default true); false = only the live trickle, e.g. on a second start
   * (then `payments` and `days` describe the history already there, which the trickle follows).
   */
  backfill?: boolean;
  /** Called once the backfill has been sent (before the live trickle starts). */
  onBackfillDone?: (summary: DemoSummary) => void;
  /** End of the backfill window (default: now). */
  now?: Date;
  concurrency?: number;
  onProgress?: (progress: DemoProgress) => void;
  /** One line per notable step (the CLI prints them). */
  onLog?: (line: string) => void;
}

export interface DemoProgress {
  phase: 'merchants' | 'events' | 'webhooks' | 'staging' | 'status' | 'live';
  done: number;
  total: number;
}

export interface PathTotals {
  sent: number;
  created: number;
  duplicates: number;
  /** Later deliveries of recorded payments the ledger applied as status transitions. */
  transitions: number;
  rejected: number;
}

export interface DemoSummary {
  seed: string;
  window: { from: string; to: string; days: number };
  planned: DemoPlan['counts'];
  webhooks: Record<WebhookChannel, PathTotals>;
  /** `table`: through the staging sink; `webhook-fallback`: no sink, sent to the generic webhook (counted under webhooks.default). */
  staging: PathTotals & { mode: 'table' | 'webhook-fallback' };
  events: PathTotals;
  merchants: { loaded: number } | { skipped: string };
  /** Payments recorded by this run (webhooks created + staging recorded): the ledger grows by this much. */
  paymentsCreated: number;
  /** The first rejections, for the report. */
  rejections: { path: string; code: string; message: string }[];
  durationMs: number;
  live: { payments: number; events: number; rejected: number } | null;
  /** The live trickle's rate when the backfill ended (payments per hour; it follows the daily curve). */
  liveRatePerHour: number;
}

const EVENTS_PER_BATCH = 500;

const zero = (): PathTotals => ({ sent: 0, created: 0, duplicates: 0, transitions: 0, rejected: 0 });

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const started = Date.now();
  const payments = options.payments ?? 5000;
  const days = options.days ?? 30;
  const seed = options.seed ?? 1;
  const now = options.now ?? new Date();
  const log = options.onLog ?? (() => {});
  const client = createClient(options);
  // A second start sends no backfill: no plan to build (5,000 payments' worth of work).
  const plan = options.backfill !== false ? generateDemo({ payments, days, seed, now }) : null;
  const perHour = options.liveRate ? () => (options.liveRate as number) * 3600 : paymentsPerHour({ payments, days, now: now.getTime() });

  const summary: DemoSummary = {
    seed: String(seed),
    window: { from: new Date(now.getTime() - days * 86_400_000).toISOString(), to: now.toISOString(), days },
    planned: plan?.counts ?? { payments: 0, byPath: { default: 0, razorpay: 0, stripe: 0, staging: 0 }, intendedDuplicates: 0 },
    webhooks: { default: zero(), razorpay: zero(), stripe: zero() },
    staging: { ...zero(), mode: options.staging ? 'table' : 'webhook-fallback' },
    events: zero(),
    merchants: { skipped: 'not sent' },
    paymentsCreated: 0,
    rejections: [],
    durationMs: 0,
    live: null,
    liveRatePerHour: perHour(Date.now()),
  };
  const reject = (path: string, code: string, message: string) => {
    if (summary.rejections.length < 20) summary.rejections.push({ path, code, message });
  };

  if (plan) await sendBackfill(plan);
  summary.durationMs = Date.now() - started;
  summary.liveRatePerHour = perHour(Date.now());
  options.onBackfillDone?.(summary);

  if (options.live && !options.signal?.aborted) {
    log(`live: about ${summary.liveRatePerHour.toFixed(1)} payments an hour now, following the history's daily curve, until stopped`);
    summary.live = await runLive(client, options, { seed: summary.seed, now, payments, days, perHour }, summary, reject);
    summary.paymentsCreated = Object.values(summary.webhooks).reduce((n, t) => n + t.created, 0) + summary.staging.created;
  }
  return summary;

  async function sendBackfill(plan: DemoPlan): Promise<void> {
    // 1. The merchant dimension, so names appear.
    options.onProgress?.({ phase: 'merchants', done: 0, total: 1 });
    const merchants = await client.call('PUT', '/api/v1/merchants', plan.merchants);
    summary.merchants =
      merchants.status === 200
        ? { loaded: plan.merchants.length }
        : { skipped: `PUT /api/v1/merchants answered ${merchants.status}${merchants.code ? ` ${merchants.code}` : ''}` };
    if (merchants.status !== 200) log(`merchant names not loaded: ${(summary.merchants as { skipped: string }).skipped}`);
    options.onProgress?.({ phase: 'merchants', done: 1, total: 1 });

    // 1b. The experiments the sessions are exposed to, started at the history's first day.
    await defineDemoExperiments(client, new Date(now.getTime() - Math.min(days, 365) * 86_400_000), log);

    // 2. Sign-ups, sessions, checkouts, orders, exposures.
    await sendEvents(client, plan.before, summary, reject, (done) =>
      options.onProgress?.({ phase: 'events', done, total: plan.before.length }),
    );

    // 3. Payments: signed webhooks (intended duplicates last), then the staging table.
    const concurrency = options.concurrency ?? 16;
    const first = plan.webhooks.filter((w) => !w.intendedDuplicate);
    const second = plan.webhooks.filter((w) => w.intendedDuplicate);
    let sentWebhooks = 0;
    const webhookTotal = plan.webhooks.length + (options.staging ? 0 : plan.staging.length);
    const onWebhook = () => options.onProgress?.({ phase: 'webhooks', done: ++sentWebhooks, total: webhookTotal });
    for (const wave of [first, second]) {
      await mapLimit(wave, concurrency, async (w) => {
        await sendWebhook(client, w, options.secrets, summary.webhooks[w.channel], reject);
        onWebhook();
      });
    }
    if (options.staging) {
      options.onProgress?.({ phase: 'staging', done: 0, total: plan.staging.length });
      const dir = await mkdtemp(join(tmpdir(), 'payscope-demo-'));
      try {
        const file = join(dir, 'demo-staging.csv');
        await writeFile(file, stagingCsv(plan.staging));
        const loaded = await options.staging.load(file);
        summary.staging.sent = loaded.loaded;
        summary.staging.rejected += loaded.rejected;
        if (loaded.rejected > 0) reject('staging', 'CSV_REJECTED', `${loaded.rejected} staging rows did not fit the table`);
        const drained = await options.staging.drain();
        summary.staging.created = drained.recorded;
        summary.staging.duplicates = drained.duplicates;
        summary.staging.rejected += drained.errors;
        if (drained.errors > 0) reject('staging', 'STAGING_ROW_ERROR', `${drained.errors} staged rows were marked with an error`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      options.onProgress?.({ phase: 'staging', done: plan.staging.length, total: plan.staging.length });
    } else {
      log(`no staging sink: the ${plan.staging.length} staged payments go to the generic webhook instead`);
      const totals = summary.webhooks.default;
      await mapLimit(plan.staging, concurrency, async (row) => {
        await sendWebhook(client, stagingAsWebhook(row, plan.seed), options.secrets, totals, reject);
        onWebhook();
      });
      summary.staging.sent = plan.staging.length;
    }
    summary.paymentsCreated = Object.values(summary.webhooks).reduce((n, t) => n + t.created, 0) + summary.staging.created;

    // 4. The gateways' later webhooks (authorized → captured, pending → succeeded): ledger transitions.
    await mapLimit(plan.followUps, concurrency, (w) => sendWebhook(client, w, options.secrets, summary.webhooks[w.channel], reject));

    // 5. Status changes (time set now, after the recording), refunds, disputes, order outcomes, settlements.
    await sendEvents(client, plan.after, summary, reject, (done) =>
      options.onProgress?.({ phase: 'status', done, total: plan.after.length }),
    );
  }
}

// ── live trickle ──────────────────────────────────────────────────────────────────────────────────

async function runLive(
  client: Client,
  options: DemoOptions,
  history: { seed: string; now: Date; payments: number; days: number; perHour: (t: number) => number },
  summary: DemoSummary,
  reject: (path: string, code: string, message: string) => void,
): Promise<{ payments: number; events: number; rejected: number }> {
  const signal = options.signal;
  const startedAt = Date.now();
  const gen = createDemoGenerator({
    seed: history.seed,
    now: history.now,
    days: history.days,
    customerCount: Math.max(20, Math.round(history.payments * 0.3)),
    idPrefix: `live-${history.seed}-${startedAt}`,
    rng: createRng(`${history.seed}/live/${startedAt}`),
  });
  const rng = createRng(`${history.seed}/live-rate/${startedAt}`);
  const pending: { due: number; event: PlannedEvent }[] = [];
  const pendingWebhooks: { due: number; delivery: WebhookDelivery }[] = [];
  const live = { payments: 0, events: 0, rejected: 0 };
  let tick = 0;
  let cursor = startedAt;
  while (!signal?.aborted) {
    const tickStart = Date.now();
    tick += 1;
    const now = new Date();
    // The payments of the time since the last tick, drawn from the history's curve (at most a
    // minute back: a suspended laptop does not get a burst).
    const from = Math.max(cursor, tickStart - 60_000);
    cursor = tickStart;
    const bound = Math.max(history.perHour(from), history.perHour(tickStart)) * 1.001;
    const arrivals = arrivalsBetween(rng, from, tickStart, history.perHour, bound);
    const events: PlannedEvent[] = [];
    const webhooks: WebhookDelivery[] = [];
    for (const at of arrivals) {
      const p = gen.payment(new Date(at));
      if (p.path === 'staging') p.path = 'default';
      const funnel = gen.funnel(p, new Date(now.getTime() + 3_600_000), { dropOffs: false });
      events.push(...funnel.before);
      const rec = gen.recording(p);
      webhooks.push(...rec.webhooks.filter((w) => !w.intendedDuplicate));
      const followUp = gen.statusWebhook(p);
      if (followUp) pendingWebhooks.push({ due: followUp.at.getTime(), delivery: followUp.delivery });
      const change = gen.statusChange(p);
      if (change) pending.push({ due: Date.parse(change.event.time), event: change });
      for (const e of funnel.after) pending.push({ due: Date.parse(e.event.time), event: e });
      const sale = gen.afterSale(p, new Date(now.getTime() + 30 * 86_400_000));
      for (const e of sale.events)
        if (e.event.type === 'payment.refunded') pending.push({ due: Date.now() + rng.int(20, 300) * 1000, event: e });
    }
    const due = pending.filter((x) => x.due <= Date.now());
    for (const x of due) pending.splice(pending.indexOf(x), 1);
    const dueWebhooks = pendingWebhooks.filter((x) => x.due <= Date.now());
    for (const x of dueWebhooks) pendingWebhooks.splice(pendingWebhooks.indexOf(x), 1);
    try {
      const before = summary.events.rejected;
      await sendEvents(client, events, summary, reject);
      const beforeWebhooks = Object.values(summary.webhooks).reduce((n, t) => n + t.rejected, 0);
      await mapLimit(webhooks, 8, (w) => sendWebhook(client, w, options.secrets, summary.webhooks[w.channel], reject));
      await mapLimit(dueWebhooks, 8, (x) => sendWebhook(client, x.delivery, options.secrets, summary.webhooks[x.delivery.channel], reject));
      // Later status changes and refunds are stamped when sent, so they are newer than the recording.
      await sendEvents(
        client,
        due.map((x) => ({ event: { ...x.event.event, time: new Date().toISOString() }, afterRecording: true })),
        summary,
        reject,
      );
      live.payments += webhooks.length;
      live.events += events.length + due.length;
      live.rejected +=
        summary.events.rejected - before + Object.values(summary.webhooks).reduce((n, t) => n + t.rejected, 0) - beforeWebhooks;
    } catch (error) {
      options.onLog?.(`live: ${(error as Error).message}; retrying in 5 s`);
      await sleep(5000, signal);
    }
    options.onProgress?.({ phase: 'live', done: live.payments, total: live.payments });
    await sleep(Math.max(0, 1000 - (Date.now() - tickStart)), signal);
    if (tick % 600 === 0) options.onLog?.(`live: ${live.payments} payments, ${live.events} events so far`);
  }
  return live;
}

/** Creates and starts the demo experiments; one already there (a second demo run) is left as it is. */
async function defineDemoExperiments(client: Client, startedAt: Date, log: (line: string) => void): Promise<void> {
  for (const definition of DEMO_EXPERIMENTS) {
    const created = await client.call('POST', '/api/v1/experiments', definition);
    if (created.status === 409) continue;
    if (created.status !== 201) {
      log(
        `experiment ${definition.key} not defined: POST /api/v1/experiments answered ${created.status}${created.code ? ` ${created.code}` : ''}`,
      );
      continue;
    }
    const started = await client.call('POST', `/api/v1/experiments/${definition.key}/start`, {
      reason: 'demo',
      started_at: startedAt.toISOString(),
    });
    if (started.status !== 200) log(`experiment ${definition.key} not started: ${started.status}${started.code ? ` ${started.code}` : ''}`);
  }
}

// ── sending ───────────────────────────────────────────────────────────────────────────────────────

interface Client {
  call(method: string, path: string, body: unknown, headers?: Record<string, string>): Promise<Reply>;
  post(path: string, raw: string, headers: Record<string, string>): Promise<Reply>;
}

interface Reply {
  status: number;
  body: Record<string, unknown>;
  code: string | null;
  message: string | null;
}

function createClient(options: DemoOptions): Client {
  const base = options.url.replace(/\/+$/, '');
  const auth: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const send = async (method: string, path: string, raw: string, headers: Record<string, string>): Promise<Reply> => {
    let lastError: unknown;
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        const res = await fetch(`${base}${path}`, { method, headers, body: raw });
        const text = await res.text();
        let body: Record<string, unknown> = {};
        try {
          body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        } catch {
          body = { text };
        }
        // 503 and 429 are "try again"; anything else is the answer.
        if ((res.status === 503 || res.status === 429) && attempt < 3) {
          await sleep(250 * 2 ** attempt);
          continue;
        }
        const error = body.error as { code?: string; message?: string } | undefined;
        return { status: res.status, body, code: error?.code ?? null, message: error?.message ?? null };
      } catch (error) {
        lastError = error;
        await sleep(250 * 2 ** attempt);
      }
    }
    throw new Error(`cannot reach Payscope at ${base} (${(lastError as Error)?.message ?? 'no answer'}); start it, or pass --url`);
  };
  return {
    call: (method, path, body, headers = {}) =>
      send(method, path, JSON.stringify(body), { 'content-type': 'application/json', ...auth, ...headers }),
    post: (path, raw, headers) => send('POST', path, raw, headers),
  };
}

async function sendWebhook(
  client: Client,
  w: WebhookDelivery,
  secrets: DemoOptions['secrets'],
  totals: PathTotals,
  reject: (path: string, code: string, message: string) => void,
): Promise<void> {
  const secret = secrets[w.channel];
  const path = w.channel === 'default' ? '/api/v1/payments/webhook' : `/api/v1/payments/webhook/${w.channel}`;
  totals.sent += 1;
  if (!secret) {
    totals.rejected += 1;
    reject(`webhook:${w.channel}`, 'NO_SECRET', `no webhook secret for source '${w.channel}'`);
    return;
  }
  const raw = JSON.stringify(w.body);
  const signature =
    w.scheme === 'razorpay'
      ? { 'x-razorpay-signature': (signXSignature(secret, raw)['x-signature'] ?? '').replace(/^sha256=/, '') }
      : signStandardWebhook({ secret, id: w.webhookId, timestamp: new Date(), body: raw });
  const reply = await client.post(path, raw, { 'content-type': 'application/json', ...signature });
  if (reply.status === 201) totals.created += 1;
  else if (reply.status === 200 && reply.body.status === 'duplicate') totals.duplicates += 1;
  else if (reply.status === 200 && reply.body.status === 'transitioned') totals.transitions += 1;
  else if (reply.status === 200 && reply.body.status === 'created') totals.created += 1;
  else {
    totals.rejected += 1;
    reject(`webhook:${w.channel}`, reply.code ?? String(reply.status), reply.message ?? JSON.stringify(reply.body).slice(0, 200));
  }
}

async function sendEvents(
  client: Client,
  planned: readonly PlannedEvent[],
  summary: DemoSummary,
  reject: (path: string, code: string, message: string) => void,
  onProgress?: (done: number) => void,
): Promise<void> {
  const batches: PlannedEvent[][] = [];
  for (let i = 0; i < planned.length; i += EVENTS_PER_BATCH) batches.push(planned.slice(i, i + EVENTS_PER_BATCH));
  let done = 0;
  // Two batches in flight: one being validated while the other commits.
  await mapLimit(batches, 2, async (batch) => {
    const nowIso = new Date().toISOString();
    const events = batch.map((p) => (p.afterRecording && p.event.time < nowIso ? { ...p.event, time: nowIso } : p.event));
    const reply = await client.call('POST', '/api/v1/events', events, { 'content-type': 'application/cloudevents-batch+json' });
    summary.events.sent += events.length;
    if (reply.status !== 200) {
      summary.events.rejected += events.length;
      reject('events', reply.code ?? String(reply.status), reply.message ?? `POST /api/v1/events answered ${reply.status}`);
    } else {
      const body = reply.body as {
        accepted: number;
        duplicates: number;
        rejected: number;
        results: { status: string; error?: { code: string; message: string } }[];
      };
      summary.events.created += body.accepted;
      summary.events.duplicates += body.duplicates;
      summary.events.rejected += body.rejected;
      for (const r of body.results ?? []) if (r.status === 'rejected' && r.error) reject('events', r.error.code, r.error.message);
    }
    done += batch.length;
    onProgress?.(done);
  });
}

/** A staged row sent to the generic endpoint instead (same fields; the endpoint takes the staging columns). */
function stagingAsWebhook(row: StagingRecord, seed: string): WebhookDelivery {
  const body: Record<string, unknown> = { ...row };
  if (typeof row.metadata === 'string') body.metadata = JSON.parse(row.metadata) as unknown;
  return {
    channel: 'default',
    webhookId: `msg_demo-${seed}-staged-${row.reference_number}`,
    scheme: 'standard-webhooks',
    reference: row.reference_number ?? '',
    body,
    intendedDuplicate: false,
  };
}

/** The columns the demo's staging rows use, in header order. */
export const DEMO_STAGING_COLUMNS = [
  'reference_number',
  'loan_account_number',
  'cif',
  'amount',
  'payment_date',
  'metadata',
  'payment_channel',
  'currency',
  'status',
  'gateway',
  'payment_method',
  'merchant_id',
  'customer_id',
  'region',
  'country',
  'gateway_txn_id',
  'failure_reason',
  'fee_amount',
  'tax_amount',
] as const;

/** Writes staging records as CSV (RFC 4180 quoting). */
export function stagingCsv(rows: readonly StagingRecord[]): string {
  const quote = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const lines = [DEMO_STAGING_COLUMNS.join(',')];
  for (const r of rows) lines.push(DEMO_STAGING_COLUMNS.map((c) => quote(r[c] ?? '')).join(','));
  return `${lines.join('\n')}\n`;
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export type { PaymentPath };
