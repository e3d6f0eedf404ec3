import { MultiBar, Presets } from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import { openStore } from '../../app.js';
import { type Config, loadConfig } from '../../core/config.js';
import { type LogOutput, createLogOutput, createLogger } from '../../core/logger.js';
import { createMetrics } from '../../core/metrics.js';
import {
  type DemoProgress,
  type DemoSummary,
  type StagingSink,
  demoSecretsOf,
  resolveApiKey,
  runDemo,
  stagingSinkOf,
} from '../demo/index.js';
import { createRecorder } from '../../recorder/recorder.js';
import { createStagingProcessor, stagingSettingsOf } from '../../sources/staging/staging-processor.js';
import type { OperationalStore } from '../../store/store-port.js';

/** `payscope demo`: realistic demo data sent through the running server's real ingestion paths. */

const count = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
};

interface DemoFlags {
  payments: number;
  days: number;
  seed: string;
  url?: string;
  apiKey?: string;
  live?: boolean;
  follow?: boolean;
  rate?: number;
  concurrency: number;
}

export function registerDemoCommand(program: Command, config: () => Config = () => loadConfig()): void {
  program
    .command('demo')
    .description(
      'send realistic demo data to the running server through its real ingestion paths: signed webhooks (generic, razorpay, stripe), ' +
        'the staging table and POST /api/v1/events; --live keeps a trickle flowing until Ctrl-C',
    )
    .option('--payments <n>', 'payments to generate', count, 5000)
    .option('--days <n>', 'spread them over the last N days', count, 30)
    .option('--seed <seed>', 'random seed (the same seed sends the same data: a second run is all duplicates)', '1')
    .option('--url <url>', 'the server (default PAYSCOPE_URL or http://HOST:PORT)')
    .option('--api-key <key>', 'API key for non-webhook calls (default PAYSCOPE_API_KEY, else DATA_DIR/admin-api-key)')
    .option('--live', 'after the backfill, keep sending new payments until stopped (Ctrl-C)')
    .option('--follow', 'the same as --live')
    .option(
      '--rate <n>',
      "live payments per second instead of following the history's daily curve (a load demo: today's bar then outgrows the trend)",
      count,
    )
    .option('--concurrency <n>', 'webhooks in flight at once', count, 16)
    .action(async (flags: DemoFlags) => {
      const cfg = config();
      const url = flags.url ?? process.env.PAYSCOPE_URL ?? `http://${cfg.env.HOST}:${cfg.env.PORT}`;
      const { secrets, from } = demoSecretsOf(cfg.webhookSources, cfg.env.DATA_DIR);
      if (Object.keys(secrets).length === 0) {
        console.error(
          `no webhook secrets: set WEBHOOK_SOURCES (or WEBHOOK_SECRET), or start the server once on this DATA_DIR (${cfg.env.DATA_DIR}) so it writes webhook-secrets.json`,
        );
        process.exit(78);
      }
      const apiKey = resolveApiKey(flags.apiKey, process.env, cfg.env.DATA_DIR);
      const lines: string[] = [`sending to ${url} (webhook secrets from ${from}${apiKey ? ', with an API key' : ''})`];

      // The staging path needs the operational store. On PostgreSQL the CLI reaches it beside the
      // server; the embedded store belongs to the server process, so there the staged payments go
      // to the generic webhook instead (the summary says so).
      let store: OperationalStore | null = null;
      let staging: StagingSink | null = null;
      const logs = createLogOutput(process.stderr, cfg.env.LOG_FORMAT);
      if (cfg.store.kind === 'postgres') {
        const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', logs);
        store = await openStore(cfg, logger);
        const recorder = createRecorder({ store, cache: null, metrics: createMetrics(), logger, maxBatch: cfg.env.GROUP_COMMIT_MAX_BATCH });
        const processor = createStagingProcessor({
          store,
          recorder,
          metrics: createMetrics(),
          logger,
          ...stagingSettingsOf(cfg),
        });
        staging = stagingSinkOf({ db: store, processor });
      } else {
        lines.push('embedded store: the server owns payment_staging, so staged payments go to the generic webhook');
      }
      for (const line of lines) console.log(line);

      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const bars = demoProgressBars({ logs });
      try {
        const summary = await runDemo({
          url,
          payments: flags.payments,
          days: flags.days,
          seed: flags.seed,
          secrets,
          apiKey,
          staging,
          live: Boolean(flags.live || flags.follow),
          ...(flags.rate ? { liveRate: flags.rate } : {}),
          concurrency: flags.concurrency,
          signal: controller.signal,
          onProgress: bars.onProgress,
          onLog: bars.log,
        });
        bars.stop();
        console.log(formatSummary(summary));
        const unintended = summary.rejections.length;
        if (unintended > 0) process.exitCode = 2;
      } finally {
        bars.stop();
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await store?.close();
      }
    });
}

/**
 * Progress bars per demo phase (the CLI `demo` command and `start --demo`). While they are on the
 * terminal nothing is written through them: the log lines of `logs` (when it writes to the same
 * terminal) and the demo's own lines are held and printed above the bars at their next redraw,
 * and whatever is still held when they stop is printed below them.
 */
export function demoProgressBars(options: { logs?: LogOutput; stream?: NodeJS.WritableStream & { isTTY?: boolean } } = {}) {
  const stream = options.stream ?? process.stderr;
  const bars = new MultiBar(
    { format: '{phase} {bar} {percentage}% | {value}/{total}', hideCursor: true, clearOnComplete: false, stream },
    Presets.shades_classic,
  );
  const onTerminal = stream.isTTY === true;
  const held: string[] = [];
  // cli-progress prints its log buffer only at a redraw (and drops it at stop): hand lines over just before one.
  bars.on('update-pre', () => {
    for (const text of held.splice(0)) bars.log(text);
  });
  const logs = options.logs;
  const takesLogs = Boolean(logs && onTerminal && logs.isTTY);
  let active = false;
  const phaseBars = new Map<string, ReturnType<MultiBar['create']>>();
  const write = (text: string) => {
    if (active && onTerminal) held.push(text);
    else stream.write(text);
  };
  return {
    onProgress(p: DemoProgress) {
      if (p.phase === 'live') return;
      const label = PHASE_LABELS[p.phase];
      let bar = phaseBars.get(p.phase);
      if (!bar) {
        if (!active) {
          active = true;
          if (takesLogs) logs?.divert((text) => held.push(text));
        }
        bar = bars.create(Math.max(1, p.total), 0, { phase: label });
        phaseBars.set(p.phase, bar);
      }
      bar.setTotal(Math.max(1, p.total));
      bar.update(p.done, { phase: label });
    },
    log: (line: string) => write(`${line}\n`),
    /** True while the bars are drawn (a line written now would land inside them). */
    get active() {
      return active;
    },
    stop() {
      if (!active) return;
      bars.stop();
      active = false;
      if (takesLogs) logs?.divert(null);
      for (const text of held.splice(0)) stream.write(text);
    },
  };
}

const PHASE_LABELS: Record<DemoProgress['phase'], string> = {
  merchants: 'merchants       ',
  events: 'sessions, orders',
  webhooks: 'payments (hooks)',
  staging: 'payments (stage)',
  status: 'status, settle  ',
  live: 'live payments   ',
};

/** The end-of-run table: sent / created / duplicates / rejected per path. */
export function formatSummary(s: DemoSummary): string {
  const row = (name: string, t: { sent: number; created: number; duplicates: number; transitions: number; rejected: number }) =>
    `  ${name.padEnd(22)}${String(t.sent).padStart(8)}${String(t.created).padStart(9)}${String(t.duplicates).padStart(11)}${String(t.transitions).padStart(12)}${String(t.rejected).padStart(10)}`;
  const lines = [
    '',
    `demo data (seed ${s.seed}, ${s.window.days} days to ${s.window.to}) in ${(s.durationMs / 1000).toFixed(1)} s`,
    `  ${'path'.padEnd(22)}${'sent'.padStart(8)}${'created'.padStart(9)}${'duplicates'.padStart(11)}${'transitions'.padStart(12)}${'rejected'.padStart(10)}`,
    row('webhook (generic)', s.webhooks.default),
    row('webhook razorpay', s.webhooks.razorpay),
    row('webhook stripe', s.webhooks.stripe),
    s.staging.mode === 'table'
      ? row('staging table', s.staging)
      : `  staging table           (sent to the generic webhook: ${s.staging.sent})`,
    row('POST /api/v1/events', s.events),
    `  merchants: ${'loaded' in s.merchants ? `${s.merchants.loaded} loaded` : s.merchants.skipped}`,
    `  payments recorded: ${s.paymentsCreated}; intended duplicates (Stripe charge + intent events): ${s.planned.intendedDuplicates}`,
  ];
  if (s.live) lines.push(`  live: ${s.live.payments} payments, ${s.live.events} events, ${s.live.rejected} rejected`);
  if (s.rejections.length > 0) {
    lines.push('  rejections:');
    for (const r of s.rejections) lines.push(`    ${r.path}: ${r.code} ${r.message}`);
  }
  return lines.join('\n');
}
