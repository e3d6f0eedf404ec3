/**
 * Runs `payscope start` as a separate OS process (the CLI bundled once per run, see cli.ts), for
 * tests that must kill the server the hard way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPgliteStore, openPglite } from '../../src/store/pglite-adapter.js';
import { createPgPool, createPostgresStore } from '../../src/store/postgres-adapter.js';
import type { OperationalStore } from '../../src/store/store-port.js';
import { cliArgs } from './cli.js';
import { seedMigratedPglite } from './stores.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** `args` are passed after `start` (e.g. `--demo`). */
export async function spawnServer(env: Record<string, string>, timeoutMs = 60_000, args: readonly string[] = []): Promise<ServerProcess> {
  // A first start on an embedded data directory: give it the run's migrated PGlite database
  // (PGlite's initdb in WebAssembly costs the child ~6 s of CPU). A restart finds its own.
  const pgliteDir = env.DATA_DIR && !env.DATABASE_URL ? join(env.DATA_DIR, 'pglite') : null;
  if (pgliteDir && !existsSync(pgliteDir)) await seedMigratedPglite(pgliteDir);
  const child = spawn(process.execPath, [...(await cliArgs()), 'start', ...args], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = () => {
      const m = /Payscope is running at (\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before starting:\n${out}`));
    });
  });
  return {
    url,
    child,
    output: () => out,
    async kill(signal) {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/**
 * Runs `fn` on the database a spawned server used — its DATABASE_URL, or the PGlite files in its
 * DATA_DIR (open these only after the server has stopped) — and closes it.
 */
export async function withServerStore<T>(
  kind: 'pglite' | 'postgres',
  server: { env: Record<string, string>; dataDir: string },
  fn: (store: OperationalStore) => Promise<T>,
): Promise<T> {
  const store =
    kind === 'postgres'
      ? createPostgresStore(createPgPool(server.env.DATABASE_URL as string, { min: 0, max: 2 }))
      : createPgliteStore(await openPglite(join(server.dataDir, 'pglite')));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
