import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../core/errors.js';
import { type WebhookHeaders, signStandardWebhook, signXSignature, standardWebhookKey, verifyWebhookSignature } from './signature.js';

const NOW = new Date('2026-11-22T10:00:00Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);
const TOLERANCE = 300;
const WHSEC = `whsec_${Buffer.from('a 24-byte test key......').toString('base64')}`;
const PLAIN_SECRET = 'plain-secret-for-tests';
const BODY = Buffer.from('{"reference_number":"REF-1","amount":"10.50","payment_date":"2026-11-22T09:59:00Z"}');

const verify = (rawBody: Buffer, headers: WebhookHeaders, secret = WHSEC, now = NOW) =>
  verifyWebhookSignature({ rawBody, headers, secret, toleranceSeconds: TOLERANCE, now });
const standardHeaders = (overrides: { secret?: string; id?: string; timestamp?: number; body?: Buffer } = {}) =>
  signStandardWebhook({
    secret: overrides.secret ?? WHSEC,
    id: overrides.id ?? 'msg_2Kx9',
    timestamp: overrides.timestamp ?? NOW_S,
    body: overrides.body ?? BODY,
  });
const codeOf = (r: ReturnType<typeof verify>) => (r.ok ? 'ok' : r.error.code);

const secretArb = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => `whsec_${Buffer.from(bytes).toString('base64')}`),
  fc.string({ minLength: 1, maxLength: 80, unit: 'grapheme' }).filter((s) => !s.startsWith('whsec_')),
);
// Header values cannot hold line breaks; anything else printable is fair game for an id.
const idArb = fc.string({ minLength: 1, maxLength: 64 }).filter((s) => s.trim() === s && s !== '' && !/[\r\n]/.test(s));

describe('Standard Webhooks', () => {
  it('accepts any body, id and secret it signed itself, within the tolerance window', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2048 }),
        idArb,
        secretArb,
        fc.integer({ min: -TOLERANCE, max: TOLERANCE }),
        (body, id, secret, skew) => {
          const rawBody = Buffer.from(body);
          const headers = signStandardWebhook({ secret, id, timestamp: NOW_S + skew, body: rawBody });
          const result = verify(rawBody, headers, secret);
          expect(result).toEqual({ ok: true, value: { scheme: 'standard-webhooks', webhookId: id, timestamp: NOW_S + skew } });
        },
      ),
    );
  });

  it('rejects any body with a single byte changed', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 1024 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        secretArb,
        (body, position, flip, secret) => {
          const rawBody = Buffer.from(body);
          const headers = signStandardWebhook({ secret, id: 'msg_1', timestamp: NOW_S, body: rawBody });
          const tampered = Buffer.from(rawBody);
          const at = position % tampered.length;
          tampered[at] = (tampered[at] ?? 0) ^ flip;
          expect(codeOf(verify(tampered, headers, secret))).toBe(ErrorCode.SIGNATURE_INVALID);
        },
      ),
    );
  });

  it('rejects bodies that differ only in bytes that are not valid UTF-8', () => {
    // A verifier that decodes the body to a string first would see U+FFFD in both and accept.
    const signed = Buffer.from([0x7b, 0xff, 0x7d]);
    const forged = Buffer.from([0x7b, 0xfe, 0x7d]);
    expect(codeOf(verify(forged, standardHeaders({ body: signed })))).toBe(ErrorCode.SIGNATURE_INVALID);
  });

  it('rejects a body signed with another key', () => {
    const headers = standardHeaders({ secret: `whsec_${randomBytes(32).toString('base64')}` });
    const result = verify(BODY, headers);
    expect(codeOf(result)).toBe(ErrorCode.SIGNATURE_INVALID);
    expect(result.ok ? '' : result.error.message).toMatch(/secret/);
  });

  it('rejects a signature made over another webhook-id or timestamp', () => {
    const headers = standardHeaders();
    expect(codeOf(verify(BODY, { ...headers, 'webhook-id': 'msg_other' }))).toBe(ErrorCode.SIGNATURE_INVALID);
    expect(codeOf(verify(BODY, { ...headers, 'webhook-timestamp': String(NOW_S - 1) }))).toBe(ErrorCode.SIGNATURE_INVALID);
  });

  it('rejects a timestamp older than the tolerance and says to check the clock', () => {
    const result = verify(BODY, standardHeaders({ timestamp: NOW_S - TOLERANCE - 1 }));
    expect(codeOf(result)).toBe(ErrorCode.TIMESTAMP_OUT_OF_TOLERANCE);
    const message = result.ok ? '' : result.error.message;
    expect(message).toContain('±300 s');
    expect(message).toContain('301 s in the past');
    expect(message).toMatch(/clock/);
  });

  it('rejects a timestamp further in the future than the tolerance', () => {
    const result = verify(BODY, standardHeaders({ timestamp: NOW_S + TOLERANCE + 1 }));
    expect(codeOf(result)).toBe(ErrorCode.TIMESTAMP_OUT_OF_TOLERANCE);
    expect(result.ok ? '' : result.error.message).toContain('301 s in the future');
  });

  it('accepts a timestamp exactly at either edge of the tolerance window', () => {
    expect(codeOf(verify(BODY, standardHeaders({ timestamp: NOW_S - TOLERANCE })))).toBe('ok');
    expect(codeOf(verify(BODY, standardHeaders({ timestamp: NOW_S + TOLERANCE })))).toBe('ok');
  });

  it('hints at milliseconds when the timestamp has 13 digits', () => {
    const result = verify(BODY, standardHeaders({ timestamp: NOW.getTime() }));
    expect(codeOf(result)).toBe(ErrorCode.TIMESTAMP_OUT_OF_TOLERANCE);
    expect(result.ok ? '' : result.error.message).toMatch(/milliseconds/);
  });

  it('reports a tampered stale message as an invalid signature, not as a clock problem', () => {
    const headers = standardHeaders({ timestamp: NOW_S - 3600 });
    expect(codeOf(verify(Buffer.from('{}'), headers))).toBe(ErrorCode.SIGNATURE_INVALID);
  });

  it('rejects a timestamp that is not whole unix seconds', () => {
    for (const timestamp of ['2026-11-22T10:00:00Z', '1700000000.5', '-1700000000', 'abc']) {
      const result = verify(BODY, { ...standardHeaders(), 'webhook-timestamp': timestamp });
      expect(codeOf(result)).toBe(ErrorCode.SIGNATURE_INVALID);
      expect(result.ok ? '' : result.error.message).toMatch(/seconds since 1970/);
    }
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])('names %s when it is the one header missing', (name) => {
    const headers: WebhookHeaders = { ...standardHeaders() };
    delete headers[name];
    const result = verify(BODY, headers);
    expect(codeOf(result)).toBe(ErrorCode.SIGNATURE_MISSING);
    expect(result.ok ? '' : result.error.message).toContain(`missing ${name}`);
  });

  it('treats empty header values as missing', () => {
    expect(codeOf(verify(BODY, { ...standardHeaders(), 'webhook-signature': '' }))).toBe(ErrorCode.SIGNATURE_MISSING);
  });

  it('accepts a header with several signatures when one of them matches', () => {
    const good = standardHeaders()['webhook-signature'];
    const other = standardHeaders({ secret: 'rotated-out-secret' })['webhook-signature'];
    const signature = `${other} v1a,c2lnbmVkIHdpdGggZWQyNTUxOQ== ${good} v1,not-base64!`;
    expect(codeOf(verify(BODY, { ...standardHeaders(), 'webhook-signature': signature }))).toBe('ok');
  });

  it('accepts signatures sent as a repeated header, in array or comma-joined form', () => {
    const headers = standardHeaders();
    const other = standardHeaders({ secret: 'rotated-out-secret' })['webhook-signature'] ?? '';
    const good = headers['webhook-signature'] ?? '';
    expect(codeOf(verify(BODY, { ...headers, 'webhook-signature': [other, good] }))).toBe('ok');
    expect(codeOf(verify(BODY, { ...headers, 'webhook-signature': `${other}, ${good}` }))).toBe('ok');
  });

  it('rejects a header whose only signatures are of other versions or malformed', () => {
    for (const signature of ['v1a,c2lnbmVk', 'v2,abc', 'garbage', 'v1,']) {
      const result = verify(BODY, { ...standardHeaders(), 'webhook-signature': signature });
      expect(codeOf(result)).toBe(ErrorCode.SIGNATURE_INVALID);
    }
  });

  it('uses the base64-decoded key of a whsec_ secret, not the text of the secret', () => {
    const key = Buffer.from(WHSEC.slice('whsec_'.length), 'base64');
    const bySpec = createHmac('sha256', key).update(`msg_1.${NOW_S}.`).update(BODY).digest('base64');
    const byText = createHmac('sha256', Buffer.from(WHSEC)).update(`msg_1.${NOW_S}.`).update(BODY).digest('base64');
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(NOW_S) };
    expect(codeOf(verify(BODY, { ...headers, 'webhook-signature': `v1,${bySpec}` }))).toBe('ok');
    expect(codeOf(verify(BODY, { ...headers, 'webhook-signature': `v1,${byText}` }))).toBe(ErrorCode.SIGNATURE_INVALID);
  });

  it('uses the UTF-8 bytes of a secret without the whsec_ prefix', () => {
    const secret = 'clé-secrète-₹';
    const signature = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`msg_1.${NOW_S}.`).update(BODY).digest('base64');
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(NOW_S), 'webhook-signature': `v1,${signature}` };
    expect(codeOf(verify(BODY, headers, secret))).toBe('ok');
  });

  it('refuses a whsec_ secret that is not base64 as a configuration error', () => {
    expect(standardWebhookKey('whsec_not base64!').ok).toBe(false);
    const result = verify(BODY, standardHeaders(), 'whsec_***');
    expect(codeOf(result)).toBe(ErrorCode.INTERNAL);
    expect(result.ok ? '' : result.error.message).toMatch(/WEBHOOK_SOURCES/);
  });

  it('interoperates with the standardwebhooks reference library in both directions', () => {
    const now = new Date();
    const body = '{"amount_minor":1050,"note":"₹ UTF-8"}';
    const library = new Webhook(WHSEC);
    const theirs = library.sign('msg_lib', now, body);
    const headers = { 'webhook-id': 'msg_lib', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': theirs };
    expect(codeOf(verify(Buffer.from(body), headers, WHSEC, now))).toBe('ok');
    const ours = signStandardWebhook({ secret: WHSEC, id: 'msg_ours', timestamp: now, body });
    expect(library.verify(body, ours)).toEqual(JSON.parse(body));
  });
});

describe('X-Signature', () => {
  it('accepts any body it signed itself, with any secret', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), secretArb, (body, secret) => {
        const rawBody = Buffer.from(body);
        const result = verify(rawBody, signXSignature(secret, rawBody), secret);
        expect(result).toEqual({ ok: true, value: { scheme: 'x-signature', webhookId: null, timestamp: null } });
      }),
    );
  });

  it('rejects any body with a single byte changed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 1024 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (body, position, flip) => {
        const rawBody = Buffer.from(body);
        const headers = signXSignature(PLAIN_SECRET, rawBody);
        const tampered = Buffer.from(rawBody);
        const at = position % tampered.length;
        tampered[at] = (tampered[at] ?? 0) ^ flip;
        expect(codeOf(verify(tampered, headers, PLAIN_SECRET))).toBe(ErrorCode.SIGNATURE_INVALID);
      }),
    );
  });

  it('keys the HMAC with the UTF-8 bytes of the secret, whsec_ prefix included', () => {
    const hex = createHmac('sha256', Buffer.from(WHSEC, 'utf8')).update(BODY).digest('hex');
    expect(codeOf(verify(BODY, { 'x-signature': `sha256=${hex}` }, WHSEC))).toBe('ok');
  });

  it('rejects a body signed with another key', () => {
    expect(codeOf(verify(BODY, signXSignature('another-secret', BODY), PLAIN_SECRET))).toBe(ErrorCode.SIGNATURE_INVALID);
  });

  it('accepts upper-case hex digits', () => {
    const hex = createHmac('sha256', PLAIN_SECRET).update(BODY).digest('hex').toUpperCase();
    expect(codeOf(verify(BODY, { 'x-signature': `sha256=${hex}` }, PLAIN_SECRET))).toBe('ok');
  });

  it('rejects a value without the sha256= prefix and says what the header should look like', () => {
    const hex = createHmac('sha256', PLAIN_SECRET).update(BODY).digest('hex');
    for (const value of [hex, `sha1=${hex}`, 'sha256=abc', `sha256=${hex}00`]) {
      const result = verify(BODY, { 'x-signature': value }, PLAIN_SECRET);
      expect(codeOf(result)).toBe(ErrorCode.SIGNATURE_INVALID);
      expect(result.ok ? '' : result.error.message).toContain("'sha256=' followed by 64 hex digits");
    }
  });

  it('accepts X-Razorpay-Signature, the same HMAC without a prefix', () => {
    const hex = createHmac('sha256', PLAIN_SECRET).update(BODY).digest('hex');
    expect(verify(BODY, { 'x-razorpay-signature': hex }, PLAIN_SECRET)).toEqual({
      ok: true,
      value: { scheme: 'razorpay-signature', webhookId: null, timestamp: null },
    });
    expect(codeOf(verify(BODY, { 'x-razorpay-signature': `sha256=${hex}` }, PLAIN_SECRET))).toBe(ErrorCode.SIGNATURE_INVALID);
  });
});

describe('choosing the scheme', () => {
  it('reports a request with no signature headers as missing, naming both schemes', () => {
    const result = verify(BODY, { 'content-type': 'application/json' });
    expect(codeOf(result)).toBe(ErrorCode.SIGNATURE_MISSING);
    const message = result.ok ? '' : result.error.message;
    expect(message).toContain('webhook-signature');
    expect(message).toContain('X-Signature: sha256=');
  });

  it('uses Standard Webhooks when both schemes are present', () => {
    const both = { ...standardHeaders({ secret: PLAIN_SECRET }), ...signXSignature(PLAIN_SECRET, BODY) };
    expect(verify(BODY, both, PLAIN_SECRET)).toMatchObject({ ok: true, value: { scheme: 'standard-webhooks' } });
    const badStandard = { ...both, 'webhook-signature': 'v1,AAAA' };
    expect(codeOf(verify(BODY, badStandard, PLAIN_SECRET))).toBe(ErrorCode.SIGNATURE_INVALID);
  });

  it('does not fall back to X-Signature when Standard Webhooks headers are incomplete', () => {
    const headers = { 'webhook-id': 'msg_1', ...signXSignature(PLAIN_SECRET, BODY) };
    expect(codeOf(verify(BODY, headers, PLAIN_SECRET))).toBe(ErrorCode.SIGNATURE_MISSING);
  });

  it('never throws, whatever the headers hold', () => {
    const value = fc.option(fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 })), { nil: undefined });
    fc.assert(
      fc.property(
        fc.record({
          'webhook-id': value,
          'webhook-timestamp': fc.oneof(value, fc.integer().map(String)),
          'webhook-signature': value,
          'x-signature': value,
          'x-razorpay-signature': value,
        }),
        fc.uint8Array({ maxLength: 64 }),
        secretArb,
        (headers, body, secret) => {
          const result = verify(Buffer.from(body), headers, secret);
          expect(typeof result.ok).toBe('boolean');
        },
      ),
    );
  });
});

// The `stripe` package is the independent signer: its test-header helper signs as Stripe does.
const stripeSdk = new Stripe('sk_test_unused');

describe('Stripe-Signature', () => {
  it('accepts any body and secret the stripe SDK signed, within the tolerance window', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 512 }),
        fc.string({ minLength: 1, maxLength: 60 }).map((s) => `whsec_${s}`),
        fc.integer({ min: -TOLERANCE, max: TOLERANCE }),
        (payload, secret, skew) => {
          const header = stripeSdk.webhooks.generateTestHeaderString({ payload, secret, timestamp: NOW_S + skew });
          const result = verify(Buffer.from(payload, 'utf8'), { 'stripe-signature': header }, secret);
          expect(result).toMatchObject({ ok: true, value: { scheme: 'stripe-signature', timestamp: NOW_S + skew } });
        },
      ),
    );
  });

  it('refuses a timestamp outside the tolerance only after the signature matched', () => {
    const payload = BODY.toString();
    const stale = stripeSdk.webhooks.generateTestHeaderString({ payload, secret: WHSEC, timestamp: NOW_S - TOLERANCE - 1 });
    expect(codeOf(verify(BODY, { 'stripe-signature': stale }))).toBe(ErrorCode.TIMESTAMP_OUT_OF_TOLERANCE);
    const staleForeign = stripeSdk.webhooks.generateTestHeaderString({ payload, secret: 'whsec_x', timestamp: NOW_S - TOLERANCE - 1 });
    expect(codeOf(verify(BODY, { 'stripe-signature': staleForeign }))).toBe(ErrorCode.SIGNATURE_INVALID);
  });

  it('accepts any of several v1 values (rotation) and ignores v0 and unknown elements', () => {
    const payload = BODY.toString();
    const v1Of = (secret: string) =>
      stripeSdk.webhooks.generateTestHeaderString({ payload, secret, timestamp: NOW_S }).split(',')[1] as string;
    const header = `t=${NOW_S},${v1Of('whsec_old')},v0=abc,foo=bar,${v1Of(WHSEC)}`;
    expect(codeOf(verify(BODY, { 'stripe-signature': header }))).toBe('ok');
  });

  it('refuses a header without t or without any v1 as SIGNATURE_INVALID', () => {
    const hex = createHmac('sha256', WHSEC).update(`${NOW_S}.`).update(BODY).digest('hex');
    expect(codeOf(verify(BODY, { 'stripe-signature': `v1=${hex}` }))).toBe(ErrorCode.SIGNATURE_INVALID);
    expect(codeOf(verify(BODY, { 'stripe-signature': `t=${NOW_S},v0=${hex}` }))).toBe(ErrorCode.SIGNATURE_INVALID);
    expect(codeOf(verify(BODY, { 'stripe-signature': `t=${NOW_S},v1=${hex}` }))).toBe('ok');
  });

  it('never throws on arbitrary header text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (header) => {
        const result = verify(BODY, { 'stripe-signature': header });
        expect(result.ok).toBe(false);
      }),
    );
  });
});
