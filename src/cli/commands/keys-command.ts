import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { type AccessRole, apiKeyView, createApiKey, listApiKeys, parseRoles, revokeApiKey } from '../../api/access/api-keys.js';
import type { Config } from '../../core/config.js';
import { resolveApiKey } from '../demo/index.js';
import { DataDirLockedError } from '../../store/data-dir-lock.js';
import type { OperationalStore } from '../../store/store-port.js';

import type { WithStore } from '../open-stores.js';

/** A key as the CLI shows it (the store's row or the API's JSON). */
type KeyRow = ReturnType<typeof apiKeyView>;

/** Where keys live: the operational store itself, or a running server's `/api/v1/keys`. */
interface KeysBackend {
  readonly via: string;
  create(name: string, roles: readonly AccessRole[]): Promise<{ key: string; row: KeyRow }>;
  list(): Promise<KeyRow[]>;
  revoke(id: number): Promise<boolean>;
}

const storeBackend = (store: OperationalStore): KeysBackend => ({
  via: 'the operational store',
  async create(name, roles) {
    const { key, apiKey } = await createApiKey(store, { name, roles });
    return { key, row: apiKeyView(apiKey) };
  },
  list: async () => (await listApiKeys(store)).map(apiKeyView),
  revoke: (id) => revokeApiKey(store, id),
});

function httpBackend(url: string, apiKey: string | null): KeysBackend {
  if (!apiKey) {
    throw new Error(
      `to manage keys through the server at ${url} give an admin key: --api-key psk_…, PAYSCOPE_API_KEY, or DATA_DIR/admin-api-key`,
    );
  }
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    let res: Response;
    try {
      res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new Error(`no answer from the server at ${url} (${(error as Error).message}); is it running? --url sets where it is`);
    }
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (res.status >= 400 && res.status !== 404) {
      const e = json.error as { code?: string; message?: string } | undefined;
      throw new Error(`the server at ${url} answered ${res.status} ${e?.code ?? ''}: ${e?.message ?? 'no details'}`);
    }
    return { status: res.status, json };
  };
  return {
    via: `the server at ${url}`,
    async create(name, roles) {
      const { json } = await call('POST', '/api/v1/keys', { name, roles });
      const { key, ...row } = json as unknown as KeyRow & { key: string };
      return { key, row };
    },
    list: async () => ((await call('GET', '/api/v1/keys')).json.items ?? []) as KeyRow[],
    revoke: async (id) => (await call('DELETE', `/api/v1/keys/${id}`)).status === 200,
  };
}

interface ConnectionOptions {
  url?: string;
  apiKey?: string;
}

/**
 * `payscope keys create|list|revoke`: API keys. Straight in the operational store when the CLI can
 * open it; through a running server's admin API (`/api/v1/keys`) with `--url`, or when the
 * embedded data directory is held by a running server (it answers at HOST:PORT; the admin key is
 * read from --api-key, PAYSCOPE_API_KEY or DATA_DIR/admin-api-key). A revoked key stops working
 * within 5 s on every server.
 */
export function registerKeysCommand(program: Command, withStore: WithStore, config: () => Config): void {
  async function withKeys(opts: ConnectionOptions, fn: (keys: KeysBackend) => Promise<void>): Promise<void> {
    const url = opts.url ?? process.env.PAYSCOPE_URL;
    const cfg = config();
    const key = () => resolveApiKey(opts.apiKey, process.env, cfg.env.DATA_DIR);
    if (url) return fn(httpBackend(url.replace(/\/+$/, ''), key()));
    try {
      await withStore((store) => fn(storeBackend(store)));
    } catch (error) {
      if (!(error instanceof DataDirLockedError)) throw error;
      const local = `http://${cfg.env.HOST === '0.0.0.0' ? '127.0.0.1' : cfg.env.HOST}:${cfg.env.PORT}`;
      console.error(`The embedded store in ${error.dir} is held by a running server: asking it at ${local} instead.`);
      await fn(httpBackend(local, key()));
    }
  }
  const keys = program
    .command('keys')
    .description('API keys (roles: ingest, analyst, finance, admin); through a running server when it holds the embedded store')
    .option('--url <url>', 'manage keys through this running server (default: the store directly, or PAYSCOPE_URL)')
    .option('--api-key <key>', 'admin key for --url (default: PAYSCOPE_API_KEY, then DATA_DIR/admin-api-key)');
  const connection = () => keys.opts<ConnectionOptions>();
  keys
    .command('create')
    .description('create a key; it is printed once and only its hash is stored')
    .requiredOption('--name <name>', 'who or what holds the key')
    .requiredOption('--roles <roles>', 'comma-separated: ingest, analyst, finance, admin', (v: string) => {
      const parsed = parseRoles(v);
      if (!parsed.ok) throw new InvalidArgumentError(parsed.message);
      return parsed.roles;
    })
    .action((opts: { name: string; roles: AccessRole[] }) =>
      withKeys(connection(), async (backend) => {
        const { key, row } = await backend.create(opts.name, opts.roles);
        console.log(`created key ${row.id} '${row.name}' with role(s) ${row.roles.join(', ')} (via ${backend.via})`);
        console.log(`\n  ${key}\n`);
        console.log('Store it now: it is not shown again. Send it as "Authorization: Bearer <key>".');
      }),
    );
  keys
    .command('list')
    .description('list keys (prefix, roles, created, last used, revoked); never the secrets')
    .action(() =>
      withKeys(connection(), async (backend) => {
        const rows = await backend.list();
        if (rows.length === 0) console.log('no API keys');
        else
          console.table(
            rows.map((k) => ({
              id: k.id,
              name: k.name,
              prefix: `${k.key_prefix}…`,
              roles: k.roles.join(','),
              created: k.created_at,
              last_used: k.last_used_at ?? '',
              revoked: k.revoked_at ?? '',
            })),
          );
      }),
    );
  keys
    .command('revoke <id>')
    .description('revoke a key by id (see keys list)')
    .action((id: string) => {
      if (!/^\d+$/.test(id)) throw new InvalidArgumentError('expected a key id (a number; see payscope keys list)');
      return withKeys(connection(), async (backend) => {
        if (await backend.revoke(Number(id))) console.log(`revoked key ${id}`);
        else {
          console.error(`no active key ${id}`);
          process.exitCode = 1;
        }
      });
    });
}
