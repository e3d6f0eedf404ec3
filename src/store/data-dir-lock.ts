import { mkdirSync } from 'node:fs';
import lockfile from 'proper-lockfile';

/**
 * PGlite does not lock its data directory, and two processes on one directory lose data. We hold
 * an exclusive lock (a lock directory refreshed every second) for as long as the process runs; a
 * lock left by a killed process is taken over once it is `staleMs` old.
 */
export class DataDirLockedError extends Error {
  constructor(readonly dir: string) {
    super(
      `another Payscope process is using ${dir} (lock ${dir}.lock). Stop it first, or give this one its own DATA_DIR. ` +
        'Two processes on one embedded database would lose data.',
    );
    this.name = 'DataDirLockedError';
  }
}

export async function lockDataDir(dir: string, { staleMs = 5000, waitMs = 6000 } = {}): Promise<() => Promise<void>> {
  mkdirSync(dir, { recursive: true });
  try {
    const release = await lockfile.lock(dir, {
      stale: staleMs,
      update: Math.max(1000, Math.floor(staleMs / 4)),
      realpath: false,
      // Wait a little longer than `stale`, so a restart right after a crash takes the old lock over.
      retries: { retries: Math.ceil(waitMs / 500), minTimeout: 500, maxTimeout: 500, factor: 1 },
      onCompromised: (e) => {
        console.error(`data directory lock on ${dir} was lost: ${e.message}; stopping to protect the data`);
        process.exit(70);
      },
    });
    return release;
  } catch (error) {
    if ((error as { code?: string }).code === 'ELOCKED') throw new DataDirLockedError(dir);
    throw error;
  }
}
