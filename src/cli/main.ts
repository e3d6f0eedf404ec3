#!/usr/bin/env node
import { Command } from 'commander';
import { config } from './command-support.js';
import { registerDeadLettersCommand } from './commands/dead-letters-command.js';
import { registerDemoCommand } from './commands/demo-command.js';
import { registerExportCommand } from './commands/export-command.js';
import { registerKeysCommand } from './commands/keys-command.js';
import { registerMerchantsCommand } from './commands/merchants-command.js';
import { registerMigrateCommand } from './commands/migrate-command.js';
import { registerPartitionsCommand } from './commands/partitions-command.js';
import { registerReferencesCommand } from './commands/references-command.js';
import { registerStagingCommand } from './commands/staging-command.js';
import { registerStartCommand } from './commands/start-command.js';
import { withStore } from './open-stores.js';

/**
 * The `payscope` command line: one file per command under `commands/`, registered here in the
 * order `--help` lists them. Every sub-command reads the same environment configuration.
 */

const program = new Command()
  .name('payscope')
  .description(
    'Record payments, publish them as CloudEvents, and analyse the stream.\nConfiguration is environment variables; see README.md.',
  )
  .showHelpAfterError();

registerStartCommand(program);
registerMigrateCommand(program);
registerStagingCommand(program);
registerPartitionsCommand(program);
registerReferencesCommand(program);
registerExportCommand(program);
registerDeadLettersCommand(program);
registerMerchantsCommand(program);
registerDemoCommand(program, config);
registerKeysCommand(program, withStore, config);

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
