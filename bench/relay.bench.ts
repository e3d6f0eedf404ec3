/**
 * Outbox relay throughput to Kafka: how fast `createOutboxRelay` drains a backlog of outbox rows
 * to a Kafka topic (librdkafka's mock cluster run by kcat, as the test harness starts it) and
 * marks them published.
 *
 * Per measurement: a fresh database on a throwaway PostgreSQL cluster (migrated as the app does),
 * the outbox pre-filled with N `payment.recorded` rows exactly as the recorder writes them
 * (paymentRecordedEvent → the recorder's INSERT … json_to_recordset, ~1 KB of JSON each), a
 * Kafka event log built as the app builds it (kafkajs, acks=all, one request in flight per broker,
 * KAFKA_BATCH_SIZE messages per produce request) on a topic of its own, warmed up by one publish
 * (connects the producer and creates the topic), then the relay is started and timed until it has
 * published every row. Reports rows/s, where a relay round's time goes (SELECT unpublished,
 * publish, UPDATE published_at, lease), the CPU split, and checks: every outbox row marked
 * published, and the topic holds each event id (read back with a consumer) — N + 1 messages.
 *
 *   npx tsx bench/relay.bench.ts [--rows 200000] [--batches 500/100,2000/1000] [--runs 3]
 *
 * `--batches` lists OUTBOX_RELAY_BATCH_SIZE/KAFKA_BATCH_SIZE pairs. Figures are printed and
 * written to BENCHMARKS.md (section `pipeline:relay:kafka`).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { openStore } from '../src/app.js';
import { loadConfig } from '../src/core/config.js';
import { createLogger } from '../src/core/logger.js';
import type { EventLog } from '../src/log/event-log-port.js';
import { createKafkaEventLog, kafkaLogCreator } from '../src/log/kafka-log-adapter.js';
import { createOutboxRelay } from '../src/log/outbox-relay.js';
import { paymentRecordedEvent } from '../src/recorder/payment-event.js';
import type { OperationalStore } from '../src/store/store-port.js';
import { type KafkaMock, startKafkaMock } from '../test/harness/kafka.js';
import { type CpuUsage, cpuUsageBetween, describeCpu, processTree, snapshotCpu, waitForQuietMachine } from './support/cpu-usage.js';
import { createEventMix } from './support/event-mix.js';
import {
  codeVersion,
  commandLine,
  currentLoad,
  describeMachine,
  formatNumber,
  machineInfo,
  markdownTable,
  writeBenchmarkSection,
} from './support/report.js';
import { storeLabel } from './support/stores.js';
import { type BenchPostgres, startBenchPostgres } from './support/throwaway-postgres.js';

const USAGE = `usage: npx tsx bench/relay.bench.ts [options]
  --rows N            outbox rows to fill and drain per run (default 200000)
  --batches LIST      OUTBOX_RELAY_BATCH_SIZE/KAFKA_BATCH_SIZE pairs, comma-separated (default 500/100,2000/1000; the app's defaults are 500/100)
  --runs N            runs per pair; medians are reported (default 3)
  --max-wait N        seconds to wait for other work on the machine to finish before each run (default 300)
  --max-others N      a run during which other processes used more than N % of a core is repeated (default 30)
  --retries N         how many times such a run is repeated before it is kept, flagged (default 3)
  --no-write          print only; leave BENCHMARKS.md alone
PostgreSQL: a throwaway cluster is started unless BENCH_DATABASE_URL points at a server of your own.`;

const FILL_CHUNK = 5_000;

interface Options {
  rows: number;
  batches: Array<{ relay: number; kafka: number }>;
  runs: number;
  maxWait: number;
  maxOthers: number;
  retries: number;
  write: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '200000' },
      batches: { type: 'string', default: '500/100,2000/1000' },
      runs: { type: 'string', default: '3' },
      'max-wait': { type: 'string', default: '300' },
      'max-others': { type: 'string', default: '30' },
      retries: { type: 'string', default: '3' },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const whole = (name: string, text: string, min: number, max: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} ${text}: expected a whole number from ${min} to ${max}`);
    return n;
  };
  return {
    rows: whole('rows', values.rows, 100, 20_000_000),
    batches: values.batches.split(',').map((pair) => {
      const [relay, kafka] = pair.split('/');
      return { relay: whole('batches', relay ?? '', 1, 100_000), kafka: whole('batches', kafka ?? '', 1, 100_000) };
    }),
    runs: whole('runs', values.runs, 1, 20),
    maxWait: whole('max-wait', values['max-wait'], 0, 86_400),
    maxOthers: whole('max-others', values['max-others'], 0, 10_000),
    retries: whole('retries', values.retries, 0, 20),
    write: !values['no-write'],
  };
}

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(64);
}

/** N payment.recorded rows as the recorder writes them (the same statement as record-batch.ts's insertOutbox). */
async function fillOutbox(store: OperationalStore, rows: number): Promise<{ seconds: number; ids: Set<string>; bytes: number }> {
  const started = performance.now();
  const mix = createEventMix({ seed: 7, referencePrefix: 'RELAY' });
  const ids = new Set<string>();
  let bytes = 0;
  let at = Date.now() - 3_600_000;
  for (let done = 0; done < rows; ) {
    const events = [];
    while (events.length < Math.min(FILL_CHUNK, rows - done)) {
      const item = mix.next(new Date(at++));
      if (item.kind !== 'payment') continue;
      const e = paymentRecordedEvent({ ...item.payment, id: randomUUID() }, item.at);
      ids.add(e.id);
      events.push({ event_id: e.id, event_type: e.type, aggregate_id: e.subject, payload: e });
    }
    const param = JSON.stringify(events);
    bytes += param.length;
    await store.query(
      `INSERT INTO payment_service.outbox (event_id, event_type, aggregate_id, payload)
       SELECT x.event_id, x.event_type, x.aggregate_id, x.payload
       FROM json_to_recordset($1::json) AS x(event_id text, event_type text, aggregate_id text, payload json)`,
      [param],
    );
    done += events.length;
  }
  await store.query('ANALYZE payment_service.outbox');
  return { seconds: (performance.now() - started) / 1000, ids, bytes: bytes / rows };
}

/** Times the relay's statements and publishes (the relay runs them one at a time, in rounds). */
function timedParts(store: OperationalStore, log: EventLog) {
  const parts = new Map<string, { calls: number; ms: number }>();
  const add = (name: string, ms: number) => {
    const p = parts.get(name) ?? { calls: 0, ms: 0 };
    p.calls++;
    p.ms += ms;
    parts.set(name, p);
  };
  const nameOf = (sql: string) => {
    const s = sql.replace(/\s+/g, ' ').trim();
    if (/^SELECT .* FROM payment_service\.outbox WHERE published_at IS NULL ORDER BY id/.test(s))
      return 'SELECT unpublished rows (payload::text)';
    if (/^UPDATE payment_service\.outbox SET published_at/.test(s)) return 'UPDATE outbox SET published_at';
    if (/^SELECT count\(\*\)/.test(s)) return 'SELECT count(*) unpublished (backlog, ≤ 1/s)';
    if (/consumer_offsets/.test(s)) return 'lease (consumer_offsets)';
    return s.slice(0, 60);
  };
  const timedStore: OperationalStore = {
    kind: store.kind,
    maxConcurrency: store.maxConcurrency,
    async query(sql, params) {
      const t = performance.now();
      try {
        return await store.query(sql, params);
      } finally {
        add(nameOf(sql), performance.now() - t);
      }
    },
    transaction: (fn) => store.transaction(fn),
    poolStats: () => store.poolStats(),
    close: () => store.close(),
  };
  const timedLog: EventLog = {
    kind: log.kind,
    connect: () => log.connect(),
    async publish(events) {
      const t = performance.now();
      try {
        await log.publish(events);
      } finally {
        add('publish to Kafka (kafkajs send, acks=all)', performance.now() - t);
      }
    },
    consumer: (o) => log.consumer(o),
    close: () => log.close(),
  };
  return { store: timedStore, log: timedLog, parts };
}

function kafkaClient(brokers: string[], logger: ReturnType<typeof createLogger>, clientId: string): Kafka {
  // As the app builds it (src/app.ts): client id, brokers, kafkajs's log routed into pino.
  return new Kafka({ clientId, brokers, logCreator: kafkaLogCreator(logger), logLevel: logLevel.WARN });
}

/**
 * What the topic holds: messages appended (sum of the partitions' high watermarks), and the ids of
 * the messages still retained, read back with a consumer. librdkafka's mock keeps only about the
 * last 5 MB of each partition (older message sets are dropped as new ones arrive), so ids are
 * checked on what it retains; the watermarks count every message ever appended.
 */
async function readBack(
  kafka: Kafka,
  topic: string,
  ids: Set<string>,
): Promise<{ appended: number; retained: number; read: number; outboxIds: number; duplicates: number; unknown: number }> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const appended = offsets.reduce((n, o) => n + Number(o.high), 0);
  const retained = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  const consumer = kafka.consumer({ groupId: `bench-readback-${randomUUID().slice(0, 8)}`, sessionTimeout: 6000, heartbeatInterval: 500 });
  const seen = new Set<string>();
  let read = 0;
  let duplicates = 0;
  let unknown = 0;
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        read++;
        const id = m.headers?.ce_id?.toString() ?? '';
        if (!ids.has(id)) unknown++;
        else if (seen.has(id)) duplicates++;
        else seen.add(id);
      }
    },
  });
  const deadline = Date.now() + 120_000;
  while (read < retained && Date.now() < deadline) await sleep(100);
  await consumer.disconnect();
  return { appended, retained, read, outboxIds: seen.size, duplicates, unknown };
}

interface RelayResult {
  relayBatch: number;
  kafkaBatch: number;
  rows: number;
  fillSeconds: number;
  bytesPerRow: number;
  seconds: number;
  rowsPerSecond: number;
  parts: Array<[string, { calls: number; ms: number }]>;
  cpu: CpuUsage;
  machineBefore: string;
  attempts: number;
  checks: Array<[boolean, string]>;
}

async function measure(
  options: Options,
  batch: { relay: number; kafka: number },
  postgres: BenchPostgres,
  kafka: KafkaMock,
  run: number,
): Promise<RelayResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'payscope-bench-relay-'));
  const databaseUrl = await postgres.createDatabase(`relay_${batch.relay}_${batch.kafka}_${run}`);
  const config = loadConfig({ DATA_DIR: dataDir, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' });
  const logger = createLogger('warn', process.stderr);
  const store = await openStore(config, logger);
  const topic = `payment.events.bench-relay-${batch.relay}-${batch.kafka}-${run}-${Date.now()}`;
  const kafkaJs = kafkaClient(kafka.brokers, logger, config.env.KAFKA_CLIENT_ID);
  const log = createKafkaEventLog({ kafka: kafkaJs, topic, batchSize: batch.kafka, logger });
  try {
    process.stdout.write(`  filling the outbox with ${formatNumber(options.rows)} payment.recorded rows…\n`);
    const fill = await fillOutbox(store, options.rows);
    // Warm-up: connect the producer and let the mock create the topic (4 partitions), outside the timing.
    const warmId = randomUUID();
    await log.publish([{ id: warmId, type: 'bench.warmup', key: 'warmup', value: '{}', time: new Date() }]);

    const timed = timedParts(store, log);
    const relay = createOutboxRelay({ store: timed.store, log: timed.log, batchSize: batch.relay, logger });
    const busy = await waitForQuietMachine({ maxBusyPercent: 15, maxWaitSeconds: options.maxWait, log: (l) => console.log(l) });
    const machineBefore = `${busy} % busy in the 2 s before the run, load average ${currentLoad()}`;
    const groups = {
      'bench process (relay)': () => [process.pid],
      postgres: () => postgres.pids(),
      'kafka mock (kcat)': () => processTree(kafka.pid),
    };
    const before = snapshotCpu(groups);
    const started = performance.now();
    relay.start();
    const deadline = Date.now() + 30 * 60_000;
    while (relay.status().published < options.rows && Date.now() < deadline) await sleep(5);
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuUsageBetween(before, snapshotCpu(groups));
    await relay.stop();
    const status = relay.status();

    const one = async (sql: string) => Number((await store.query<{ n: number }>(sql)).rows[0]?.n);
    const unpublished = await one('SELECT count(*)::bigint AS n FROM payment_service.outbox WHERE published_at IS NULL');
    const outbox = await one('SELECT count(*)::bigint AS n FROM payment_service.outbox');
    const back = await readBack(kafkaJs, topic, fill.ids);
    const f = formatNumber;
    const checks: Array<[boolean, string]> = [
      [outbox === options.rows && unpublished === 0, `outbox ${f(outbox)} rows, ${f(unpublished)} left unpublished`],
      [
        status.published === options.rows && status.lastError === null,
        `relay published ${f(status.published)}, last error ${status.lastError?.message ?? 'none'}`,
      ],
      [back.appended === options.rows + 1, `messages appended to the topic ${f(back.appended)} = rows + 1 warm-up (none lost, none twice)`],
      [
        back.read === back.retained && back.duplicates === 0 && back.outboxIds + back.unknown === back.read && back.unknown <= 1,
        `the ${f(back.retained)} messages the mock still retains read back: ${f(back.outboxIds)} distinct outbox ids, ${f(back.duplicates)} repeated, ${f(back.unknown)} other (the warm-up)`,
      ],
    ];
    return {
      relayBatch: batch.relay,
      kafkaBatch: batch.kafka,
      rows: options.rows,
      fillSeconds: fill.seconds,
      bytesPerRow: fill.bytes,
      seconds,
      rowsPerSecond: options.rows / seconds,
      parts: [...timed.parts].sort((a, b) => b[1].ms - a[1].ms),
      cpu,
      machineBefore,
      attempts: 1,
      checks,
    };
  } finally {
    await log.close().catch(() => {});
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function markdownSection(options: Options, results: RelayResult[][], postgres: BenchPostgres): string {
  const rows = results.map((runs) => {
    const r = runs[0] as RelayResult;
    return [
      formatNumber(r.relayBatch),
      formatNumber(r.kafkaBatch),
      formatNumber(options.rows),
      `**${formatNumber(median(runs.map((x) => x.rowsPerSecond)))}**`,
      runs.map((x) => formatNumber(x.rowsPerSecond)).join(' / '),
      formatNumber(median(runs.map((x) => x.seconds)), 1),
      runs.every((x) => x.checks.every(([ok]) => ok)) ? 'pass' : 'FAIL',
    ];
  });
  const lines = [
    '### Outbox relay throughput to Kafka',
    '',
    markdownTable(['OUTBOX_RELAY_BATCH_SIZE', 'KAFKA_BATCH_SIZE', 'rows', 'rows/s (median)', 'runs', 'drain s', 'correctness'], rows),
    '',
    `- date: ${new Date().toISOString()}; code: ${codeVersion()}`,
    `- machine: ${describeMachine(machineInfo())}; shared with other people's work: a run during which other processes used more than ${options.maxOthers} % of a core is repeated (up to ${options.retries} times)`,
    `- command: \`${commandLine()}\``,
    `- store: ${storeLabel('postgres', postgres)}`,
    `- broker: librdkafka's mock cluster (kcat, 3 brokers, topics auto-created with 4 partitions), in memory on this machine; kafkajs 2.2 producer as the app builds it (acks=all, 1 request in flight per broker, key = payment id)`,
    `- backlog: ${formatNumber(options.rows)} payment.recorded rows as the recorder writes them (~${formatNumber(results[0]?.[0]?.bytesPerRow ?? 0)} bytes of JSON each), inserted before the run (${formatNumber(results[0]?.[0]?.fillSeconds ?? 0, 1)} s), then ANALYZE; one warm-up publish (producer connected, topic created) outside the timing`,
    `- no target in the issue; for scale: the freshness benchmark's top offered rate is 5,000 events/s`,
    '',
    "Per run (time inside the relay's calls; the rest of the wall time is the relay loop's own JavaScript and waits):",
    '',
  ];
  for (const runs of results) {
    for (const r of runs) {
      const total = r.seconds * 1000;
      const parts = r.parts
        .map(
          ([name, p]) =>
            `${name} ${formatNumber((p.ms / total) * 100, 1)} % (${formatNumber(p.calls)} × ${formatNumber(p.ms / p.calls, 1)} ms)`,
        )
        .join(', ');
      lines.push(
        `- ${formatNumber(r.relayBatch)}/${formatNumber(r.kafkaBatch)}: ${formatNumber(r.rowsPerSecond)} rows/s (${formatNumber(r.seconds, 1)} s); ${parts}`,
        `  - before: ${r.machineBefore}; CPU: ${describeCpu(r.cpu)}${r.attempts > 1 ? ` (attempt ${r.attempts}: earlier ones discarded, others > ${options.maxOthers} %)` : ''}${r.cpu.othersPercent > options.maxOthers ? ' — DISTURBED, kept after the retries' : ''}`,
        `  - correctness: ${r.checks.every(([ok]) => ok) ? 'pass' : 'FAIL'} — ${r.checks.map(([ok, t]) => `${ok ? '' : '✗ '}${t}`).join('; ')}`,
      );
    }
  }
  return lines.join('\n').trim();
}

async function main(): Promise<void> {
  const options = parseOptions();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  console.log(`machine: ${describeMachine(machineInfo())}`);
  const postgres = await startBenchPostgres();
  const kafkaDir = await mkdtemp(join(tmpdir(), 'payscope-bench-kafka-'));
  let kafka: KafkaMock | null = null;
  const results: RelayResult[][] = [];
  try {
    kafka = await startKafkaMock(kafkaDir);
    console.log(`kafka mock: ${kafka.brokers.join(',')}`);
    for (const batch of options.batches) {
      const runs: RelayResult[] = [];
      for (let run = 1; run <= options.runs; run++) {
        console.log(`relay batch ${batch.relay}, kafka batch ${batch.kafka}, run ${run}/${options.runs}:`);
        let r: RelayResult;
        for (let attempt = 1; ; attempt++) {
          r = await measure(options, batch, postgres, kafka, run * 100 + attempt);
          r.attempts = attempt;
          if (r.cpu.othersPercent <= options.maxOthers || attempt > options.retries) break;
          console.log(`  discarded: other processes used ${r.cpu.othersPercent} % of a core during the drain; repeating`);
        }
        runs.push(r);
        console.log(
          `  ${formatNumber(r.rowsPerSecond)} rows/s (${formatNumber(r.seconds, 1)} s); correctness ${
            r.checks.every(([ok]) => ok)
              ? 'pass'
              : `FAIL: ${r.checks
                  .filter(([ok]) => !ok)
                  .map(([, t]) => t)
                  .join('; ')}`
          }`,
        );
      }
      results.push(runs);
    }
  } finally {
    await kafka?.stop();
    await rm(kafkaDir, { recursive: true, force: true });
  }
  const section = markdownSection(options, results, postgres);
  await postgres.stop();
  console.log(`\n${section}\n`);
  if (options.write) {
    writeBenchmarkSection('pipeline:relay:kafka', section);
    console.log('written to BENCHMARKS.md');
  }
  if (results.flat().some((r) => !r.checks.every(([ok]) => ok))) process.exitCode = 1;
  process.exit(); // kafkajs leaves timers behind
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
