import { type FailureCategory, type FailureCodeTable, categoriseFailure, isFailureCategory } from '../../../contracts/index.js';

/**
 * The generic (seed-shaped) body — `POST /api/v1/payments/webhook` and the staging table — names
 * no single gateway: its senders relay PayU, Cashfree, bank and UPI switch results. Their codes are
 * mapped here: NPCI's UPI response codes, the aggregators' usual netbanking/wallet codes and the
 * card networks' decline names. Lookups are case-insensitive; an unknown code is `other`.
 */
export const GENERIC_FAILURE_CODES: FailureCodeTable = {
  // NPCI UPI response codes
  z9: 'insufficient_funds', // insufficient funds in the remitter account
  z8: 'insufficient_funds', // per-transaction limit exceeded
  z7: 'insufficient_funds', // transaction frequency limit exceeded
  zm: 'authentication', // invalid UPI PIN
  z6: 'authentication', // PIN tries exceeded
  zd: 'authentication', // invalid MPIN (older switches)
  u30: 'issuer_unavailable', // debit failed at the remitter bank
  u67: 'issuer_unavailable', // debit timed out
  u68: 'issuer_unavailable', // credit timed out
  u09: 'issuer_unavailable', // remitter bank did not answer
  u90: 'issuer_unavailable', // remitter bank offline
  xy: 'issuer_unavailable', // remitter CBS offline
  za: 'customer_cancelled', // customer declined the collect request
  u69: 'expired', // collect request expired
  u16: 'risk_declined', // risk threshold exceeded at the payer PSP
  u28: 'risk_declined', // PSP not available / blocked (treated as a risk block by most PSPs)
  // aggregators (PayU, Cashfree, bank pages)
  insufficient_balance: 'insufficient_funds',
  insufficient_funds: 'insufficient_funds',
  wallet_limit_exceeded: 'insufficient_funds',
  limit_exceeded: 'insufficient_funds',
  otp_failed: 'authentication',
  invalid_otp: 'authentication',
  authentication_failed: 'authentication',
  incorrect_cvc: 'authentication',
  incorrect_pin: 'authentication',
  bank_timeout: 'issuer_unavailable',
  bank_unavailable: 'issuer_unavailable',
  bank_error: 'issuer_unavailable',
  issuer_not_available: 'issuer_unavailable',
  gateway_error: 'issuer_unavailable',
  user_cancelled: 'customer_cancelled',
  user_dropped: 'customer_cancelled',
  cancelled_by_user: 'customer_cancelled',
  expired_card: 'expired',
  card_expired: 'expired',
  mandate_expired: 'expired',
  session_expired: 'expired',
  fraudulent: 'risk_declined',
  risk_declined: 'risk_declined',
  blocked_card: 'risk_declined',
  card_declined: 'other',
  do_not_honor: 'other',
  generic_decline: 'other',
};

// "U30: Debit failed…": a code the table knows, a colon, the text (how staging files often carry it).
const CODE_PREFIX = /^\s*([A-Za-z0-9_]{1,40})\s*:\s*(\S[\s\S]*)$/;

/**
 * Fills `failure_code` and `failure_category` of a generic body: the code from `failure_code`, else
 * `metadata.failure_code`, else a known `CODE: text` prefix of `failure_reason` (then the reason
 * keeps only the text, so one failure is not split between "U30: …" and "…"); the category from a
 * valid `failure_category` the sender gave, else this table. Anything that is not a plain object
 * is returned as is for the recorder's validation to answer.
 * @example withFailureCategory({ status: 'failed', failure_reason: 'U30: Debit failed' })
 *   // { status: 'failed', failure_reason: 'Debit failed', failure_code: 'U30', failure_category: 'issuer_unavailable' }
 */
export function withFailureCategory(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const b = body as Record<string, unknown>;
  let reason = b.failure_reason;
  let code = textOf(b.failure_code) ?? textOf(metadataOf(b)?.failure_code);
  if (code === null && typeof reason === 'string') {
    const m = CODE_PREFIX.exec(reason);
    if (m?.[1] && m[2] && GENERIC_FAILURE_CODES[m[1].toLowerCase()]) {
      code = m[1];
      reason = m[2];
    }
  } else if (code !== null && typeof reason === 'string') {
    // The same code repeated in front of the text: keep only the text.
    const m = CODE_PREFIX.exec(reason);
    if (m?.[1] && m[2] && m[1].toLowerCase() === code.toLowerCase()) reason = m[2];
  }
  const failed = b.status === 'failed';
  if (code === null && !failed) return body;
  const category: FailureCategory | null = isFailureCategory(b.failure_category)
    ? b.failure_category
    : (categoriseFailure(GENERIC_FAILURE_CODES, code) ?? (failed ? 'other' : null));
  return {
    ...b,
    ...(reason === b.failure_reason ? {} : { failure_reason: reason }),
    ...(code === null || b.failure_code !== undefined ? {} : { failure_code: code }),
    failure_category: b.failure_category !== undefined && !isFailureCategory(b.failure_category) ? b.failure_category : category,
  };
}

function textOf(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' && v.length <= 100 ? v.trim() : null;
}

/** Staging rows carry metadata as a JSON string; webhooks as an object. */
function metadataOf(b: Record<string, unknown>): Record<string, unknown> | null {
  const m = b.metadata;
  if (typeof m === 'object' && m !== null && !Array.isArray(m)) return m as Record<string, unknown>;
  if (typeof m === 'string') {
    try {
      const parsed = JSON.parse(m) as unknown;
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }
  return null;
}
