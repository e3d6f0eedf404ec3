/** Sends signed webhooks to a running Payscope over real HTTP. */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { signStandardWebhook, signXSignature } from '../../src/sources/webhooks/signature.js';

export interface SendOptions {
  channel?: string;
  secret: string;
  scheme?: 'standard' | 'x-signature' | 'none';
  id?: string;
  timestamp?: number;
  headers?: Record<string, string>;
  contentType?: string;
}

export interface WebhookResponse {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string; request_id: string; docs: string } };
  headers: Record<string, string | string[] | undefined> & { get(name: string): string | undefined };
}

// Like a real sender's connection pool: many requests in flight over a bounded set of sockets
// (thousands of simultaneous connects would only overflow the listen backlog).
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function post(
  url: string,
  headers: Record<string, string>,
  body: string | Buffer,
): Promise<{ status: number; text: string; headers: WebhookResponse['headers'] }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          headers: Object.assign({ ...res.headers }, { get: (name: string) => res.headers[name.toLowerCase()] as string | undefined }),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends `body` signed: a string or Buffer as its exact bytes, anything else JSON-encoded. */
export async function sendWebhook(baseUrl: string, body: unknown, options: SendOptions): Promise<WebhookResponse> {
  const raw = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const scheme = options.scheme ?? 'standard';
  const signed =
    scheme === 'standard'
      ? signStandardWebhook({
          secret: options.secret,
          id: options.id ?? `msg_${randomUUID()}`,
          timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
          body: raw,
        })
      : scheme === 'x-signature'
        ? signXSignature(options.secret, raw)
        : {};
  const path = options.channel ? `/api/v1/payments/webhook/${options.channel}` : '/api/v1/payments/webhook';
  const res = await post(
    `${baseUrl}${path}`,
    { 'content-type': options.contentType ?? 'application/json', ...signed, ...options.headers },
    raw,
  );
  return { status: res.status, body: res.text ? (JSON.parse(res.text) as WebhookResponse['body']) : {}, headers: res.headers };
}

/** A valid canonical (seed) webhook body. */
export function seedBody(reference: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    reference_number: reference,
    loan_account_number: 'LN00012345',
    cif: 'CIF998877',
    amount: 1500.5,
    payment_date: '2026-11-21T09:30:00+05:30',
    payment_channel: 'UPI',
    metadata: { branch: 'MUM-01' },
    ...overrides,
  };
}

/** A Stripe `charge.succeeded` event for the `stripe` channel; `object` overrides fields of its charge. */
export function stripeChargeEvent(id: string, object: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `evt_${id}`,
    object: 'event',
    type: 'charge.succeeded',
    created: 1_763_700_000,
    data: {
      object: {
        id: `ch_${id}`,
        object: 'charge',
        amount: 2000,
        currency: 'usd',
        status: 'succeeded',
        payment_intent: `pi_${id}`,
        payment_method_details: { type: 'card' },
        metadata: {},
        created: 1_763_700_000,
        ...object,
      },
    },
  };
}
