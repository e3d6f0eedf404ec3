/**
 * The `payscope` command line for tests that run it as its own OS process, compiled once per test
 * run instead of once per process. `node --import tsx src/cli/main.ts` compiles and resolves the
 * ~200 modules on every start (~2.5–3 s of CPU each, measured here; keys.happy spent 12.7 s on
 * three of them); one esbuild bundle of `src/cli/main.ts` (npm packages left as imports) starts
 * in ~1 s. Same source, same arguments and environment, a real process with real exit codes.
 *
 * @example
 * const { stdout } = await execFileP(process.execPath, [...(await cliArgs()), 'keys', 'list'], { cwd: REPO_ROOT });
 */
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { inject } from 'vitest';
import { buildOncePerRun } from './run-cache.js';

/** The repository root: run the CLI with this as its working directory (it finds docs/ and dist/web there). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

let entry: Promise<string> | undefined;

/**
 * Node arguments that start the CLI: `[bundle.mjs]`, or `['--import', 'tsx', 'src/cli/main.ts']`
 * outside a harness run. Append the sub-command and its options.
 */
export async function cliArgs(): Promise<string[]> {
  entry ??= bundleCli();
  const bundled = await entry;
  return bundled ? [bundled] : ['--import', 'tsx', 'src/cli/main.ts'];
}

async function bundleCli(): Promise<string> {
  if (!inject('payscopeHarnessDir')) return '';
  const dir = await buildOncePerRun('cli', async (out) => {
    await build({
      entryPoints: [join(REPO_ROOT, 'src/cli/main.ts')],
      outfile: join(out, 'main.mjs'),
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
    });
    // The bundle lives in the run's temp directory: its package imports resolve through this link.
    await symlink(join(REPO_ROOT, 'node_modules'), join(out, 'node_modules'), 'dir');
  });
  return dir ? join(dir, 'main.mjs') : '';
}
