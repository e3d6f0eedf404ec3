/**
 * Local calendar arithmetic in an IANA time zone with nothing but `Intl` (no dependency; ADR 0006).
 * Instants are epoch milliseconds; a "wall" time is the local clock reading encoded as if it were
 * UTC (so `new Date(wall).getUTCHours()` is the local hour).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/**
 * Why `tz` cannot be used, or null when it is an IANA zone name this runtime knows (`UTC`,
 * `Asia/Kolkata`, `America/St_Johns`…). Abbreviations are refused although the runtime takes some
 * of them: `IST` is India, Israel or Ireland (the runtime picks India), `EST` is fixed −05:00 with
 * no summer time (the runtime picks Panama) — a report in the wrong zone is worse than an error.
 */
export function timeZoneProblem(tz: string): string | null {
  const example = 'use an IANA zone name such as UTC, Asia/Kolkata, Europe/London or America/New_York';
  if (tz.length === 0 || tz.length > 64) return `expected an IANA time zone name of 1–64 characters; ${example}`;
  if (tz !== 'UTC' && !/^[A-Z][A-Za-z_-]*(\/[A-Za-z0-9_+-]+)+$/.test(tz)) {
    return /^[A-Za-z]{2,5}([0-9][A-Za-z]{3})?$/.test(tz)
      ? `'${tz}' is an abbreviation, not a zone: it can stand for several zones and says nothing of summer time; ${example}`
      : `'${tz}' is not an IANA zone name (Area/Location, case as in the tz database); ${example}`;
  }
  try {
    formatterOf(tz);
    return null;
  } catch {
    return `'${tz}' is not a time zone this server knows; ${example}`;
  }
}

/** The zone's offset from UTC at `instant`, in milliseconds (+05:30 → 19 800 000). */
export function offsetAt(tz: string, instant: number): number {
  if (tz === 'UTC') return 0;
  const at = Math.floor(instant / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const p of formatterOf(tz).formatToParts(at)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const wall = Date.UTC(parts.year as number, (parts.month as number) - 1, parts.day, parts.hour, parts.minute, parts.second);
  return wall - at;
}

/** The local wall time of `instant`. */
export const wallOf = (tz: string, instant: number): number => instant + offsetAt(tz, instant);

/**
 * The first instant whose local time is `wall` or later: the instant itself when the wall time
 * exists (the earlier one when it occurs twice, as in a fall-back hour), the end of the gap when
 * it was skipped (a spring-forward, or a midnight some zones skip).
 */
export function firstInstantAtOrAfter(tz: string, wall: number): number {
  const before = offsetAt(tz, wall - 86_400_000);
  const after = offsetAt(tz, wall + 86_400_000);
  const candidates = [wall - before, wall - after].filter((t) => wallOf(tz, t) === wall).sort((a, b) => a - b);
  if (candidates.length > 0) return candidates[0] as number;
  // In a gap: the transition lies between the two readings; find it to the minute.
  let lo = wall - after;
  let hi = wall - before;
  while (hi - lo > 60_000) {
    const mid = Math.floor((lo + hi) / 120_000) * 60_000;
    if (wallOf(tz, mid) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** `2026-11-20T00:00:00+05:30`: the local time of `instant` with its offset. */
export function formatLocal(tz: string, instant: number): string {
  const offset = offsetAt(tz, instant);
  const wall = new Date(instant + offset).toISOString().slice(0, 19);
  const minutes = Math.round(offset / 60_000);
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${wall}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** A local calendar date (`YYYY-MM-DD`) → the instant its day starts in `tz`. */
export function startOfLocalDate(tz: string, date: string): number {
  return firstInstantAtOrAfter(tz, Date.parse(`${date}T00:00:00Z`));
}

/** The local calendar date of `instant`. */
export const localDateOf = (tz: string, instant: number): string => new Date(wallOf(tz, instant)).toISOString().slice(0, 10);

/** Offsets in force over [from, to): `[{from, offsetMs}]`, each from the instant it starts (found to the minute). */
export function offsetSegments(tz: string, from: number, to: number): { from: number; offsetMs: number }[] {
  const out = [{ from, offsetMs: offsetAt(tz, from) }];
  const step = 6 * 3_600_000;
  for (let t = from; t < to; t += step) {
    const next = Math.min(t + step, to);
    const a = offsetAt(tz, t);
    if (offsetAt(tz, next) === a) continue;
    let lo = t;
    let hi = next;
    while (hi - lo > 60_000) {
      const mid = Math.floor((lo + hi) / 120_000) * 60_000;
      if (offsetAt(tz, mid) === a) lo = mid;
      else hi = mid;
    }
    out.push({ from: hi, offsetMs: offsetAt(tz, hi) });
  }
  return out;
}

export type Granularity = 'minute' | 'hour' | 'day' | 'week' | 'month';

/**
 * Starts of the local buckets of `granularity` that overlap [from, to), in order: minutes are UTC
 * minutes; a local hour starts wherever the local minute is 0 (so a repeated fall-back hour is two
 * buckets and a skipped hour none); days, ISO weeks (Monday) and months start at local midnight,
 * or at the end of the gap when midnight was skipped. Stops early once more than `max` are found.
 */
export function localBucketStarts(tz: string, granularity: Granularity, from: number, to: number, max: number): number[] {
  const out: number[] = [];
  if (granularity === 'minute') {
    for (let t = Math.floor(from / 60_000) * 60_000; t < to && out.length <= max; t += 60_000) out.push(t);
    return out;
  }
  if (granularity === 'hour') {
    // Every offset in use is a multiple of 15 minutes, so local hours start on UTC quarter hours.
    const q = 900_000;
    let t = Math.floor(from / q) * q;
    // Step back to the hour start that contains `from`.
    while (t > from - 3 * 3_600_000 && wallOf(tz, t) % 3_600_000 !== 0) t -= q;
    for (; t < to && out.length <= max; t += q) if (wallOf(tz, t) % 3_600_000 === 0) out.push(t);
    return dropBefore(out, from);
  }
  const startWall = Date.parse(`${localDateOf(tz, from)}T00:00:00Z`);
  let d = new Date(startWall);
  if (granularity === 'week') d = new Date(startWall - ((d.getUTCDay() + 6) % 7) * 86_400_000);
  if (granularity === 'month') d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
  for (;;) {
    const t = firstInstantAtOrAfter(tz, d.getTime());
    if (t >= to || out.length > max) break;
    out.push(t);
    if (granularity === 'day') d = new Date(d.getTime() + 86_400_000);
    else if (granularity === 'week') d = new Date(d.getTime() + 7 * 86_400_000);
    else d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
  }
  return dropBefore(out, from);
}

/** Keeps the last start at or before `from` (the bucket holding it) and everything after. */
function dropBefore(starts: number[], from: number): number[] {
  let first = 0;
  for (let i = 0; i < starts.length; i++) if ((starts[i] as number) <= from) first = i;
  return starts.slice(first);
}
