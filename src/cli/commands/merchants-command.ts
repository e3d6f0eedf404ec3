import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { callServer, serverUrl } from '../server-client.js';

/** `payscope merchants load`: the merchant dimension, through the running server. */
export function registerMerchantsCommand(program: Command): void {
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
}
