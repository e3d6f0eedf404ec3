/**
 * Things built once per test run and shared by every worker (PGlite and PostgreSQL template
 * databases, the CLI bundle), kept in the run's harness directory and removed with it.
 */
import { access, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';

/**
 * Runs `build(dir)` once per test run across all workers and returns `dir` (under the harness's
 * run directory) once it is complete. The first worker to create `<name>.lock` builds; the others
 * wait for the finished directory (renamed into place, so it is never seen half-built) instead of
 * spending the same CPU. A failed build releases the lock and the next caller tries again.
 */
export async function buildOncePerRun(name: string, build: (dir: string) => Promise<void>): Promise<string | undefined> {
  const harnessDir: string | undefined = inject('payscopeHarnessDir');
  if (!harnessDir) return undefined;
  const target = join(harnessDir, name);
  const lock = `${target}.lock`;
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    if (await exists(target)) return target;
    const mine = await mkdir(lock).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') return false;
        throw error;
      },
    );
    if (!mine) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    const building = await mkdtemp(join(harnessDir, `${name}-building-`));
    try {
      await build(building);
      await rename(building, target);
      return target;
    } catch (error) {
      await rm(building, { recursive: true, force: true });
      await rm(lock, { recursive: true, force: true });
      throw error;
    }
  }
  throw new Error(`timed out waiting for another test worker to build ${target}`);
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
