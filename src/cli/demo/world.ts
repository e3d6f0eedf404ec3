import type { Rng } from './random.js';

/**
 * The fixed cast of the demo: merchants with their settlement cycles, customers with their
 * acquisition dates and spending habits, products, and the tables of rates (failures, fees,
 * refunds) that shape the payments. Everything is drawn from the seeded generator.
 */

export type Gateway = 'razorpay' | 'stripe' | 'payu' | 'cashfree';
export type Method = 'upi' | 'card' | 'netbanking' | 'wallet';

export interface DemoMerchant {
  merchant_id: string;
  name: string;
  category: string;
  settlement_cycle: 'T+1' | 'T+2' | 'T+3';
  cycleDays: number;
  region: string;
  country: string;
  /** Relative share of payments. */
  weight: number;
  /** Share of its customers paying from abroad (USD/EUR). */
  internationalShare: number;
  /** Median payment in INR major units, and the spread. */
  medianInr: number;
  sigma: number;
  /** Sells through a web/app shop whose funnel events we send. */
  shop: boolean;
  /** Loan repayments (EMIs): loan account and CIF, and most arrive through the staging table. */
  lending: boolean;
  refundRate: number;
  products: { product_id: string; category: string; priceInr: number }[];
}

export interface DemoCustomer {
  user_id: string;
  country: string;
  region: string;
  currency: 'INR' | 'USD' | 'EUR';
  /** Relative purchase frequency (heavy-tailed: a few customers buy often). */
  frequency: number;
  /** Multiplier on basket size (monetary value). */
  spend: number;
  registeredAt: Date;
  method: Method;
  device: { type: 'mobile' | 'desktop' | 'tablet'; os: string; browser: string };
  traffic: { source: string; medium: string | null; campaign: string | null; referrer_domain: string | null };
  authMethod: 'otp' | 'password' | 'google' | 'apple';
  loan?: { loan_account_number: string; cif: string; emiInr: number };
}

interface MerchantTemplate {
  name: string;
  category: string;
  medianInr: number;
  sigma: number;
  shop: boolean;
  intl: number;
  refund: number;
}

const MERCHANT_TEMPLATES: readonly MerchantTemplate[] = [
  { name: 'Kirana Fresh', category: 'grocery', medianInr: 640, sigma: 0.7, shop: true, intl: 0, refund: 0.02 },
  { name: 'StyleKart Fashion', category: 'fashion', medianInr: 1800, sigma: 0.6, shop: true, intl: 0.03, refund: 0.08 },
  { name: 'Voltix Electronics', category: 'electronics', medianInr: 8900, sigma: 0.9, shop: true, intl: 0.02, refund: 0.05 },
  { name: 'Yatra Trails', category: 'travel', medianInr: 7400, sigma: 0.8, shop: true, intl: 0.22, refund: 0.06 },
  { name: 'Tiffin Express', category: 'food_delivery', medianInr: 420, sigma: 0.5, shop: true, intl: 0, refund: 0.03 },
  { name: 'Shiksha Online', category: 'education', medianInr: 11_500, sigma: 0.6, shop: true, intl: 0.12, refund: 0.03 },
  { name: 'CloudLedger SaaS', category: 'saas', medianInr: 2500, sigma: 0.5, shop: false, intl: 0.35, refund: 0.01 },
  { name: 'Arogya Pharmacy', category: 'pharmacy', medianInr: 780, sigma: 0.6, shop: true, intl: 0, refund: 0.02 },
  { name: 'GharSe Home Loans', category: 'lending', medianInr: 14_500, sigma: 0.45, shop: false, intl: 0, refund: 0.0 },
  { name: 'Udaan Microfinance', category: 'lending', medianInr: 3200, sigma: 0.4, shop: false, intl: 0, refund: 0.0 },
  { name: 'Cinebox Tickets', category: 'entertainment', medianInr: 560, sigma: 0.5, shop: true, intl: 0.01, refund: 0.04 },
  { name: 'Pawsome Pets', category: 'pet_supplies', medianInr: 1200, sigma: 0.6, shop: true, intl: 0, refund: 0.03 },
];

const REGIONS = ['north', 'south', 'east', 'west'] as const;
const FOREIGN = [
  ['US', 'USD', 5],
  ['GB', 'USD', 2],
  ['DE', 'EUR', 2],
  ['FR', 'EUR', 1],
  ['AE', 'USD', 2],
  ['SG', 'USD', 2],
] as const;

/** INR per unit of each currency, for basket sizes abroad. */
export const INR_PER: Readonly<Record<'INR' | 'USD' | 'EUR', number>> = { INR: 1, USD: 83, EUR: 90 };

export function createMerchants(rng: Rng): DemoMerchant[] {
  const count = rng.int(8, 12);
  // Always keep both lenders (the staging path) and a mix of shops; drop from the tail at random.
  // Ids follow the template, so every seed names the same merchant the same way.
  const templates = MERCHANT_TEMPLATES.map((t, index) => ({ ...t, index }));
  const keep = templates.filter((t) => t.category === 'lending');
  const others = templates.filter((t) => t.category !== 'lending');
  while (keep.length < count) keep.push(others.splice(rng.int(0, others.length - 1), 1)[0] as (typeof templates)[number]);
  return keep
    .map((t) => {
      const cycle = rng.weighted([
        ['T+1', 5],
        ['T+2', 3],
        ['T+3', 2],
      ] as const);
      const id = `M-${String(101 + t.index * 7).padStart(3, '0')}`;
      return {
        merchant_id: id,
        name: t.name,
        category: t.category,
        settlement_cycle: cycle,
        cycleDays: Number(cycle.slice(2)),
        region: rng.pick(REGIONS),
        country: 'IN',
        // Lenders together carry about a quarter of the payments; shops a heavy-tailed share.
        weight: t.category === 'lending' ? 1.6 : Math.round(rng.logNormal(1, 0.5) * 100) / 100,
        internationalShare: t.intl,
        medianInr: t.medianInr,
        sigma: t.sigma,
        shop: t.shop,
        lending: t.category === 'lending',
        refundRate: t.refund,
        products: Array.from({ length: 12 }, (_, p) => ({
          product_id: `P-${id.slice(2)}-${String(p + 1).padStart(3, '0')}`,
          category: t.category,
          priceInr: Math.max(49, Math.round(rng.logNormal(t.medianInr * 0.7, t.sigma) / 10) * 10 - 1),
        })),
      } satisfies DemoMerchant;
    })
    .sort((a, b) => a.merchant_id.localeCompare(b.merchant_id));
}

type Device = DemoCustomer['device'];
type Traffic = DemoCustomer['traffic'];

const DEVICES: readonly (readonly [Device, number])[] = [
  [{ type: 'mobile', os: 'Android', browser: 'Chrome' }, 48],
  [{ type: 'mobile', os: 'iOS', browser: 'Safari' }, 16],
  [{ type: 'desktop', os: 'Windows', browser: 'Chrome' }, 18],
  [{ type: 'desktop', os: 'macOS', browser: 'Safari' }, 8],
  [{ type: 'desktop', os: 'Linux', browser: 'Firefox' }, 2],
  [{ type: 'tablet', os: 'Android', browser: 'Chrome' }, 8],
];

export const TRAFFIC: readonly (readonly [Traffic, number])[] = [
  [{ source: 'google', medium: 'cpc', campaign: 'brand_search', referrer_domain: 'www.google.com' }, 22],
  [{ source: 'google', medium: 'organic', campaign: null, referrer_domain: 'www.google.com' }, 24],
  [{ source: 'direct', medium: null, campaign: null, referrer_domain: null }, 20],
  [{ source: 'instagram', medium: 'social', campaign: 'festive_sale', referrer_domain: 'l.instagram.com' }, 14],
  [{ source: 'newsletter', medium: 'email', campaign: 'weekly_deals', referrer_domain: null }, 9],
  [{ source: 'cashkaro', medium: 'affiliate', campaign: 'cashback', referrer_domain: 'cashkaro.com' }, 6],
  [{ source: 'youtube', medium: 'video', campaign: 'creator_collab', referrer_domain: 'www.youtube.com' }, 5],
];

export function createCustomers(rng: Rng, count: number, anchor: Date, days: number, merchants: readonly DemoMerchant[]): DemoCustomer[] {
  // Acquisition dates: from ~6 months before the window to its end, more of them recently (growth).
  const spanDays = days + 180;
  const lenders = merchants.filter((m) => m.lending);
  return Array.from({ length: count }, (_, i) => {
    const foreign = rng.chance(0.07);
    const place = foreign
      ? rng.weighted(FOREIGN.map(([country, currency, w]) => [{ country, currency, region: country }, w] as const))
      : { country: 'IN', currency: 'INR' as const, region: rng.weighted(REGIONS.map((r, j) => [r, [30, 28, 16, 26][j] ?? 1] as const)) };
    const ageDays = spanDays * (1 - Math.sqrt(rng.next()));
    const customer: DemoCustomer = {
      user_id: `U-${String(10_001 + i)}`,
      country: place.country,
      region: place.region,
      currency: place.currency,
      frequency: Math.min(40, rng.logNormal(1, 1.1)),
      spend: Math.min(6, rng.logNormal(1, 0.45)),
      registeredAt: new Date(anchor.getTime() - ageDays * 86_400_000),
      method: foreign
        ? rng.weighted([
            ['card', 92],
            ['wallet', 8],
          ] as const)
        : rng.weighted([
            ['upi', 56],
            ['card', 24],
            ['netbanking', 12],
            ['wallet', 8],
          ] as const),
      device: { ...rng.weighted(DEVICES) },
      traffic: { ...rng.weighted(TRAFFIC) },
      authMethod: rng.weighted([
        ['otp', 55],
        ['google', 25],
        ['password', 15],
        ['apple', 5],
      ] as const),
    };
    if (!foreign && lenders.length > 0 && rng.chance(0.18)) {
      const lender = rng.pick(lenders);
      customer.loan = {
        loan_account_number: `LN${rng.token(10, '0123456789')}`,
        cif: `CIF${rng.token(9, '0123456789')}`,
        emiInr: Math.round(rng.logNormal(lender.medianInr, lender.sigma) / 100) * 100,
      };
    }
    return customer;
  });
}

/** Base failure rate by method, and each gateway's multiplier; clamped to 2–15 %. */
const METHOD_FAILURE: Readonly<Record<Method, number>> = { upi: 0.09, card: 0.07, netbanking: 0.11, wallet: 0.045 };
const GATEWAY_FAILURE: Readonly<Record<Gateway, number>> = { razorpay: 0.85, stripe: 0.75, payu: 1.2, cashfree: 1.0 };

export function failureRate(gateway: Gateway, method: Method, foreign: boolean): number {
  const rate = METHOD_FAILURE[method] * GATEWAY_FAILURE[gateway] + (foreign ? 0.03 : 0);
  return Math.min(0.15, Math.max(0.02, rate));
}

/**
 * One kind of failure as each gateway reports it: the code a PayU/Cashfree relay or the UPI switch
 * sends (the generic body and staging rows), Razorpay's error_code + error_reason, Stripe's code +
 * decline_code. Each channel adapter maps its own to Payscope's failure category.
 */
export interface DemoFailure {
  code: string;
  reason: string;
  razorpay: { code: 'BAD_REQUEST_ERROR' | 'GATEWAY_ERROR'; reason: string; source: 'customer' | 'bank' | 'internal' };
  stripe: { code: string; decline_code?: string };
}

const failure = (code: string, reason: string, razorpay: DemoFailure['razorpay'], stripe: DemoFailure['stripe']): DemoFailure => ({
  code,
  reason,
  razorpay,
  stripe,
});
const customer = (reason: string) => ({ code: 'BAD_REQUEST_ERROR' as const, reason, source: 'customer' as const });
const bank = (reason: string) => ({ code: 'GATEWAY_ERROR' as const, reason, source: 'bank' as const });

export const FAILURES: Readonly<Record<Method, readonly (readonly [DemoFailure, number])[]>> = {
  upi: [
    [
      failure('Z9', 'Insufficient funds in the remitter account', customer('insufficient_funds'), {
        code: 'payment_method_provider_decline',
        decline_code: 'insufficient_funds',
      }),
      32,
    ],
    [
      failure('U69', 'Collect request expired before the customer approved it', customer('payment_timed_out'), {
        code: 'payment_intent_payment_attempt_expired',
      }),
      22,
    ],
    [failure('ZM', 'Incorrect UPI PIN', customer('incorrect_pin'), { code: 'payment_intent_authentication_failure' }), 18],
    [
      failure('ZA', 'The customer declined the collect request', customer('payment_cancelled'), {
        code: 'payment_method_customer_decline',
      }),
      10,
    ],
    [failure('U30', 'Debit failed at the remitter bank', bank('bank_technical_error'), { code: 'processing_error' }), 11],
    [
      failure(
        'U16',
        'Risk threshold exceeded at the payer PSP',
        { ...bank('payment_risk_check_failed'), source: 'internal' },
        { code: 'card_declined', decline_code: 'fraudulent' },
      ),
      7,
    ],
  ],
  card: [
    [
      failure('do_not_honor', 'Your card was declined.', bank('payment_declined'), { code: 'card_declined', decline_code: 'do_not_honor' }),
      30,
    ],
    [
      failure('insufficient_funds', 'Your card has insufficient funds.', customer('insufficient_funds'), {
        code: 'card_declined',
        decline_code: 'insufficient_funds',
      }),
      25,
    ],
    [
      failure('authentication_failed', '3-D Secure authentication failed.', customer('authentication_failed'), {
        code: 'payment_intent_authentication_failure',
      }),
      18,
    ],
    [failure('expired_card', 'Your card has expired.', customer('card_expired'), { code: 'expired_card' }), 9],
    [failure('incorrect_cvc', "Your card's security code is incorrect.", customer('incorrect_cvv'), { code: 'incorrect_cvc' }), 8],
    [
      failure('issuer_not_available', 'The card issuer could not be reached.', bank('bank_technical_error'), {
        code: 'card_declined',
        decline_code: 'issuer_not_available',
      }),
      5,
    ],
    [
      failure(
        'fraudulent',
        'Declined by the risk check.',
        { ...bank('payment_risk_check_failed'), source: 'internal' },
        { code: 'card_declined', decline_code: 'fraudulent' },
      ),
      5,
    ],
  ],
  netbanking: [
    [failure('BANK_TIMEOUT', 'The bank did not respond in time', bank('bank_technical_error'), { code: 'processing_error' }), 45],
    [
      failure('USER_CANCELLED', 'The customer cancelled on the bank page', customer('payment_cancelled'), {
        code: 'payment_method_customer_decline',
      }),
      35,
    ],
    [failure('BANK_UNAVAILABLE', 'The bank is temporarily unavailable', bank('bank_technical_error'), { code: 'processing_error' }), 20],
  ],
  wallet: [
    [
      failure('INSUFFICIENT_BALANCE', 'Wallet balance is insufficient', customer('insufficient_funds'), {
        code: 'card_declined',
        decline_code: 'insufficient_funds',
      }),
      65,
    ],
    [
      failure('WALLET_LIMIT_EXCEEDED', 'Wallet transaction limit exceeded', customer('transaction_limit_exceeded'), {
        code: 'card_declined',
        decline_code: 'withdrawal_count_limit_exceeded',
      }),
      35,
    ],
  ],
};

/** Gateway fee rate by method (domestic); international cards pay more. GST of 18 % on the fee. */
export function feeRate(gateway: Gateway, method: Method, foreign: boolean): number {
  if (foreign) return 0.03;
  const base = { upi: 0.004, card: 0.019, netbanking: 0.015, wallet: 0.018 }[method];
  return base + (gateway === 'stripe' ? 0.001 : gateway === 'payu' ? -0.001 : 0);
}

export const REFUND_REASON_WEIGHTS = [
  ['requested_by_customer', 40],
  ['product_unacceptable', 18],
  ['product_not_received', 12],
  ['order_cancelled', 15],
  ['duplicate', 8],
  ['fraudulent', 2],
  ['other', 5],
] as const;

export const DISPUTE_REASON_WEIGHTS = [
  ['fraudulent', 30],
  ['product_not_received', 25],
  ['unrecognized', 15],
  ['duplicate', 8],
  ['product_unacceptable', 10],
  ['credit_not_processed', 7],
  ['general', 5],
] as const;

/** Relative volume per hour of day in India (IST), a weekly rhythm (Sunday first) and daily growth. */
export const HOUR_WEIGHTS_IST = [
  0.25, 0.15, 0.1, 0.08, 0.08, 0.15, 0.35, 0.6, 0.85, 1.0, 1.1, 1.2, 1.25, 1.15, 1.05, 1.0, 1.0, 1.05, 1.15, 1.35, 1.5, 1.45, 1.1, 0.6,
];
export const WEEKDAY_WEIGHTS = [1.12, 0.94, 0.95, 0.97, 1.0, 1.06, 1.16];
export const DAILY_GROWTH = 0.012;
