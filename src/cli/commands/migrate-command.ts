import type { Command } from 'commander';
import { withStore } from '../open-stores.js';

/** `payscope migrate`: opening the store applies pending migrations. */
export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .action(() => withStore(async () => console.log('migrations are up to date')));
}
