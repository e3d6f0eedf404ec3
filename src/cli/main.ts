#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { type App, ROLES, type Role, openStore, startApp } from '../app.js';
import { type Config, ConfigError, loadConfig } from '../core/config.js';
import { type LogOutput, type Logger, createLogOutput, createLogger } from '../core/logger.js';
import { createMetrics } from '../core/metrics.js';
import { createReferenceCleanupJob } from '../jobs/reference-cleanup-job.js';
import { createRecorder } from '../recorder/recorder.js';
import { loadStagingCsv } from '../sources/staging/staging-csv-loader.js';
import { createStagingProcessor } from '../sources/staging/staging-processor.js';
import { createPartitionManager, partitionTableRows } from '../store/partition-manager.js';
import type { OperationalStore } from '../store/store-port.js';
import { openDuckDbWarehouse } from '../warehouse/duckdb-adapter.js';
import { TABLE_NAMES, type TableName } from '../warehouse/tables.js';
import { demoSecretsOf, resolveApiKey, runDemo, stagingSinkOf } from './demo/index.js';
import { demoProgressBars, formatSummary, registerDemoCommand } from './demo-command.js';
import { registerKeysCommand } from './keys-command.js';

/** The `payscope` command line. Every sub-command reads the same environment configuration. */

function config(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78);
    }
    throw error;
  }
}

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
};

/** Opens the store for a one-off command (logs to stderr at warn level so output stays readable). */
async function withStore<T>(fn: (store: OperationalStore, cfg: Config) => Promise<T>): Promise<T> {
  const cfg = config();
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', process.stderr, cfg.env.LOG_FORMAT);
  const store = await openStore(cfg, logger);
  try {
    return await fn(store, cfg);
  } finally {
    await store.close();
  }
}

/**
 * `start --demo`: on an empty ledger, sends the demo backfill through the server's own ingestion
 * paths (signed webhooks, the staging table, the event API) with a progress bar, prints the banner
 * when it is in, then keeps a live trickle flowing until stopped.
 */
async function startDemo(
  app: App,
  cfg: Config,
  logger: Logger,
  logs: LogOutput,
  size: { payments?: number; days?: number; rate?: number },
  printBanner: (liveRatePerHour: number | null) => void,
): Promise<{ stop(): Promise<void> }> {
  const days = size.days ?? 30;
  const ledger = await app.store.query<{ n: number; recent: number }>(
    'SELECT count(*)::bigint AS n, count(*) FILTER (WHERE payment_date >= $1)::bigint AS recent FROM payment_service.payments',
    [new Date(Date.now() - days * 86_400_000)],
  );
  const empty = Number(ledger.rows[0]?.n ?? 0) === 0;
  // A later start resumes along the curve of the history already there (its last `days`).
  const payments = empty ? size.payments : Math.max(1, Number(ledger.rows[0]?.recent ?? 0));
  const bars = empty ? demoProgressBars({ logs }) : null;
  if (empty)
    process.stdout.write('\nFirst start: generating demo data through the real ingestion paths (webhooks, staging table, event API)…\n');
  const controller = new AbortController();
  const worker = app.stagingWorkers[0];
  const running = runDemo({
    url: app.url as string,
    secrets: demoSecretsOf(app.webhookSources, cfg.env.DATA_DIR).secrets,
    apiKey: app.adminKey?.key ?? resolveApiKey(undefined, process.env, cfg.env.DATA_DIR),
    staging: worker ? stagingSinkOf({ db: app.store, processor: worker }) : null,
    backfill: empty,
    ...(payments ? { payments } : {}),
    days,
    ...(size.rate ? { liveRate: size.rate } : {}),
    live: true,
    signal: controller.signal,
    ...(bars ? { onProgress: bars.onProgress } : {}),
    onLog: (line) => (bars?.active ? bars.log(line) : logger.info({ demo: line }, 'demo')),
    onBackfillDone: (summary) => {
      bars?.stop();
      if (empty) process.stdout.write(`${formatSummary(summary)}\n`);
      printBanner(summary.liveRatePerHour);
    },
  }).catch((error: unknown) => {
    bars?.stop();
    logger.error({ err: error }, 'demo traffic stopped');
  });
  return {
    async stop() {
      controller.abort();
      await running;
    },
  };
}

const program = new Command()
  .name('payscope')
  .description(
    'Record payments, publish them as CloudEvents, and analyse the stream.\nConfiguration is environment variables; see README.md.',
  )
  .showHelpAfterError();

program
  .command('start')
  .description('start the service (HTTP API, webhook and event intake, staging workers, outbox relay, analytics consumer, scheduled jobs)')
  .option('--roles <roles>', `comma-separated roles to run (${ROLES.join(', ')})`)
  .option(
    '--demo',
    'fill an empty ledger with demo data through the real ingestion paths (progress bar) before printing the URL, then keep demo traffic flowing',
  )
  .option('--demo-payments <n>', "payments in the first start's demo backfill (default 5000)", positiveInt)
  .option('--demo-days <n>', "days the first start's demo backfill spans (default 30)", positiveInt)
  .option(
    '--demo-rate <n>',
    "live demo payments per second instead of the history's daily curve (a load demo: today's bar then outgrows the trend)",
    positiveInt,
  )
  .action(async (opts: { roles?: string; demo?: boolean; demoPayments?: number; demoDays?: number; demoRate?: number }) => {
    const cfg = config();
    // Human lines on a terminal, JSON otherwise (LOG_FORMAT); a progress bar takes them while it is drawn.
    const logs = createLogOutput(process.stdout, cfg.env.LOG_FORMAT);
    const logger = createLogger(cfg.env.LOG_LEVEL, logs);
    const roles = opts.roles?.split(',').map((r) => r.trim()) as Role[] | undefined;
    const unknown = roles?.filter((r) => !ROLES.includes(r));
    if (unknown && unknown.length > 0) {
      console.error(`unknown role(s): ${unknown.join(', ')}; choose from ${ROLES.join(', ')}`);
      process.exit(64);
    }
    const app = await startApp(cfg, logger, roles ? { roles } : {});
    // Known before the demo starts: on a filled ledger the demo calls printBanner at once, from
    // inside startDemo (a second start: no backfill), so the banner must not read startDemo's result.
    const demoTraffic = Boolean(opts.demo && app.url);
    const printBanner = (liveRatePerHour: number | null = null) => {
      if (!app.url) return;
      const lines = [
        `Payscope is running at ${app.url}`,
        `  health:   ${app.url}/health`,
        `  webhooks: POST ${app.url}/api/v1/payments/webhook`,
        `  events:   POST ${app.url}/api/v1/events`,
      ];
      if (app.warehouse) lines.push(`  data quality: ${app.url}/api/v1/data-quality   data product: ${app.url}/api/v1/data-product`);
      lines.push(`  API docs: ${app.url}/docs`);
      if (app.adminKey) {
        lines.push(
          `  admin API key${app.adminKey.created ? ' (generated now)' : ''}: ${app.adminKey.key}   (saved in ${join(cfg.env.DATA_DIR, 'admin-api-key')}, mode 600)`,
          `  dashboard sign-in link: ${app.url}/#key=${app.adminKey.key}`,
        );
      }
      if (app.generatedSecrets) lines.push(`  webhook secrets were generated in ${cfg.env.DATA_DIR}/webhook-secrets.json`);
      if (demoTraffic && liveRatePerHour !== null)
        lines.push(
          `  demo traffic keeps flowing along the history's daily curve (about ${liveRatePerHour < 10 ? liveRatePerHour.toFixed(1) : Math.round(liveRatePerHour)} payments an hour now) until you stop Payscope`,
        );
      process.stdout.write(`\n${lines.join('\n')}\n\n`);
    };
    const demo = demoTraffic
      ? await startDemo(app, cfg, logger, logs, { payments: opts.demoPayments, days: opts.demoDays, rate: opts.demoRate }, printBanner)
      : null;
    if (!demo) printBanner();
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down: finishing in-flight requests and the current batch');
      await demo?.stop();
      await app.stop();
      process.exit(0);
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
  });

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(() => withStore(async () => console.log('migrations are up to date')));

const staging = program.command('staging').description('the ETL staging table');
staging
  .command('load <file>')
  .description('load a CSV file (header row = payment_staging column names) into the staging table')
  .option('--chunk <rows>', 'rows per insert', positiveInt, 5000)
  .option('--rejects <file>', 'write rows that cannot be staged to this CSV file')
  .action((file: string, opts: { chunk: number; rejects?: string }) =>
    withStore(async (store) => {
      const bar = new SingleBar({ format: 'loading {bar} {percentage}% | {value}/{total} bytes | {duration}s', hideCursor: true });
      bar.start(1, 0);
      const result = await loadStagingCsv({
        db: store,
        file,
        chunkSize: opts.chunk,
        onProgress: (read, total) => {
          bar.setTotal(total);
          bar.update(read);
        },
      });
      bar.stop();
      console.log(`staged ${result.loaded} rows; ${result.rejected.length} rejected`);
      if (result.rejected.length > 0) {
        for (const r of result.rejected.slice(0, 10)) console.log(`  line ${r.line}: ${r.reason}`);
        if (opts.rejects) {
          writeFileSync(
            opts.rejects,
            `line,reason\n${result.rejected.map((r) => `${r.line},"${r.reason.replaceAll('"', '""')}"`).join('\n')}\n`,
          );
          console.log(`all rejected rows written to ${opts.rejects}`);
        }
        process.exitCode = 2;
      }
    }),
  );
staging
  .command('run')
  .description('process the staging backlog now, then exit')
  .action(() =>
    withStore(async (store, cfg) => {
      const logger = createLogger('warn', process.stderr);
      const metrics = createMetrics();
      const recorder = createRecorder({ store, cache: null, metrics, logger, maxBatch: cfg.env.GROUP_COMMIT_MAX_BATCH });
      const processor = createStagingProcessor({
        store,
        recorder,
        metrics,
        logger,
        batchSize: cfg.env.STAGING_BATCH_SIZE,
        intervalSeconds: cfg.env.STAGING_INTERVAL_SECONDS,
        maxRetries: cfg.env.STAGING_MAX_RETRIES,
        defaultCurrency: cfg.env.DEFAULT_CURRENCY,
        paymentRules: cfg.paymentRules,
      });
      const backlog =
        (await store.query<{ n: number }>('SELECT count(*)::bigint AS n FROM payment_staging WHERE processed = FALSE')).rows[0]?.n ?? 0;
      const bar = new SingleBar({ format: 'staging {bar} {percentage}% | {value}/{total} rows | {duration}s', hideCursor: true });
      bar.start(backlog, 0);
      let done = 0;
      const totals = await processor.drain((s) => {
        done += s.total;
        bar.update(Math.min(done, backlog));
      });
      bar.stop();
      console.log(`batches ${totals.batches}: recorded ${totals.processed}, duplicates ${totals.duplicates}, errors ${totals.errors}`);
    }),
  );

const partitions = program.command('partitions').description('monthly partitions of payment_service.payments');
partitions
  .command('list')
  .description('list partitions with their ranges')
  .option('--rows', 'also count the rows in each partition (scans the table)')
  .action((opts: { rows?: boolean }) =>
    withStore(async (store) => {
      console.table(partitionTableRows(await createPartitionManager({ store }).listPartitions({ countRows: opts.rows ?? false })));
    }),
  );
partitions
  .command('ensure')
  .description('create partitions ahead, and for any month waiting in the default partition (moving its rows)')
  .option('--ahead <months>', 'months ahead to create', positiveInt)
  .action((opts: { ahead?: number }) =>
    withStore(async (store, cfg) => {
      const r = await createPartitionManager({ store }).ensurePartitions({ monthsAhead: opts.ahead ?? cfg.env.PARTITION_MONTHS_AHEAD });
      console.log(
        `created ${r.created.length} partition(s)${r.created.length ? `: ${r.created.join(', ')}` : ''}; moved ${r.movedRows} row(s) out of the default partition`,
      );
    }),
  );
partitions
  .command('archive')
  .description('detach partitions older than the retention into schema payment_service_archive (or drop them)')
  .option('--retention <months>', 'months to keep', positiveInt)
  .option('--drop', 'drop instead of detaching (data is deleted)')
  .action((opts: { retention?: number; drop?: boolean }) =>
    withStore(async (store, cfg) => {
      const r = await createPartitionManager({ store }).archivePartitions({
        retentionMonths: opts.retention ?? cfg.env.PARTITION_RETENTION_MONTHS,
        mode: opts.drop ? 'drop' : 'detach',
      });
      console.log(
        r.archived.length ? `${opts.drop ? 'dropped' : 'archived'}: ${r.archived.join(', ')}` : 'nothing older than the retention',
      );
    }),
  );

program
  .command('references')
  .description('dedup references')
  .command('cleanup')
  .description('delete references older than --days (the same reference arriving later is then recorded again)')
  .requiredOption('--days <days>', 'age in days', positiveInt)
  .action((opts: { days: number }) =>
    withStore(async (store) => {
      const job = createReferenceCleanupJob({ store, ttlDays: opts.days, logger: createLogger('warn', process.stderr) });
      console.log(await job.run());
    }),
  );

const isoDay = (v: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) {
    throw new InvalidArgumentError('expected a calendar date YYYY-MM-DD (UTC)');
  }
  return v;
};

program
  .command('export')
  .description(
    'write warehouse tables as Hive-partitioned Parquet (DIR/<table>/date=YYYY-MM-DD/part-0.parquet); re-running replaces the same files',
  )
  .requiredOption('--from <date>', 'first UTC day, YYYY-MM-DD', isoDay)
  .requiredOption('--to <date>', 'last UTC day, YYYY-MM-DD (inclusive)', isoDay)
  .requiredOption('--out <dir>', 'output directory')
  .option('--tables <names>', `comma-separated tables (default: all but applied_events): ${TABLE_NAMES.join(', ')}`)
  .action(async (opts: { from: string; to: string; out: string; tables?: string }) => {
    if (opts.from > opts.to) throw new InvalidArgumentError(`--from ${opts.from} is after --to ${opts.to}`);
    const tables = opts.tables?.split(',').map((t) => t.trim());
    const unknown = tables?.filter((t) => !(TABLE_NAMES as string[]).includes(t)) ?? [];
    if (unknown.length > 0) throw new InvalidArgumentError(`unknown table(s) ${unknown.join(', ')}; tables: ${TABLE_NAMES.join(', ')}`);
    const cfg = config();
    const warehouse = await openDuckDbWarehouse({
      path: cfg.env.WAREHOUSE_PATH ?? join(cfg.env.DATA_DIR, 'warehouse.duckdb'),
      logger: createLogger(process.env.LOG_LEVEL ?? 'warn', process.stderr),
      // The only directory this instance may write; every other path stays closed (ADR 0007).
      exportDir: resolve(opts.out),
    });
    const bar = new SingleBar({
      format: 'export {bar} {percentage}% | {value}/{total} table-days | {item} | {duration}s',
      hideCursor: true,
    });
    try {
      let started = false;
      const result = await warehouse.exportParquet({
        from: opts.from,
        to: opts.to,
        dir: resolve(opts.out),
        ...(tables ? { tables: tables as TableName[] } : {}),
        onProgress: (done, total, item) => {
          if (!started) {
            bar.start(total, 0, { item: '' });
            started = true;
          }
          bar.update(done, { item: `${item.table} ${item.date}` });
        },
      });
      bar.stop();
      const rows = result.files.reduce((n, f) => n + f.rows, 0);
      console.log(`wrote ${result.files.length} Parquet files, ${rows} rows, under ${resolve(opts.out)}`);
    } finally {
      bar.stop();
      await warehouse.close();
    }
  });

/** Calls the running server's API (dead letters and merchants live with the process that owns the warehouse). */
async function callServer(url: string, path: string, init?: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    const headers = new Headers(init?.headers);
    const key = apiKeyForServer();
    if (key && !headers.has('authorization')) headers.set('authorization', `Bearer ${key}`);
    res = await fetch(new URL(path, url), { ...init, headers });
  } catch (error) {
    throw new Error(`cannot reach Payscope at ${url} (${(error as Error).message}); start it, or pass --url`);
  }
  const body = (await res.json()) as { error?: { code: string; message: string } };
  if (!res.ok) throw new Error(`${body.error?.code ?? res.status}: ${body.error?.message ?? res.statusText}`);
  return body;
}
/** The API key for server calls: PAYSCOPE_API_KEY, else the embedded default's DATA_DIR/admin-api-key. */
function apiKeyForServer(): string | null {
  if (process.env.PAYSCOPE_API_KEY) return process.env.PAYSCOPE_API_KEY;
  try {
    return readFileSync(join(process.env.DATA_DIR ?? './data', 'admin-api-key'), 'utf8').trim();
  } catch {
    return null;
  }
}
const serverUrl = () => process.env.PAYSCOPE_URL ?? `http://${process.env.HOST ?? '127.0.0.1'}:${process.env.PORT ?? '3004'}`;

const deadLetters = program
  .command('dead-letters')
  .description('events the pipeline could not use, kept with their error (asks the running server)');
deadLetters
  .command('list')
  .description('list open dead letters, oldest first')
  .option('--stage <stage>', 'capture or analytics')
  .option('--all', 'include replayed ones')
  .option('--limit <n>', 'how many', positiveInt, 100)
  .option('--url <url>', 'the server (default PAYSCOPE_URL or http://HOST:PORT)')
  .action(async (opts: { stage?: string; all?: boolean; limit: number; url?: string }) => {
    const q = new URLSearchParams({ limit: String(opts.limit), include_replayed: String(Boolean(opts.all)) });
    if (opts.stage) q.set('stage', opts.stage);
    const body = (await callServer(opts.url ?? serverUrl(), `/api/v1/dead-letters?${q}`)) as {
      items: {
        id: number;
        stage: string;
        event_type: string | null;
        event_id: string | null;
        error_code: string;
        error_message: string;
        attempts: number;
      }[];
    };
    if (body.items.length === 0) console.log('no dead letters');
    for (const l of body.items) {
      console.log(
        `#${l.id} [${l.stage}] ${l.event_type ?? '?'} ${l.event_id ?? '(no id)'} — ${l.error_code}: ${l.error_message} (attempts ${l.attempts})`,
      );
    }
  });
deadLetters
  .command('replay [ids...]')
  .description(
    'run open dead letters through their stage again (all, or the given ids): the pipeline for analytics, the intake for capture',
  )
  .option('--stage <stage>', 'analytics or capture', 'analytics')
  .option('--url <url>', 'the server (default PAYSCOPE_URL or http://HOST:PORT)')
  .action(async (ids: string[], opts: { url?: string; stage: string }) => {
    const body = { stage: opts.stage, ...(ids.length > 0 ? { ids: ids.map((i) => positiveInt(i)) } : {}) };
    const result = (await callServer(opts.url ?? serverUrl(), '/api/v1/dead-letters/replay', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })) as { replayed: number; still_failing: number };
    console.log(`replayed ${result.replayed}, still failing ${result.still_failing}`);
    if (result.still_failing > 0) process.exitCode = 2;
  });

program
  .command('merchants')
  .description('the merchant dimension (asks the running server)')
  .command('load <file>')
  .description('load merchants from CSV (merchant_id,name[,category,settlement_cycle,region,country]); all rows or none')
  .option('--url <url>', 'the server (default PAYSCOPE_URL or http://HOST:PORT)')
  .action(async (file: string, opts: { url?: string }) => {
    const result = await callServer(opts.url ?? serverUrl(), '/api/v1/merchants', {
      method: 'PUT',
      headers: { 'content-type': 'text/csv' },
      body: readFileSync(file, 'utf8'),
    });
    console.log(result);
  });

registerDemoCommand(program, config);
registerKeysCommand(program, withStore, config);

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
