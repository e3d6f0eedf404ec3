import type { Rng } from './random.js';
import { DAILY_GROWTH, HOUR_WEIGHTS_IST, WEEKDAY_WEIGHTS } from './world.js';

/**
 * The demo's one traffic curve. The 30-day history and the live trickle after it both follow it,
 * so today's bar in a trend chart is as tall as yesterday's at the same hour (issue 9, item 18):
 * payments per hour = the history's size × the intensity at that time (hour of the day in IST,
 * weekday, slow growth) ÷ the intensity summed over the history's window.
 *
 * Why the live rate comes down to the history's rather than the history up to a fixed live rate:
 * ten payments a second for thirty days is 26 million payments; the history is sized to be sent
 * in ~15 s on two cores, so the live trickle follows it (about 5–15 payments an hour at the
 * defaults, fewer at night, more with `--payments`).
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const IST_OFFSET = 5.5 * HOUR;
const STEP = 15 * MINUTE;

/** Relative intensity at `t` (ms): IST hour-of-day × weekday × growth, 1 on a mean hour at `windowEnd`'s growth. */
export function intensityAt(t: number, windowEnd: number): number {
  const ist = new Date(t + IST_OFFSET);
  return (
    (HOUR_WEIGHTS_IST[ist.getUTCHours()] ?? 1) * (WEEKDAY_WEIGHTS[ist.getUTCDay()] ?? 1) * (1 + DAILY_GROWTH) ** ((t - windowEnd) / DAY)
  );
}

/** The largest intensity over any time up to `windowEnd` (for rejection sampling; growth only shrinks it). */
export const MAX_INTENSITY = Math.max(...HOUR_WEIGHTS_IST) * Math.max(...WEEKDAY_WEIGHTS);

export interface HistoryShape {
  payments: number;
  days: number;
  /** End of the history's window (ms). */
  now: number;
}

/** The curve a history of `shape` was drawn from, as payments per hour at any time (also after `now`). */
export function paymentsPerHour(shape: HistoryShape): (t: number) => number {
  const start = shape.now - shape.days * DAY;
  let mass = 0; // intensity × hours over the window, midpoint rule on quarter hours
  for (let t = start; t < shape.now; t += STEP) mass += intensityAt(t + STEP / 2, shape.now) * (STEP / HOUR);
  const scale = mass > 0 ? shape.payments / mass : 0;
  return (t) => scale * intensityAt(t, shape.now);
}

/**
 * Payment times in [from, to) drawn from the curve `perHour` (a non-homogeneous Poisson process,
 * by thinning): the live trickle calls it once a second for the second just gone; tests call it
 * for simulated days. Deterministic in `rng`.
 */
export function arrivalsBetween(rng: Rng, from: number, to: number, perHour: (t: number) => number, maxPerHour: number): number[] {
  const out: number[] = [];
  if (maxPerHour <= 0 || to <= from) return out;
  const perMs = maxPerHour / HOUR;
  let t = from;
  for (;;) {
    t += -Math.log(1 - rng.next()) / perMs;
    if (t >= to) return out;
    if (rng.next() * maxPerHour < perHour(t)) out.push(Math.floor(t));
  }
}

/** An upper bound of `perHour` over the next `days` after `from` (the live trickle's thinning bound). */
export function maxPerHourAfter(perHour: (t: number) => number, from: number, days = 2): number {
  let max = 0;
  for (let t = from; t < from + days * DAY; t += STEP) max = Math.max(max, perHour(t), perHour(t + STEP - 1));
  return max * 1.05;
}
