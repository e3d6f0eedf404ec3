import { BlockList, isIP } from 'node:net';
import { type WebhookSignatureScheme, type WebhookSourceConfig, defaultSchemesOf } from '../../core/config.js';
import { ErrorCode, type Failure, type Result, err, failure, ok } from '../../core/errors.js';
import { decodeUtf8 } from '../../core/text.js';
import { type DeliveryInput, type LedgerDelivery, normaliseDispute, normaliseRefund } from '../../recorder/ledger-delivery.js';
import { type PaymentInput, type PaymentRules, normalisePayment } from '../../recorder/payment.js';
import type { AcceptedOutcome, Recorder } from '../../recorder/recorder.js';
import { withFailureCategory } from './channels/generic-failure-codes.js';
import type { ChannelAdapter } from './channels/channel-port.js';
import type { ReplayGuard } from './replay-guard.js';
import { verifyWebhookSignature } from './signature.js';

/**
 * Everything between the HTTP request and the recorder: which source is calling, is its IP
 * allowed, is the signature good and fresh, was this delivery already answered, what canonical
 * payment does the body describe. HTTP concerns (status codes, rate limits, body size) stay in
 * the route.
 */

/** The generic endpoint's source; channel endpoints use the channel name. */
export const DEFAULT_SOURCE = 'default';

export interface WebhookDelivery {
  /** undefined for the generic endpoint, which takes the seed's canonical body. */
  channel: string | undefined;
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  ip: string;
}

/**
 * What the sender is answered: a recorded payment, or `ignored` for a gateway event type the
 * channel does not map (answered 200: a 4xx makes gateways retry and then disable the endpoint).
 */
export type WebhookAnswer =
  | (AcceptedOutcome & { replayed: boolean })
  | { status: 'ignored'; channel: string; event_type: string; replayed: false };

export interface WebhookIntake {
  receive(delivery: WebhookDelivery): Promise<Result<WebhookAnswer, Failure>>;
  /** Channel names with an adapter. */
  channels(): string[];
}

export function createWebhookIntake(deps: {
  recorder: Recorder;
  /** Channel adapters by name, chosen by the composition root. */
  channelAdapters: ReadonlyMap<string, ChannelAdapter>;
  sources: Record<string, WebhookSourceConfig>;
  replayGuard: ReplayGuard;
  toleranceSeconds: number;
  defaultCurrency: string;
  /** ALLOW_ZERO_AMOUNT and MAX_FUTURE_PAYMENT_SKEW; default DEFAULT_PAYMENT_RULES. */
  paymentRules?: PaymentRules;
}): WebhookIntake {
  const { channelAdapters } = deps;
  const allowLists = new Map<string, BlockList | null>();
  for (const [name, source] of Object.entries(deps.sources)) allowLists.set(name, blockListOf(source.allow_ips));

  async function receive(delivery: WebhookDelivery): Promise<Result<WebhookAnswer, Failure>> {
    const sourceName = delivery.channel ?? DEFAULT_SOURCE;
    const adapter = delivery.channel === undefined ? undefined : channelAdapters.get(delivery.channel);
    if (delivery.channel !== undefined && !adapter) {
      return err(
        failure(
          ErrorCode.UNSUPPORTED_CHANNEL,
          `no adapter for channel '${delivery.channel}'; supported: ${[...channelAdapters.keys()].join(', ')}`,
        ),
      );
    }
    const source = deps.sources[sourceName];
    if (!source) {
      return err(
        failure(
          ErrorCode.SOURCE_NOT_CONFIGURED,
          `webhook source '${sourceName}' has no secret configured; set WEBHOOK_SOURCES='{"${sourceName}":{"secret":"…"}}'`,
        ),
      );
    }
    const allow = allowLists.get(sourceName);
    if (allow && !ipAllowed(allow, delivery.ip)) {
      return err(failure(ErrorCode.IP_NOT_ALLOWED, `address ${delivery.ip} is not in the allow-list of source '${sourceName}'`));
    }
    const signature = verifyWebhookSignature({
      rawBody: delivery.rawBody,
      headers: delivery.headers,
      secret: source.secret,
      toleranceSeconds: deps.toleranceSeconds,
    });
    if (!signature.ok) return signature;
    const schemes = source.schemes ?? defaultSchemesOf(sourceName);
    if (!schemeAllowed(schemes, signature.value.scheme)) {
      return err(
        failure(
          ErrorCode.SIGNATURE_INVALID,
          `source '${sourceName}' accepts only ${schemes.join(', ')} signatures; sign with one of them (WEBHOOK_SOURCES schemes)`,
        ),
      );
    }
    const webhookId = signature.value.webhookId;
    if (webhookId) {
      const previous = await deps.replayGuard.answered(sourceName, webhookId);
      if (previous) return ok({ status: 'duplicate', payment_id: previous.payment_id, replayed: true });
    }

    // Only now, after the signature over the raw bytes checked out. Invalid bytes are refused, never
    // decoded to U+FFFD: two references differing only in them would become one payment.
    const text = decodeUtf8(delivery.rawBody);
    if (!text.ok) return text;
    let body: unknown;
    try {
      body = JSON.parse(text.value);
    } catch (e) {
      return err(failure(ErrorCode.MALFORMED_JSON, `the body is not valid JSON: ${(e as Error).message}`));
    }
    // The generic body's failure codes are mapped here; a channel adapter maps its own gateway's.
    const input: Result<DeliveryInput, Failure> = adapter
      ? adapter.toDelivery(body, { headers: delivery.headers })
      : ok({ kind: 'payment', input: withFailureCategory(body) as PaymentInput });
    if (!input.ok && adapter && input.error.code === ErrorCode.UNSUPPORTED_EVENT_TYPE) {
      const eventType = (input.error.details as { event?: unknown } | undefined)?.event;
      return ok({ status: 'ignored', channel: adapter.channel, event_type: String(eventType ?? ''), replayed: false });
    }
    if (!input.ok) return input;
    const ledgerDelivery = normaliseDelivery(input.value, deps.defaultCurrency, deps.paymentRules);
    if (!ledgerDelivery.ok) return ledgerDelivery;
    const d = ledgerDelivery.value;
    if (d.kind === 'payment' && d.payment.payment_channel === null) d.payment.payment_channel = delivery.channel ?? null;

    const outcome = await deps.recorder.recordDelivery(d);
    if (outcome.status === 'refused') return err(outcome.failure);
    if (webhookId) await deps.replayGuard.remember(sourceName, webhookId, { status: outcome.status, payment_id: outcome.payment_id });
    return ok({ ...outcome, replayed: false });
  }

  return { receive, channels: () => [...channelAdapters.keys()] };
}

/**
 * X-Razorpay-Signature is the X-Signature HMAC without its prefix, and was accepted as
 * 'x-signature' before it became a scheme of its own: a source listing 'x-signature' (e.g. a
 * DATA_DIR/webhook-secrets.json written then) still takes it.
 */
function schemeAllowed(schemes: readonly WebhookSignatureScheme[], scheme: WebhookSignatureScheme): boolean {
  return schemes.includes(scheme) || (scheme === 'razorpay-signature' && schemes.includes('x-signature'));
}

function blockListOf(entries: readonly string[]): BlockList | null {
  if (entries.length === 0) return null;
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return list;
}

function ipAllowed(list: BlockList, ip: string): boolean {
  const mapped = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return list.check(mapped, isIP(mapped) === 6 ? 'ipv6' : 'ipv4');
}

/** Validates what a source asked to record into the ledger's canonical delivery. */
export function normaliseDelivery(
  input: DeliveryInput,
  defaultCurrency: string,
  rules: PaymentRules | undefined,
): Result<LedgerDelivery, Failure> {
  switch (input.kind) {
    case 'payment': {
      const payment = normalisePayment(input.input, { source: 'webhook', defaultCurrency, ...(rules ? { rules } : {}) });
      return payment.ok ? ok({ kind: 'payment', payment: payment.value }) : payment;
    }
    case 'refund': {
      const refund = normaliseRefund(input.input, 'webhook');
      return refund.ok ? ok({ kind: 'refund', refund: refund.value }) : refund;
    }
    case 'dispute': {
      const dispute = normaliseDispute(input.input, 'webhook');
      return dispute.ok ? ok({ kind: 'dispute', dispute: dispute.value }) : dispute;
    }
  }
}
