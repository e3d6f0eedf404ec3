import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STANDARD_FUNNEL, funnelDefinitionSchema } from './funnel-definition.js';
import { exactRatio, stepsOf } from './funnel-query.js';
import { CART_TO_CHECKOUT_STEP, cartToCheckoutAlert } from './funnel-report.js';

const countsOf = (entered: number[]) => {
  const row = Object.fromEntries(
    entered.flatMap((n, i) => [
      [`entered_${i}`, n],
      [`sum_ms_${i}`, 0],
      [`median_ms_${i}`, null],
    ]),
  );
  return { units: entered[0] ?? 0, steps: stepsOf(STANDARD_FUNNEL, row) };
};

describe('funnel ratios and the cart → checkout alert', () => {
  it('writes ratios with 4 decimals, half-even, from the exact counts', () => {
    expect(exactRatio(1, 3)).toBe('0.3333');
    expect(exactRatio(2, 3)).toBe('0.6667');
    expect(exactRatio(5, 32)).toBe('0.1562'); // 0.15625: the even neighbour
    expect(exactRatio(7, 32)).toBe('0.2188'); // 0.21875
    expect(exactRatio(4, 4)).toBe('1.0000');
    expect(exactRatio(0, 0)).toBeNull();
  });

  it('gives per-step drop-off and conversion that add up to the counts', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { minLength: 6, maxLength: 6 }), (raw) => {
        // Entered counts never grow along the funnel.
        const entered = raw.map((_, i) => Math.min(...raw.slice(0, i + 1)));
        const steps = countsOf(entered).steps;
        steps.forEach((s, i) => {
          expect(s.entered).toBe(entered[i]);
          expect(s.dropped_off).toBe(i === 0 ? 0 : (entered[i - 1] as number) - (entered[i] as number));
          expect(s.converted).toBe(entered[i + 1] ?? entered[i]);
        });
      }),
    );
  });

  it('flags a cart → checkout drop-off more than 5 points above the baseline, not exactly 5', () => {
    const at = (cart: number, checkout: number) => {
      const e = [cart * 2, cart * 2, cart, checkout, 0, 0];
      return countsOf(e);
    };
    expect(CART_TO_CHECKOUT_STEP).toBe(3);
    // 30 % vs 25 %: exactly 5 points, not above.
    expect(cartToCheckoutAlert(at(100, 70), at(100, 75))).toMatchObject({
      drop_off: '0.3000',
      baseline: '0.2500',
      points_above_baseline: '5.00',
      flagged: false,
    });
    expect(cartToCheckoutAlert(at(1000, 699), at(100, 75)).flagged).toBe(true);
    expect(cartToCheckoutAlert(at(0, 0), at(100, 75))).toMatchObject({ drop_off: null, flagged: false });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.nat(5000), fc.integer({ min: 1, max: 5000 }), fc.nat(5000), (c, cc, b, bc) => {
        const cur = Math.min(cc, c);
        const base = Math.min(bc, b);
        const points = ((c - cur) / c - (b - base) / b) * 100;
        fc.pre(Math.abs(points - 5) > 1e-9);
        expect(cartToCheckoutAlert(at(c, cur), at(b, base)).flagged).toBe(points > 5);
      }),
    );
  });

  it('refuses definitions that cannot be run, saying what to fix', () => {
    const bad = funnelDefinitionSchema.safeParse({
      steps: [{ event: 'product.viewed', window_ms: 5 }, { event: 'nope' }],
      exclusions: [{ event: 'search.query', from_step: 1, to_step: 1 }],
    });
    expect(bad.success).toBe(false);
    const messages = bad.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n') ?? '';
    expect(messages).toContain('steps.1.event: must be one of');
    expect(
      funnelDefinitionSchema.safeParse({
        steps: [{ event: 'product.viewed' }, { event: 'checkout.started', filters: [{ property: 'amount_minor', op: 'eq', value: 'x' }] }],
      }).success,
    ).toBe(false);
  });
});
