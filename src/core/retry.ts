import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs `fn`, retrying while `isRetryable(error)` with exponential backoff and jitter.
 * @example await withRetry(() => store.transaction(work), { retries: 3, isRetryable: isRetryableStoreError })
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: {
    retries: number;
    baseDelayMs?: number;
    maxDelayMs?: number;
    isRetryable: (e: unknown) => boolean;
    onRetry?: (e: unknown, attempt: number) => void;
  },
): Promise<T> {
  const base = options.baseDelayMs ?? 50;
  const max = options.maxDelayMs ?? 5000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt > options.retries || !options.isRetryable(error)) throw error;
      options.onRetry?.(error, attempt);
      const delay = Math.min(max, base * 2 ** (attempt - 1));
      await sleep(delay / 2 + Math.random() * (delay / 2));
    }
  }
}
