import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Metrics } from '../core/metrics.js';

/**
 * A dedup cache maps a reference number to the id of the payment already committed with it.
 * Caches are only short-cuts: entries are written after the commit that made them true, so a hit
 * is always a real duplicate, and a miss just falls through to the references table.
 */
export interface DedupCache {
  getMany(references: readonly string[]): Promise<Map<string, string>>;
  setMany(entries: ReadonlyArray<readonly [reference: string, paymentId: string]>): Promise<void>;
}

export function createMemoryDedupCache(options: { maxSize: number; ttlMs: number; metrics?: Metrics }): DedupCache {
  const lru = new LRUCache<string, string>({ max: options.maxSize, ttl: options.ttlMs });
  return {
    async getMany(references) {
      const found = new Map<string, string>();
      for (const ref of references) {
        const id = lru.get(ref);
        if (id !== undefined) found.set(ref, id);
      }
      options.metrics?.cacheLookups.inc({ layer: 'memory', result: 'hit' }, found.size);
      options.metrics?.cacheLookups.inc({ layer: 'memory', result: 'miss' }, references.length - found.size);
      return found;
    },
    async setMany(entries) {
      for (const [ref, id] of entries) lru.set(ref, id);
    },
  };
}

/**
 * Redis layer, shared by every instance. Keys are namespaced by the store's id so a cache never
 * answers for a different (or recreated) database. Redis errors degrade to a miss: the database
 * still decides.
 */
export function createRedisDedupCache(options: {
  redis: Redis;
  storeId: string;
  ttlSeconds: number;
  metrics?: Metrics;
  onError?: (error: unknown) => void;
}): DedupCache {
  const key = (ref: string) => `payscope:${options.storeId}:ref:${ref}`;
  const m = options.metrics;
  return {
    async getMany(references) {
      const found = new Map<string, string>();
      if (references.length === 0) return found;
      try {
        const values = await options.redis.mget(references.map(key));
        values.forEach((v, i) => {
          const ref = references[i];
          if (v !== null && ref !== undefined) found.set(ref, v);
        });
        m?.cacheLookups.inc({ layer: 'redis', result: 'hit' }, found.size);
        m?.cacheLookups.inc({ layer: 'redis', result: 'miss' }, references.length - found.size);
      } catch (error) {
        m?.cacheLookups.inc({ layer: 'redis', result: 'error' }, references.length);
        options.onError?.(error);
      }
      return found;
    },
    async setMany(entries) {
      if (entries.length === 0) return;
      try {
        const pipeline = options.redis.pipeline();
        for (const [ref, id] of entries) pipeline.set(key(ref), id, 'EX', options.ttlSeconds);
        await pipeline.exec();
      } catch (error) {
        options.onError?.(error);
      }
    },
  };
}

/** Looks in each layer in turn; a hit in a later layer is copied into the earlier ones. */
export function createLayeredDedupCache(layers: readonly DedupCache[]): DedupCache {
  return {
    async getMany(references) {
      const found = new Map<string, string>();
      let missing = [...references];
      const earlier: DedupCache[] = [];
      for (const layer of layers) {
        if (missing.length === 0) break;
        const hits = await layer.getMany(missing);
        if (hits.size > 0) {
          for (const [ref, id] of hits) found.set(ref, id);
          await Promise.all(earlier.map((e) => e.setMany([...hits])));
          missing = missing.filter((ref) => !hits.has(ref));
        }
        earlier.push(layer);
      }
      return found;
    },
    async setMany(entries) {
      await Promise.all(layers.map((l) => l.setMany(entries)));
    },
  };
}
