import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { createApiKey, listApiKeys, parseRoles, revokeApiKey } from '../api/access/api-keys.js';
import type { Config } from '../core/config.js';
import type { OperationalStore } from '../store/store-port.js';

type WithStore = <T>(fn: (store: OperationalStore, cfg: Config) => Promise<T>) => Promise<T>;

/**
 * `payscope keys create|list|revoke`: API keys in the operational store. On the embedded store the
 * data dir is held by a running server, so stop it first (or run these against PostgreSQL, where
 * they work beside running servers; a revoked key stops working within 5 s).
 */
export function registerKeysCommand(program: Command, withStore: WithStore): void {
  const keys = program.command('keys').description('API keys (roles: ingest, analyst, finance, admin)');
  keys
    .command('create')
    .description('create a key; it is printed once and only its hash is stored')
    .requiredOption('--name <name>', 'who or what holds the key')
    .requiredOption('--roles <roles>', 'comma-separated: ingest, analyst, finance, admin', (v: string) => {
      const parsed = parseRoles(v);
      if (!parsed.ok) throw new InvalidArgumentError(parsed.message);
      return parsed.roles;
    })
    .action((opts: { name: string; roles: ReturnType<typeof parseRoles> extends { roles: infer R } ? R : never }) =>
      withStore(async (store) => {
        const { key, apiKey } = await createApiKey(store, { name: opts.name, roles: opts.roles });
        console.log(`created key ${apiKey.id} '${apiKey.name}' with role(s) ${apiKey.roles.join(', ')}`);
        console.log(`\n  ${key}\n`);
        console.log('Store it now: it is not shown again. Send it as "Authorization: Bearer <key>".');
      }),
    );
  keys
    .command('list')
    .description('list keys (prefix, roles, created, last used, revoked); never the secrets')
    .action(() =>
      withStore(async (store) => {
        const rows = await listApiKeys(store);
        if (rows.length === 0) console.log('no API keys');
        else
          console.table(
            rows.map((k) => ({
              id: k.id,
              name: k.name,
              prefix: `${k.key_prefix}…`,
              roles: k.roles.join(','),
              created: k.created_at.toISOString(),
              last_used: k.last_used_at?.toISOString() ?? '',
              revoked: k.revoked_at?.toISOString() ?? '',
            })),
          );
      }),
    );
  keys
    .command('revoke <id>')
    .description('revoke a key by id (see keys list)')
    .action((id: string) =>
      withStore(async (store) => {
        if (!/^\d+$/.test(id)) throw new InvalidArgumentError('expected a key id (a number; see payscope keys list)');
        if (await revokeApiKey(store, Number(id))) console.log(`revoked key ${id}`);
        else {
          console.error(`no active key ${id}`);
          process.exitCode = 1;
        }
      }),
    );
}
