import { describe, expect, it } from 'vitest';
import { createDemoGenerator } from './generator.js';
import { arrivalsBetween, maxPerHourAfter, paymentsPerHour } from './pace.js';
import { createRng } from './random.js';

/**
 * The history and the live trickle follow one curve: per hour of the day, the live trickle's
 * payments per hour equal the history's over its last week, within a stated factor — with a seed,
 * on a simulated clock (no timing).
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const IST = 5.5 * HOUR;
const istHour = (t: number) => new Date(t + IST).getUTCHours();

/** Payments per hour for each IST hour of the day, over [from, to). */
function perHourOfDay(times: readonly number[], from: number, to: number): number[] {
  const counts = new Array<number>(24).fill(0);
  for (const t of times) if (t >= from && t < to) counts[istHour(t)] = (counts[istHour(t)] ?? 0) + 1;
  return counts.map((n) => n / ((to - from) / DAY));
}

describe('the demo traffic curve', () => {
  const now = Date.parse('2026-03-15T12:00:00Z');
  const history = { payments: 200_000, days: 30, now };
  const gen = createDemoGenerator({ seed: 11, now: new Date(now), days: history.days, customerCount: 20 });
  const past = Array.from({ length: history.payments }, () => gen.sampleTime(new Date(now), history.days).getTime());
  const curve = paymentsPerHour(history);
  const week = 7 * DAY;
  const future = arrivalsBetween(createRng('pace-test'), now, now + week, curve, maxPerHourAfter(curve, now, 7));

  it('live payments per hour of the day equal the history’s last week within a factor 1.3, every hour', () => {
    const before = perHourOfDay(past, now - week, now);
    const after = perHourOfDay(future, now, now + week);
    for (let h = 0; h < 24; h++) {
      const ratio = (after[h] as number) / (before[h] as number);
      expect(ratio, `IST hour ${h}: live ${after[h]?.toFixed(1)}/h vs history ${before[h]?.toFixed(1)}/h`).toBeGreaterThan(1 / 1.3);
      expect(ratio, `IST hour ${h}`).toBeLessThan(1.3);
    }
  });

  it('a live day is as large as a history day within 10 % (the trend chart’s last bar does not tower over the others)', () => {
    const lastDay = past.filter((t) => t >= now - DAY).length;
    const nextDay = future.filter((t) => t < now + DAY).length;
    expect(nextDay / lastDay).toBeGreaterThan(0.9);
    expect(nextDay / lastDay).toBeLessThan(1.1);
  });

  it('follows the daily rhythm: the IST evening is busier than the small hours, in both', () => {
    const before = perHourOfDay(past, now - week, now);
    const after = perHourOfDay(future, now, now + week);
    expect((before[20] as number) / (before[3] as number)).toBeGreaterThan(8);
    expect((after[20] as number) / (after[3] as number)).toBeGreaterThan(8);
  });

  it('gives the default demo (5,000 payments over 30 days) a live rate of a few payments an hour, not ten a second', () => {
    const rate = paymentsPerHour({ payments: 5000, days: 30, now });
    const rates = Array.from({ length: 24 }, (_, h) => rate(now + h * HOUR));
    expect(Math.max(...rates)).toBeLessThan(20);
    expect(Math.min(...rates)).toBeGreaterThan(0.3);
    // The curve integrates back to the history's size.
    let total = 0;
    for (let t = now - 30 * DAY; t < now; t += HOUR / 4) total += rate(t + HOUR / 8) / 4;
    expect(total).toBeCloseTo(5000, -1);
  });

  it('is deterministic: the same seed gives the same live arrivals', () => {
    const again = arrivalsBetween(createRng('pace-test'), now, now + week, curve, maxPerHourAfter(curve, now, 7));
    expect(again).toEqual(future);
  });
});
