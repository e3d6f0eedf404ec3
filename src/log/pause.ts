import { setTimeout as sleep } from 'node:timers/promises';

/** An interruptible sleep: loops wait on it between polls and retries, and `stop()` cuts the wait short. */
export interface Pause {
  /** Resolves after `ms`, or at once when woken. */
  wait(ms: number): Promise<void>;
  /** Ends the current wait (and makes the next one return at once if none is in progress). */
  wake(): void;
}

export function createPause(): Pause {
  let controller = new AbortController();
  return {
    async wait(ms) {
      if (controller.signal.aborted) {
        controller = new AbortController();
        return;
      }
      await sleep(ms, undefined, { signal: controller.signal }).catch(() => {
        controller = new AbortController();
      });
    },
    wake() {
      controller.abort();
    },
  };
}

/** Exponential backoff with jitter: `attempt` 1 waits about `base`, doubling up to `max`. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  const delay = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return delay / 2 + Math.random() * (delay / 2);
}

/** A short description of an error for status and logs: its code, if any, and message. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : `${error.name}: ${error.message}`;
  }
  return String(error);
}
