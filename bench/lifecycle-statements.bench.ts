/**
 * Where a group commit's time goes with and without status transitions (issue 10's budget), in
 * process, so the figures do not depend on HTTP or the load generator: the recorder over a timed
 * store (bench/support/timed-store.ts) on a fresh store, 64 deliveries kept in flight like 64
 * webhook connections, in two mixes of the same size —
 *   base:        80 % new payments (succeeded), 20 % exact redeliveries (the webhook bench's default)
 *   transitions: 80 % new payments (authorized), 20 % captures of payments already recorded
 * It prints wall time, transactions and each statement's share, per mix, alternating the mixes.
 *
 *   npx tsx bench/lifecycle-statements.bench.ts [--store pglite|postgres] [--requests 20000] [--rounds 3]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openStore } from '../src/app.js';
import { loadConfig } from '../src/core/config.js';
import { createLogger } from '../src/core/logger.js';
import { createMetrics } from '../src/core/metrics.js';
import { createLayeredDedupCache, createMemoryDedupCache } from '../src/recorder/dedup-cache.js';
import { type CanonicalPayment, normalisePayment } from '../src/recorder/payment.js';
import { createRecorder } from '../src/recorder/recorder.js';
import { seedBody } from '../test/harness/webhook-client.js';
import { formatNumber, markdownTable } from './support/report.js';
import { createTimedStore } from './support/timed-store.js';
import { type BenchPostgres, startBenchPostgres } from './support/throwaway-postgres.js';

type Mix = 'base' | 'transitions';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'pglite' },
    requests: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
  },
});
const storeKind = values.store === 'postgres' ? 'postgres' : 'pglite';
const requests = Number(values.requests);
const rounds = Number(values.rounds);

function canonical(body: Record<string, unknown>): CanonicalPayment {
  const r = normalisePayment(body, { source: 'webhook', defaultCurrency: 'INR' });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

async function measure(mix: Mix, postgres: BenchPostgres | null) {
  const dataDir = await mkdtemp(join(tmpdir(), 'payscope-bench-lifecycle-'));
  const databaseUrl = postgres ? await postgres.createDatabase('lifecycle') : null;
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) });
  const logger = createLogger('warn', process.stderr);
  const opened = await openStore(config, logger);
  try {
    const timed = createTimedStore(opened);
    const metrics = createMetrics();
    const recorder = createRecorder({
      store: timed.store,
      cache: createLayeredDedupCache([createMemoryDedupCache({ maxSize: config.env.MEMORY_CACHE_MAX_SIZE, ttlMs: 3_600_000, metrics })]),
      metrics,
      logger,
      maxBatch: config.env.GROUP_COMMIT_MAX_BATCH,
      maxInflight: config.env.GROUP_COMMIT_CONCURRENCY,
    });
    const sent: string[] = [];
    const capturable: string[] = [];
    const outcomes = new Map<string, number>();
    let next = 0;
    let seq = 0;
    const one = async () => {
      const later = sent.length > 0 && Math.random() < 0.2;
      let payment: CanonicalPayment;
      if (later && mix === 'transitions' && capturable.length > 0) {
        const ref = capturable.splice(Math.floor(Math.random() * capturable.length), 1)[0] as string;
        payment = canonical(seedBody(ref, { status: 'captured', event_time: '2026-11-21T09:31:00+05:30' }));
      } else if (later && mix === 'base') {
        payment = canonical(seedBody(sent[Math.floor(Math.random() * sent.length)] as string));
      } else {
        const ref = `lc-${mix}-${++seq}`;
        sent.push(ref);
        payment = canonical(
          mix === 'base' ? seedBody(ref) : seedBody(ref, { status: 'authorized', event_time: '2026-11-21T09:30:00+05:30' }),
        );
      }
      const o = await recorder.record(payment);
      outcomes.set(o.status, (outcomes.get(o.status) ?? 0) + 1);
      if (o.status === 'created' && mix === 'transitions') capturable.push(payment.reference_number);
    };
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next++ < requests) await one();
      }),
    );
    const wallMs = performance.now() - started;
    await recorder.close();
    return { mix, wallMs, report: timed.report(), outcomes };
  } finally {
    await opened.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  const postgres = storeKind === 'postgres' ? await startBenchPostgres() : null;
  try {
    const results: Awaited<ReturnType<typeof measure>>[] = [];
    for (let r = 0; r < rounds; r++) for (const mix of ['base', 'transitions'] as const) results.push(await measure(mix, postgres));
    for (const res of results) {
      const { report } = res;
      console.log(
        `\n${res.mix}: ${formatNumber(requests)} deliveries in ${formatNumber(res.wallMs)} ms (${formatNumber((requests / res.wallMs) * 1000)}/s); ` +
          `${report.transactions} transactions, ${formatNumber(report.transactionMs)} ms in them; outcomes ${[...res.outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}`,
      );
      console.log(
        markdownTable(
          ['statement', 'calls', 'total ms', 'µs per delivery', 'share of transaction time'],
          report.statements.map((s) => [
            s.statement,
            formatNumber(s.calls),
            formatNumber(s.totalMs),
            formatNumber((s.totalMs * 1000) / requests),
            `${formatNumber((s.totalMs / report.transactionMs) * 100, 1)} %`,
          ]),
        ),
      );
    }
  } finally {
    await postgres?.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
