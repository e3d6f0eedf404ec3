import type { Logger } from 'pino';

/**
 * A small lifecycle registry: components register a stop function as they start, and
 * `stopAll` stops them in reverse order (API first, then workers, then stores), each with a
 * deadline so one stuck component cannot hang shutdown.
 */
export interface Lifecycle {
  onStop(name: string, stop: () => Promise<void>): void;
  stopAll(timeoutMs: number): Promise<void>;
}

export function createLifecycle(logger: Logger): Lifecycle {
  const stops: Array<{ name: string; stop: () => Promise<void> }> = [];
  let stopping: Promise<void> | null = null;
  return {
    onStop(name, stop) {
      stops.push({ name, stop });
    },
    stopAll(timeoutMs) {
      stopping ??= (async () => {
        for (const { name, stop } of [...stops].reverse()) {
          const started = Date.now();
          let timer: NodeJS.Timeout | undefined;
          try {
            await Promise.race([
              stop(),
              new Promise((_, reject) => {
                timer = setTimeout(() => reject(new Error(`did not stop within ${timeoutMs} ms`)), timeoutMs);
              }),
            ]);
            logger.info({ component: name, ms: Date.now() - started }, 'stopped');
          } catch (error) {
            logger.error({ component: name, err: error }, 'failed to stop cleanly');
          } finally {
            clearTimeout(timer);
          }
        }
      })();
      return stopping;
    },
  };
}
