import type { Logger } from 'pino';
import { type LiveSnapshot, computeLiveSnapshot, localDayStart } from '../../analytics/live-snapshot.js';
import type { Warehouse } from '../../warehouse/warehouse-port.js';

/**
 * The live feed behind `GET /api/v1/live`: one snapshot per time zone (computed by analytics'
 * `computeLiveSnapshot`), every `intervalMs` only while at least one client listens, shared by
 * every client of that zone.
 */
export type { LiveSnapshot };
export { localDayStart };

export type LiveListener = (snapshot: LiveSnapshot, id: string) => void;

export interface LiveFeed {
  /** Starts listening; the current snapshot (computed now if none is fresh) is delivered at once. Returns the unsubscribe. */
  subscribe(tz: string, listener: LiveListener): () => void;
  /** For tests and metrics: computations run so far and listeners now. */
  stats(): { computations: number; listeners: number; running: boolean };
  close(): void;
}

export function createLiveFeed(deps: { warehouse: Warehouse; intervalMs: number; logger: Logger; now?: () => Date }): LiveFeed {
  const now = deps.now ?? (() => new Date());
  const zones = new Map<string, { listeners: Set<LiveListener>; last: { snapshot: LiveSnapshot; id: string } | null }>();
  const epoch = Date.now().toString(36);
  let seq = 0;
  let computations = 0;
  let timer: NodeJS.Timeout | null = null;
  let ticking = false;
  let closed = false;

  const publish = async (tz: string) => {
    const zone = zones.get(tz);
    if (!zone || zone.listeners.size === 0) return;
    computations++;
    const snapshot = await computeLiveSnapshot(deps.warehouse, tz, now());
    const id = `${epoch}-${++seq}`;
    zone.last = { snapshot, id };
    for (const listener of zone.listeners) listener(snapshot, id);
  };

  const tick = async () => {
    if (ticking) return; // a slow computation: skip this beat rather than pile up
    ticking = true;
    try {
      for (const tz of zones.keys()) {
        await publish(tz).catch((error: unknown) => deps.logger.warn({ err: error, tz }, 'live feed computation failed'));
      }
    } finally {
      ticking = false;
    }
  };

  const ensureTimer = () => {
    const listening = [...zones.values()].some((z) => z.listeners.size > 0);
    if (listening && !timer && !closed) timer = setInterval(() => void tick(), deps.intervalMs);
    if (!listening && timer) {
      clearInterval(timer);
      timer = null;
    }
  };

  return {
    subscribe(tz, listener) {
      let zone = zones.get(tz);
      if (!zone) {
        zone = { listeners: new Set(), last: null };
        zones.set(tz, zone);
      }
      zone.listeners.add(listener);
      const z = zone;
      ensureTimer();
      if (z.last) listener(z.last.snapshot, z.last.id);
      else {
        void (async () => {
          try {
            computations++;
            const snapshot = await computeLiveSnapshot(deps.warehouse, tz, now());
            // The id is taken when the computation ends, so it is the newest yet: it becomes the
            // zone's last even if a tick published meanwhile (keeping the tick's older id let a
            // reconnect with Last-Event-ID get an id below the one it had already seen).
            const id = `${epoch}-${++seq}`;
            z.last = { snapshot, id };
            if (z.listeners.has(listener)) listener(snapshot, id);
          } catch (error) {
            deps.logger.warn({ err: error, tz }, 'live feed computation failed');
          }
        })();
      }
      return () => {
        z.listeners.delete(listener);
        if (z.listeners.size === 0) zones.delete(tz);
        ensureTimer();
      };
    },
    stats: () => ({ computations, listeners: [...zones.values()].reduce((n, z) => n + z.listeners.size, 0), running: timer !== null }),
    close() {
      closed = true;
      if (timer) clearInterval(timer);
      timer = null;
      zones.clear();
    },
  };
}
