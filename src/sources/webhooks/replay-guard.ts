import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

/**
 * Remembers which Standard Webhooks ids (and Stripe-Signature t+v1 pairs) were already answered, and with what, for twice the
 * timestamp tolerance (older messages are refused on their timestamp anyway). A replayed id gets
 * the first answer back and is not processed again. With Redis the memory is shared by every
 * instance; without it, a restart forgets, and the reference dedup still answers 'duplicate'.
 */
export interface ReplayGuard {
  answered(source: string, webhookId: string): Promise<ReplayAnswer | undefined>;
  remember(source: string, webhookId: string, answer: ReplayAnswer): Promise<void>;
}

export interface ReplayAnswer {
  status: 'created' | 'duplicate' | 'transitioned';
  payment_id: string;
}

export function createReplayGuard(options: {
  ttlSeconds: number;
  redis?: Redis | null;
  namespace?: string;
  maxEntries?: number;
}): ReplayGuard {
  const memory = new LRUCache<string, ReplayAnswer>({ max: options.maxEntries ?? 100_000, ttl: options.ttlSeconds * 1000 });
  const key = (source: string, id: string) => `payscope:${options.namespace ?? 'default'}:whid:${source}:${id}`;
  return {
    async answered(source, webhookId) {
      const k = key(source, webhookId);
      const local = memory.get(k);
      if (local || !options.redis) return local;
      try {
        const shared = await options.redis.get(k);
        return shared ? (JSON.parse(shared) as ReplayAnswer) : undefined;
      } catch {
        return undefined;
      }
    },
    async remember(source, webhookId, answer) {
      const k = key(source, webhookId);
      memory.set(k, answer);
      if (options.redis) {
        await options.redis.set(k, JSON.stringify(answer), 'EX', options.ttlSeconds).catch(() => undefined);
      }
    },
  };
}
