import type { Command } from 'commander';
import { positiveInt } from '../command-support.js';
import { callServer, serverUrl } from '../server-client.js';

/** `payscope dead-letters list|replay`: asks the running server (exit 2 when some still fail). */
export function registerDeadLettersCommand(program: Command): void {
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
}
