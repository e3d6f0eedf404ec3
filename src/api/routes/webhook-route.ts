import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { WebhookSourceConfig } from '../../core/config.js';
import { ErrorCode, PayscopeError } from '../../core/errors.js';
import type { Metrics } from '../../core/metrics.js';
import { PAYMENT_STATUSES, paymentInputSchema } from '../../recorder/payment.js';
import { DEFAULT_SOURCE, type WebhookIntake } from '../../sources/webhooks/webhook-intake.js';
import { sendFailure } from '../http-errors.js';
import type { RouteDocs } from '../openapi/route-docs.js';
import type { WebhookStats } from '../webhook-stats.js';

export interface WebhookRouteDeps {
  intake: WebhookIntake;
  sources: Record<string, WebhookSourceConfig>;
  metrics: Metrics;
  stats: WebhookStats;
  maxBodyBytes: number;
  timeoutMs: number;
  defaultRateLimitPerMinute: number;
}

/**
 * `POST /api/v1/payments/webhook` (the seed's canonical body) and
 * `POST /api/v1/payments/webhook/:channel` (a gateway's own payload, mapped by its adapter).
 * 201 `{status:'created', payment_id}` for a new payment, 200 `{status:'duplicate', payment_id}`
 * (the original id) for one already recorded or a replayed delivery; on a channel, 200
 * `{status:'ignored'}` for an event type its adapter does not map (counted in
 * payscope_webhook_ignored_total), never a 4xx that would make the gateway retry and disable it.
 */
export async function registerWebhookRoutes(app: FastifyInstance, deps: WebhookRouteDeps): Promise<void> {
  // The signature covers the exact bytes sent, so this scope keeps the body raw and parses it
  // only after the signature checks out.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: deps.maxBodyBytes }, (_req, body, done) => done(null, body));

  const sourceOf = (channel: string | undefined) => channel ?? DEFAULT_SOURCE;
  // Metric labels and rate-limit keys come from a fixed set: a caller-chosen channel must not
  // create a new series (or counter) per request, nor show up in the public /metrics.
  const labelOf = (channel: string | undefined) => {
    const source = sourceOf(channel);
    return Object.hasOwn(deps.sources, source) ? source : 'unknown';
  };
  const rateLimit = {
    timeWindow: 60_000,
    max: (_req: unknown, key: string) => deps.sources[key]?.rate_limit_per_minute ?? deps.defaultRateLimitPerMinute,
    keyGenerator: (req: { params: unknown }) => labelOf((req.params as { channel?: string }).channel),
    errorResponseBuilder: (req: { params: unknown }, context: { max: number; after: string }) =>
      new PayscopeError({
        code: ErrorCode.RATE_LIMITED,
        message: `source '${sourceOf((req.params as { channel?: string }).channel)}' sent more than ${context.max} requests a minute; retry after ${context.after}`,
      }),
  };

  // Event types come from the gateway (signed, but open-ended): the first IGNORED_TYPES_PER_CHANNEL
  // well-formed ones per channel get their own series, any later or odd one counts as 'other'.
  const ignoredTypes = new Map<string, Set<string>>();
  const ignoredLabel = (channel: string, eventType: string) => {
    const seen = ignoredTypes.get(channel) ?? new Set<string>();
    ignoredTypes.set(channel, seen);
    if (seen.has(eventType)) return eventType;
    if (!/^[a-z0-9_.]{1,64}$/.test(eventType) || seen.size >= IGNORED_TYPES_PER_CHANNEL) return 'other';
    seen.add(eventType);
    return eventType;
  };

  const handler = async (
    request: import('fastify').FastifyRequest<{ Params: { channel?: string } }>,
    reply: import('fastify').FastifyReply,
  ) => {
    const started = process.hrtime.bigint();
    const channel = request.params.channel;
    const label = labelOf(channel);
    const finish = (outcome: 'created' | 'duplicate' | 'transitioned' | 'rejected' | 'ignored') => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      deps.metrics.webhookDuration.observe({ channel: label, outcome }, seconds);
      // /stats counts payments received; an ignored gateway event is none.
      if (outcome !== 'ignored') deps.stats.observe(outcome, seconds * 1000);
    };
    if (!Buffer.isBuffer(request.body)) {
      finish('rejected');
      deps.metrics.webhookRejections.inc({ code: ErrorCode.UNSUPPORTED_MEDIA_TYPE });
      return sendFailure(reply, { code: ErrorCode.UNSUPPORTED_MEDIA_TYPE, message: 'send the payment as an application/json body' });
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new PayscopeError({
              code: ErrorCode.TIMEOUT,
              message: `not recorded within ${deps.timeoutMs} ms; retry with the same reference_number (it will not be counted twice)`,
            }),
          ),
        deps.timeoutMs,
      );
    });
    try {
      const result = await Promise.race([
        deps.intake.receive({ channel, rawBody: request.body, headers: request.headers, ip: request.ip }),
        timeout,
      ]);
      if (!result.ok) {
        finish('rejected');
        deps.metrics.webhookRejections.inc({ code: result.error.code });
        return sendFailure(reply, result.error);
      }
      if (result.value.status === 'ignored') {
        finish('ignored');
        deps.metrics.webhookIgnored.inc({ channel: label, event_type: ignoredLabel(result.value.channel, result.value.event_type) });
        return reply.code(200).send({ status: 'ignored' });
      }
      const answer = result.value;
      // A replayed webhook-id is answered "duplicate", so it is counted as one: the latency
      // histogram and /stats describe the answers the senders got.
      const status = answer.replayed ? 'duplicate' : answer.status;
      finish(status);
      if (answer.replayed) reply.header('webhook-replayed', 'true');
      if (status === 'transitioned' && answer.status === 'transitioned') {
        const { payment_id, from_status, to_status, applied, version } = answer;
        return reply.code(200).send({ status, payment_id, from_status, to_status, applied, version });
      }
      return reply.code(status === 'created' ? 201 : 200).send({ status, payment_id: answer.payment_id });
    } catch (error) {
      finish('rejected');
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };

  app.post('/api/v1/payments/webhook', { config: { rateLimit, docs: WEBHOOK_DOCS } }, handler);
  app.post<{ Params: { channel: string } }>(
    '/api/v1/payments/webhook/:channel',
    { config: { rateLimit, docs: CHANNEL_WEBHOOK_DOCS } },
    handler,
  );
}

const IGNORED_TYPES_PER_CHANNEL = 50;

const webhookAnswer = z.object({
  status: z.enum(['created', 'duplicate', 'transitioned', 'ignored']),
  payment_id: z.string().optional().describe('The payment; for a duplicate, the id of the payment first recorded; absent when ignored'),
  from_status: z.enum(PAYMENT_STATUSES).optional().describe('transitioned: the ledger state before this delivery'),
  to_status: z
    .enum(PAYMENT_STATUSES)
    .optional()
    .describe('transitioned: the ledger state after it (equal to from_status when not applied)'),
  applied: z
    .boolean()
    .optional()
    .describe(
      'transitioned: false when the delivery was kept in history but did not move the state (older in event time, or not an allowed move)',
    ),
  version: z.number().int().optional().describe("transitioned: the payment's ledger version after this delivery"),
});
const LATER_DELIVERY =
  'transitioned: a later delivery for a recorded reference — a new status, a refund or a dispute step — applied to the ledger (docs/payment-lifecycle.md)';
const CONFLICTS = [
  {
    status: 409,
    description:
      'AMOUNT_CONFLICT, REFUND_CURRENCY_MISMATCH, REFUND_EXCEEDS_CAPTURED (kept for review as dead letters, stage ledger) or PAYMENT_NOT_RECORDED (retry later)',
  },
];
const SIGNED =
  "Signed with x-signature (hex HMAC-SHA256 of the raw body), Standard Webhooks headers, or the gateway's own Stripe-Signature / X-Razorpay-Signature: src/sources/webhooks/README.md.";

/** The seed's body, validated by `paymentInputSchema` (src/recorder/payment.ts). */
const WEBHOOK_DOCS: RouteDocs = {
  summary: 'Record a payment or a later status of it (the seed body); 201 created, 200 duplicate or transitioned',
  tags: ['webhooks'],
  description: `${SIGNED} Amounts are major units (\`amount\`) or integer minor units (\`amount_minor\`), exactly one of them.`,
  body: paymentInputSchema,
  status: 201,
  alsoStatus: [
    {
      status: 200,
      description: `duplicate: this reference_number with this status and amount (or webhook-id) was recorded before; ${LATER_DELIVERY}`,
    },
    ...CONFLICTS,
  ],
  response: webhookAnswer,
};

const CHANNEL_WEBHOOK_DOCS: RouteDocs = {
  summary: "Record a payment, a status change, a refund or a dispute from a gateway's own webhook payload (razorpay, stripe)",
  tags: ['webhooks'],
  description: `${SIGNED} The body is the gateway's event as it sends it; the channel adapter maps it to a payment.`,
  params: z.object({ channel: z.string().describe('A channel adapter: razorpay or stripe') }),
  body: z.record(z.string(), z.unknown()).describe("The gateway's webhook event, unchanged"),
  status: 201,
  alsoStatus: [
    {
      status: 200,
      description: `duplicate: this event (or webhook-id) was recorded before; ${LATER_DELIVERY}; or ignored: an event type the channel does not map ({status:'ignored'})`,
    },
    ...CONFLICTS,
  ],
  response: webhookAnswer,
};
