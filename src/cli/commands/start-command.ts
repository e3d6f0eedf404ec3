import { join } from 'node:path';
import type { Command } from 'commander';
import { type App, ROLES, type Role, startApp } from '../../app.js';
import type { Config } from '../../core/config.js';
import { type LogOutput, type Logger, createLogOutput, createLogger } from '../../core/logger.js';
import { config, positiveInt } from '../command-support.js';
import { demoSecretsOf, resolveApiKey, runDemo, stagingSinkOf } from '../demo/index.js';
import { demoProgressBars, formatSummary } from './demo-command.js';

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

/** `payscope start`: the service with the roles asked for; `--demo` fills an empty ledger first and keeps demo traffic flowing. */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description(
      'start the service (HTTP API, webhook and event intake, staging workers, outbox relay, analytics consumer, scheduled jobs)',
    )
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
}
