import type { Logger } from 'pino';
import { ratio } from '../../analytics/decimal.js';
import { COLLECTED_STATUSES } from '../../contracts/payment-lifecycle.js';
import type { Warehouse } from '../../warehouse/warehouse-port.js';

/**
 * The live feed behind `GET /api/v1/live`: one snapshot per time zone, computed every
 * `intervalMs` only while at least one client listens, shared by every client of that zone.
 * Reads the minute rollup for today (any offset, half-hour zones included, since buckets are
 * UTC minutes) and the payments table for the latest failures.
 */
export interface LiveSnapshot {
  at: string;
  tz: string;
  /** Local calendar day in `tz` and its start as a UTC instant. */
  today: { date: string; from: string };
  /** Succeeded and captured amounts today, per currency, in minor units (field names as in analytics' KPIs). */
  gmv: { currency: string; gmv_minor: number; payment_count: number }[];
  /** Payments per minute over the last 15 complete minutes (UTC minute starts), oldest first. */
  transactions_per_minute: { minute: string; payment_count: number }[];
  /** Succeeded or captured ÷ (those + failed) today, rounded to 6 places as analytics does; null before the first settled outcome. */
  success_rate: number | null;
  counts: { payment_count: number; successful_count: number; failed_count: number; pending_count: number };
  latest_failures: {
    reference_number: string;
    amount_minor: number | null;
    currency: string | null;
    gateway: string | null;
    payment_method: string | null;
    merchant_id: string | null;
    failure_code: string | null;
    failure_reason: string | null;
    at: string | null;
  }[];
}

export type LiveListener = (snapshot: LiveSnapshot, id: string) => void;

export interface LiveFeed {
  /** Starts listening; the current snapshot (computed now if none is fresh) is delivered at once. Returns the unsubscribe. */
  subscribe(tz: string, listener: LiveListener): () => void;
  /** For tests and metrics: computations run so far and listeners now. */
  stats(): { computations: number; listeners: number; running: boolean };
  close(): void;
}

/** Payments that took the payer's money, as the KPIs count them: GMV is their captured amount. */
const SUCCESS: string[] = [...COLLECTED_STATUSES];

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
    const snapshot = await computeSnapshot(deps.warehouse, tz, now());
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
            const snapshot = await computeSnapshot(deps.warehouse, tz, now());
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

/** The UTC instant at which the local day holding `at` starts in `tz`, and that local date. */
export function localDayStart(tz: string, at: Date): { date: string; from: Date } {
  const parts = (d: Date) => {
    const p = Object.fromEntries(
      new Intl.DateTimeFormat('en-CA', {
        timeZone: tz,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
      })
        .formatToParts(d)
        .map((x) => [x.type, x.value]),
    ) as Record<string, string>;
    return p;
  };
  const p = parts(at);
  const date = `${p.year}-${p.month}-${p.day}`;
  // Offset of tz at `at`: local wall time read as UTC, minus the instant.
  const offsetAt = (d: Date) => {
    const q = parts(d);
    return (
      Date.UTC(Number(q.year), Number(q.month) - 1, Number(q.day), Number(q.hour), Number(q.minute), Number(q.second)) -
      Math.floor(d.getTime() / 1000) * 1000
    );
  };
  const midnightAsUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day));
  let from = midnightAsUtc - offsetAt(at);
  // A DST change between midnight and now: use the offset in force at midnight.
  from = midnightAsUtc - offsetAt(new Date(from));
  return { date, from: new Date(from) };
}

async function computeSnapshot(warehouse: Warehouse, tz: string, at: Date): Promise<LiveSnapshot> {
  const { date, from } = localDayStart(tz, at);
  const minuteNow = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
  const seriesFrom = new Date(minuteNow.getTime() - 15 * 60_000);
  const success = SUCCESS.map((s) => `'${s}'`).join(', ');
  const [byCurrency, byStatus, perMinute, failures] = await Promise.all([
    warehouse.query<{ currency: string; amount_minor: number; payments: number }>(
      `SELECT currency, sum(captured_minor)::BIGINT AS amount_minor, sum(payments)::BIGINT AS payments FROM payments_by_minute
       WHERE bucket >= $1::TIMESTAMP AND status IN (${success}) GROUP BY currency ORDER BY currency`,
      [iso(from)],
    ),
    warehouse.query<{ status: string; payments: number }>(
      `SELECT status, sum(payments)::BIGINT AS payments FROM payments_by_minute WHERE bucket >= $1::TIMESTAMP GROUP BY status`,
      [iso(from)],
    ),
    warehouse.query<{ minute: Date; payments: number }>(
      `SELECT bucket AS minute, sum(payments)::BIGINT AS payments FROM payments_by_minute
       WHERE bucket >= $1::TIMESTAMP AND bucket < $2::TIMESTAMP GROUP BY bucket`,
      [iso(seriesFrom), iso(minuteNow)],
    ),
    warehouse.query<LiveSnapshot['latest_failures'][number] & { at: Date | null }>(
      `SELECT reference_number, amount_minor, currency, gateway, payment_method, merchant_id, failure_code, failure_reason, status_time AS at
       FROM payments WHERE status = 'failed' ORDER BY status_time DESC NULLS LAST LIMIT 10`,
    ),
  ]);
  const count = (s: string[]) => byStatus.filter((r) => s.includes(r.status)).reduce((n, r) => n + Number(r.payments), 0);
  const succeeded = count(SUCCESS);
  const failed = count(['failed']);
  const total = count(byStatus.map((r) => r.status));
  const minutes = new Map(perMinute.map((r) => [new Date(r.minute).getTime(), Number(r.payments)]));
  const series: LiveSnapshot['transactions_per_minute'] = [];
  for (let t = seriesFrom.getTime(); t < minuteNow.getTime(); t += 60_000)
    series.push({ minute: new Date(t).toISOString(), payment_count: minutes.get(t) ?? 0 });
  return {
    at: at.toISOString(),
    tz,
    today: { date, from: from.toISOString() },
    gmv: byCurrency.map((r) => ({ currency: r.currency, gmv_minor: Number(r.amount_minor), payment_count: Number(r.payments) })),
    transactions_per_minute: series,
    success_rate: ratio(succeeded, succeeded + failed),
    counts: { payment_count: total, successful_count: succeeded, failed_count: failed, pending_count: total - succeeded - failed },
    latest_failures: failures.map((f) => ({ ...f, at: f.at ? new Date(f.at).toISOString() : null })),
  };
}

function iso(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}
