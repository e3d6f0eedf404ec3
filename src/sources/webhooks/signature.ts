import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookSignatureScheme } from '../../core/config.js';
import { ErrorCode, type Failure, type Result, err, failure, ok } from '../../core/errors.js';

/**
 * Webhook signature verification for the two schemes a source may use with its one secret:
 *
 * - Standard Webhooks (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp` (unix
 *   seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of "${id}.${timestamp}.${rawBody}">`,
 *   possibly several space-separated signatures (the sender rotating its key). The key is the
 *   base64-decoded part of a `whsec_…` secret; a secret without that prefix is used as its UTF-8
 *   bytes, so an operator can paste any string without first encoding it.
 * - Simple senders: `X-Signature: sha256=<hex HMAC-SHA256 of rawBody>`, or Razorpay's
 *   `X-Razorpay-Signature: <hex>` (same HMAC, no prefix), keyed with the secret's UTF-8 bytes
 *   exactly as configured (a `whsec_` prefix, if any, is part of that key). No timestamp is signed,
 *   so this scheme has no replay window; replays are absorbed by dedup on reference_number.
 *
 * - Stripe (https://docs.stripe.com/webhooks#verify-manually): `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`,
 *   each v1 the hex HMAC-SHA256 of `${t}.${rawBody}` keyed with the endpoint secret's UTF-8 bytes
 *   (`whsec_…` as-is, not decoded), as the `stripe` package's `generateTestHeaderString` signs.
 *   Several v1 values come during secret rotation: any match accepts; other schemes (v0) are
 *   ignored. `t` must lie within the tolerance, checked after the signature.
 *
 * If any Standard Webhooks header is present that scheme is used, whatever else is sent; then
 * Stripe-Signature, X-Signature, X-Razorpay-Signature in that order.
 *
 * Why node:crypto and not the `standardwebhooks` package (1.1.1, read from its source):
 * - its tolerance is fixed at 300 s against Date.now(); we need WEBHOOK_TOLERANCE_SECONDS and an
 *   injectable clock;
 * - its failures are one error class told apart only by message text ("Message timestamp too
 *   old", "No matching signature found"…), which is no contract to map to our codes;
 * - it turns a Buffer body into a string before hashing, so bytes that are not valid UTF-8 become
 *   U+FFFD and two different bodies can share a signature: the HMAC must cover the raw bytes;
 * - a secret without `whsec_` is base64-decoded too (and its `raw` format takes char codes, not
 *   UTF-8), which is not the meaning we document.
 * The tests use the package as an independent reference signer for interoperability.
 */

export type SignatureScheme = WebhookSignatureScheme;
export type WebhookHeaders = Record<string, string | string[] | undefined>;

export interface VerifyWebhookInput {
  /** The body exactly as received, before any JSON parsing. */
  rawBody: Buffer;
  /** Request headers with lower-case names, as Node gives them. */
  headers: WebhookHeaders;
  secret: string;
  /** How far `webhook-timestamp` may be from `now`, in either direction. */
  toleranceSeconds: number;
  /** The receiver's clock; defaults to the current time. */
  now?: Date;
}

export interface VerifiedWebhook {
  scheme: SignatureScheme;
  /**
   * `webhook-id` (Standard Webhooks): the sender's message id, stable across retries; for
   * Stripe-Signature the signed `t` and matching v1, so the exact same delivery replayed within
   * the tolerance gets the first answer back. null for the schemes without a timestamp.
   */
  webhookId: string | null;
  /** `webhook-timestamp` or Stripe's `t`, in unix seconds; null for the schemes without one. */
  timestamp: number | null;
}

const STANDARD_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;
const WHSEC_PREFIX = 'whsec_';
const BASE64_RE = /^[A-Za-z0-9+/_-]+={0,2}$/;
const SIGNATURE_HELP =
  'sign with Standard Webhooks (headers webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">) ' +
  "or send X-Signature: sha256=<hex HMAC-SHA256 of the raw body>, or the gateway's own Stripe-Signature / X-Razorpay-Signature";

/**
 * Checks a webhook's signature against the source's secret and, for Standard Webhooks, that its
 * timestamp lies within the tolerance window. Never throws on any input.
 * @example verifyWebhookSignature({ rawBody, headers: req.headers, secret, toleranceSeconds: 300 })
 */
export function verifyWebhookSignature(input: VerifyWebhookInput): Result<VerifiedWebhook, Failure> {
  const { headers } = input;
  if (STANDARD_HEADERS.some((name) => firstValue(headers[name]) !== undefined)) return verifyStandardWebhook(input);
  const stripeSignature = allValues(headers['stripe-signature']);
  if (stripeSignature !== undefined) return verifyStripeSignature(input, stripeSignature);
  const xSignature = firstValue(headers['x-signature']);
  if (xSignature !== undefined) return verifyBodyHmac(input, xSignature, X_SIGNATURE);
  const razorpaySignature = firstValue(headers['x-razorpay-signature']);
  if (razorpaySignature !== undefined) return verifyBodyHmac(input, razorpaySignature, RAZORPAY_SIGNATURE);
  return err(failure(ErrorCode.SIGNATURE_MISSING, `the request carries no signature headers; ${SIGNATURE_HELP}`));
}

function verifyStandardWebhook(input: VerifyWebhookInput): Result<VerifiedWebhook, Failure> {
  const { headers } = input;
  const id = firstValue(headers['webhook-id']);
  const timestampText = firstValue(headers['webhook-timestamp']);
  // A header sent twice arrives as an array (or joined by ", "); every listed signature counts.
  const signatureText = allValues(headers['webhook-signature']);
  if (id === undefined || timestampText === undefined || signatureText === undefined) {
    const missing = STANDARD_HEADERS.filter((name) => firstValue(headers[name]) === undefined);
    return err(
      failure(
        ErrorCode.SIGNATURE_MISSING,
        `Standard Webhooks headers are incomplete: missing ${missing.join(', ')}; send all of webhook-id, webhook-timestamp and webhook-signature`,
        { missing_headers: missing },
      ),
    );
  }
  if (!/^\d{1,15}$/.test(timestampText)) {
    return err(
      failure(
        ErrorCode.SIGNATURE_INVALID,
        `webhook-timestamp '${clip(timestampText)}' is not a unix time; send the whole number of seconds since 1970-01-01T00:00:00Z`,
      ),
    );
  }
  const key = standardWebhookKey(input.secret);
  if (!key.ok) return key;

  const candidates = parseStandardSignatures(signatureText);
  if (candidates.length === 0) {
    return err(
      failure(
        ErrorCode.SIGNATURE_INVALID,
        'webhook-signature holds no \'v1,<base64>\' signature; send v1, a comma and the base64 HMAC-SHA256 of "id.timestamp.body"',
      ),
    );
  }
  // The signed content uses the header text as sent, so "0123" and "123" sign differently.
  const expected = createHmac('sha256', key.value).update(`${id}.${timestampText}.`).update(input.rawBody).digest();
  // Compare with every candidate, without stopping early, so timing does not tell which one matched.
  let matched = false;
  for (const candidate of candidates) {
    if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true;
  }
  if (!matched) {
    return err(
      failure(
        ErrorCode.SIGNATURE_INVALID,
        'no signature in webhook-signature matches; check that the sender signs "webhook-id.webhook-timestamp.raw body" with this ' +
          "source's secret (a whsec_ secret is base64-decoded first) and that no proxy re-encodes the body",
      ),
    );
  }

  // Checked only after the signature, so this advice is given only to holders of the key.
  const fresh = checkTolerance(input, 'webhook-timestamp', timestampText);
  if (!fresh.ok) return fresh;
  const timestamp = fresh.value;
  return ok({ scheme: 'standard-webhooks', webhookId: id, timestamp });
}

function checkTolerance(input: VerifyWebhookInput, headerName: string, timestampText: string): Result<number, Failure> {
  const timestamp = Number(timestampText);
  const nowSeconds = Math.floor((input.now ?? new Date()).getTime() / 1000);
  const skew = nowSeconds - timestamp;
  if (Math.abs(skew) > input.toleranceSeconds) {
    const direction = skew > 0 ? `${skew} s in the past` : `${-skew} s in the future`;
    const millisHint = timestampText.length >= 13 ? ' (it looks like milliseconds; send seconds)' : '';
    return err(
      failure(
        ErrorCode.TIMESTAMP_OUT_OF_TOLERANCE,
        `${headerName} ${timestamp} is ${direction}${millisHint}; it must be within ±${input.toleranceSeconds} s of the receiver's clock. ` +
          "Check the sender's clock (NTP) and sign each delivery, including retries, with the current time",
        { timestamp, now: nowSeconds, tolerance_seconds: input.toleranceSeconds },
      ),
    );
  }
  return ok(timestamp);
}

/** Stripe's scheme, as the `stripe` package (23.x) signs and checks it in its Webhooks module. */
function verifyStripeSignature(input: VerifyWebhookInput, headerValue: string): Result<VerifiedWebhook, Failure> {
  let timestampText: string | undefined;
  const candidates: string[] = [];
  // A repeated header arrives joined by ", "; every element is `key=value`.
  for (const element of headerValue.split(',')) {
    const eq = element.indexOf('=');
    if (eq < 0) continue;
    const key = element.slice(0, eq).trim();
    const value = element.slice(eq + 1).trim();
    if (key === 't' && timestampText === undefined) timestampText = value;
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (timestampText === undefined || !/^\d{1,15}$/.test(timestampText)) {
    return err(
      failure(
        ErrorCode.SIGNATURE_INVALID,
        'Stripe-Signature holds no t=<unix seconds>; send t=<timestamp>,v1=<hex HMAC-SHA256 of "t.body"> as Stripe does',
      ),
    );
  }
  if (candidates.length === 0) {
    return err(
      failure(
        ErrorCode.SIGNATURE_INVALID,
        'Stripe-Signature holds no v1=<64 hex digits> signature; sign "t.raw body" with HMAC-SHA256 and the endpoint secret',
      ),
    );
  }
  const expected = createHmac('sha256', Buffer.from(input.secret, 'utf8')).update(`${timestampText}.`).update(input.rawBody).digest();
  // Every candidate is compared, without stopping early, so timing does not tell which one matched.
  let matchedHex: string | undefined;
  for (const hex of candidates) {
    if (timingSafeEqual(Buffer.from(hex, 'hex'), expected)) matchedHex = hex;
  }
  if (matchedHex === undefined) {
    return err(
      failure(
        ErrorCode.SIGNATURE_INVALID,
        "no v1 signature in Stripe-Signature matches; check that this source's secret is the endpoint's signing secret (whsec_…, used as-is) " +
          'and that no proxy re-encodes the body',
      ),
    );
  }
  const fresh = checkTolerance(input, 'Stripe-Signature t', timestampText);
  if (!fresh.ok) return fresh;
  return ok({ scheme: 'stripe-signature', webhookId: `stripe:${timestampText}:${matchedHex}`, timestamp: fresh.value });
}

interface BodyHmacHeader {
  name: string;
  /** Captures the hex digest. */
  format: RegExp;
  /** What a well-formed value looks like, for the error message. */
  shape: string;
  scheme: SignatureScheme;
}
const X_SIGNATURE: BodyHmacHeader = {
  name: 'X-Signature',
  format: /^sha256=([0-9a-fA-F]{64})$/,
  shape: "'sha256=' followed by 64 hex digits",
  scheme: 'x-signature',
};
const RAZORPAY_SIGNATURE: BodyHmacHeader = {
  name: 'X-Razorpay-Signature',
  format: /^([0-9a-fA-F]{64})$/,
  shape: '64 hex digits',
  scheme: 'razorpay-signature',
};

function verifyBodyHmac(input: VerifyWebhookInput, headerValue: string, header: BodyHmacHeader): Result<VerifiedWebhook, Failure> {
  const headerName = header.name;
  const hex = header.format.exec(headerValue.trim())?.[1];
  if (hex === undefined) {
    return err(
      failure(
        ErrorCode.SIGNATURE_INVALID,
        `${headerName} is malformed; send ${header.shape}: the HMAC-SHA256 of the raw body keyed with the secret's UTF-8 bytes`,
      ),
    );
  }
  const expected = createHmac('sha256', Buffer.from(input.secret, 'utf8')).update(input.rawBody).digest();
  if (!timingSafeEqual(Buffer.from(hex, 'hex'), expected)) {
    return err(
      failure(
        ErrorCode.SIGNATURE_INVALID,
        `${headerName} does not match the body; sign the exact bytes sent with this source's secret (its UTF-8 bytes as configured) ` +
          'and make sure no proxy re-encodes the body',
      ),
    );
  }
  return ok({ scheme: header.scheme, webhookId: null, timestamp: null });
}

/**
 * The HMAC key Standard Webhooks uses for `secret`: the base64-decoded bytes after `whsec_`, or
 * the UTF-8 bytes of a secret without that prefix. Call it at start-up to refuse a broken secret.
 */
export function standardWebhookKey(secret: string): Result<Buffer, Failure> {
  if (!secret.startsWith(WHSEC_PREFIX)) return ok(Buffer.from(secret, 'utf8'));
  const encoded = secret.slice(WHSEC_PREFIX.length);
  const key = BASE64_RE.test(encoded) ? Buffer.from(encoded, 'base64') : Buffer.alloc(0);
  if (key.length === 0) {
    // Our configuration is wrong, not the sender's request: INTERNAL is logged and masked.
    return err(
      failure(
        ErrorCode.INTERNAL,
        "the webhook secret configured for this source starts with 'whsec_' but the rest is not base64; " +
          'fix it in WEBHOOK_SOURCES / WEBHOOK_SECRET or drop the prefix to use the string itself as the key',
      ),
    );
  }
  return ok(key);
}

/** Signs a body the Standard Webhooks way and returns the three headers to send (tests, benchmarks, demo). */
export function signStandardWebhook(input: {
  secret: string;
  id: string;
  timestamp: number | Date;
  body: string | Buffer;
}): Record<string, string> {
  const key = standardWebhookKey(input.secret);
  if (!key.ok) throw new Error(key.error.message);
  const seconds = input.timestamp instanceof Date ? Math.floor(input.timestamp.getTime() / 1000) : input.timestamp;
  const signature = createHmac('sha256', key.value).update(`${input.id}.${seconds}.`).update(input.body).digest('base64');
  return { 'webhook-id': input.id, 'webhook-timestamp': String(seconds), 'webhook-signature': `v1,${signature}` };
}

/** Signs a body the simple way and returns the `x-signature` header (tests, benchmarks, demo). */
export function signXSignature(secret: string, body: string | Buffer): Record<string, string> {
  const hex = createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex');
  return { 'x-signature': `sha256=${hex}` };
}

/** Decodes each `v1,<base64>` entry; other versions (e.g. v1a, asymmetric) and junk are skipped. */
function parseStandardSignatures(text: string): Buffer[] {
  const signatures: Buffer[] = [];
  for (const token of text.split(/\s+/)) {
    // Node joins a repeated header with ", ", leaving a trailing comma on all but the last entry.
    const entry = token.replace(/,$/, '');
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const encoded = entry.slice(comma + 1);
    if (BASE64_RE.test(encoded)) signatures.push(Buffer.from(encoded, 'base64'));
  }
  return signatures;
}

function firstValue(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value.find((v) => v !== '') : value;
  return first === '' ? undefined : first;
}

function allValues(value: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(value) ? value.join(' ') : value;
  return joined === undefined || joined.trim() === '' ? undefined : joined;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
