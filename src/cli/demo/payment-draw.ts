import type { DemoContext } from './demo-events.js';
import type { DemoPayment, PaymentPath } from './plan-types.js';
import { type DemoCustomer, type DemoMerchant, FAILURES, type Gateway, INR_PER, type Method, failureRate, feeRate } from './world.js';

/** The cast a payment is drawn from. */
export interface DemoCast {
  merchants: readonly DemoMerchant[];
  customers: readonly DemoCustomer[];
}

/**
 * Returns the function that decides one payment at a time (merchant, customer, gateway, method,
 * amount, outcome, ingestion path and reference), counting the customer's purchases.
 */
export function createPaymentDraw(cast: DemoCast, ctx: DemoContext): (time: Date) => DemoPayment {
  const merchantTable = cast.merchants.map((m) => [m, m.weight] as const);
  const customerTable = cast.customers.map((c) => [c, c.frequency] as const);
  const borrowers = cast.customers.filter((c) => c.loan);
  return function drawPayment(time: Date): DemoPayment {
    const rng = ctx.rng;
    let merchant = rng.weighted(merchantTable);
    let customer = rng.weighted(customerTable);
    // Borrowers repay their lender; foreign customers buy from merchants that sell abroad.
    if (merchant.lending && !customer.loan) {
      if (borrowers.length > 0) customer = rng.pick(borrowers);
      else merchant = rng.pick(cast.merchants.filter((m) => !m.lending));
    }
    if (customer.currency !== 'INR' && merchant.internationalShare === 0) {
      merchant = rng.weighted(merchantTable.filter(([m]) => m.internationalShare > 0));
    }
    const foreign = customer.currency !== 'INR';
    const gateway: Gateway = merchant.lending
      ? rng.weighted([
          ['payu', 50],
          ['cashfree', 40],
          ['razorpay', 10],
        ] as const)
      : foreign
        ? rng.weighted([
            ['stripe', 75],
            ['razorpay', 25],
          ] as const)
        : rng.weighted([
            ['razorpay', 40],
            ['cashfree', 22],
            ['payu', 22],
            ['stripe', 16],
          ] as const);
    let method: Method = rng.chance(0.8) ? customer.method : rng.pick(['upi', 'card', 'netbanking', 'wallet'] as const);
    if (foreign && method !== 'wallet') method = 'card';
    if (merchant.lending && method === 'wallet') method = 'netbanking';

    const currency = customer.currency;
    const inr =
      merchant.lending && customer.loan ? customer.loan.emiInr : rng.logNormal(merchant.medianInr, merchant.sigma) * customer.spend;
    const major = Math.max(1, inr / INR_PER[currency]);
    // Prices: whole rupees (often ending in 9) in INR; .99 / .00 in USD and EUR; EMIs exact.
    const amountMinor =
      currency === 'INR'
        ? merchant.lending
          ? Math.round(major) * 100
          : (Math.max(10, Math.round(major / 10) * 10) - (rng.chance(0.6) ? 1 : 0)) * 100
        : Math.max(1, Math.round(major)) * 100 - (rng.chance(0.7) ? 1 : 0);

    const failed = rng.chance(failureRate(gateway, method, foreign));
    const failure = failed ? rng.weighted(FAILURES[method]) : null;
    const feeMinor = failed ? 0 : Math.round(amountMinor * feeRate(gateway, method, foreign));
    const taxMinor = Math.round(feeMinor * 0.18);

    const path: PaymentPath =
      merchant.lending && (gateway === 'payu' || gateway === 'cashfree') && rng.chance(0.8)
        ? 'staging'
        : gateway === 'razorpay' && rng.chance(0.75)
          ? 'razorpay'
          : gateway === 'stripe' && rng.chance(0.85)
            ? 'stripe'
            : 'default';

    // What the recording says, and what happens later.
    let recordedStatus: DemoPayment['recordedStatus'];
    let finalStatus: DemoPayment['finalStatus'];
    if (path === 'razorpay') {
      finalStatus = failed ? 'failed' : rng.chance(0.03) ? 'authorized' : 'captured';
      recordedStatus = failed ? 'failed' : finalStatus === 'authorized' || rng.chance(0.2) ? 'authorized' : 'captured';
    } else if (path === 'default' && method === 'upi' && rng.chance(0.35)) {
      finalStatus = failed ? 'failed' : 'succeeded';
      recordedStatus = 'pending';
    } else {
      finalStatus = failed ? 'failed' : 'succeeded';
      recordedStatus = finalStatus;
    }

    const reference =
      path === 'razorpay' || (gateway === 'razorpay' && path === 'default')
        ? `pay_${rng.token(14)}`
        : gateway === 'stripe'
          ? `pi_${rng.token(24)}`
          : path === 'staging'
            ? `EMI${time.toISOString().slice(0, 10).replaceAll('-', '')}${rng.token(8, '0123456789')}`
            : `${gateway === 'payu' ? 'PAYU' : 'CF'}${rng.token(12, '0123456789')}`;
    ctx.purchases.set(customer.user_id, (ctx.purchases.get(customer.user_id) ?? 0) + 1);
    return {
      reference,
      merchant,
      customer,
      gateway,
      method,
      currency,
      amountMinor,
      feeMinor,
      taxMinor,
      time,
      recordedStatus,
      finalStatus,
      failure,
      path,
      orderId: merchant.shop && rng.chance(0.35) ? `ORD-${rng.token(10, '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ')}` : null,
      sessionId: null,
      chargeId: gateway === 'stripe' ? `ch_${rng.token(24)}` : `txn_${rng.token(16)}`,
    };
  };
}
