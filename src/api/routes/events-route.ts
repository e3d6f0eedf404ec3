import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ErrorCode, PayscopeError } from '../../core/errors.js';
import { decodeUtf8 } from '../../core/text.js';
import { type CaptureResult, type EventIntake, MAX_EVENTS_PER_BATCH } from '../../sources/events/event-intake.js';
import { sendFailure } from '../http-errors.js';

export interface EventsRouteDeps {
  intake: EventIntake;
  /** `EVENTS_MAX_BODY_BYTES`: this route's own body limit (a batch is far larger than a webhook). */
  maxBodyBytes: number;
}

/** The answer to a well-formed batch, also when some of its events were rejected. */
export interface CaptureResponse {
  accepted: number;
  duplicates: number;
  rejected: number;
  /** One per event, in the order sent. */
  results: CaptureResult[];
}

/** A JSON array of CloudEvents (the CloudEvents JSON batch format). */
const BATCH = 'application/cloudevents-batch+json';
/** One CloudEvent in structured mode. */
const SINGLE = 'application/cloudevents+json';
const CONTENT_TYPES = ['application/json', BATCH, SINGLE];

/** For the OpenAPI document only: the handler checks the batch shape, capture checks each event. */
const CLOUD_EVENT = z.looseObject({
  specversion: z.literal('1.0'),
  id: z.string(),
  source: z.string(),
  type: z.string(),
  time: z.string().optional(),
  subject: z.string().optional(),
  dataschema: z.string().optional(),
  data: z.record(z.string(), z.unknown()),
});
const CAPTURE_BODY = z.union([z.array(CLOUD_EVENT).min(1).max(MAX_EVENTS_PER_BATCH), CLOUD_EVENT]);
export const CAPTURE_RESPONSE = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int(),
  rejected: z.number().int(),
  results: z.array(z.looseObject({ id: z.string().nullable().optional(), status: z.enum(['accepted', 'duplicate', 'rejected']) })),
});

/**
 * `POST /api/v1/events`: a batch of up to 1,000 CloudEvents from other services, captured into the
 * outbox (see `sources/events/event-intake.ts`). Body: a JSON array (`application/json` or
 * `application/cloudevents-batch+json`), or one event object (`application/cloudevents+json`, or
 * `application/json`) taken as a batch of one.
 *
 * A well-formed batch is answered 200 `{accepted, duplicates, rejected, results}` even when some
 * events were rejected: each result says what happened to its event. 4xx only when the request
 * itself is unusable (not JSON, empty, too many events, too large, wrong content type).
 *
 * Needs an API key with the `ingest` role (src/api/access).
 */
export async function registerEventRoutes(app: FastifyInstance, deps: EventsRouteDeps): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(CONTENT_TYPES, { parseAs: 'buffer', bodyLimit: deps.maxBodyBytes }, (_req, body, done) => {
    // Invalid bytes are refused, never decoded to U+FFFD: two ids differing only in them would become one.
    const text = decodeUtf8(body as Buffer);
    if (!text.ok) {
      done(new PayscopeError(text.error) as unknown as FastifyError, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text.value) as unknown);
    } catch (error) {
      done(
        new PayscopeError({
          code: ErrorCode.MALFORMED_JSON,
          message: `the body is not valid JSON (${(error as Error).message}); send a JSON array of CloudEvents`,
        }) as unknown as FastifyError,
        undefined,
      );
    }
  });
  // This route's limits and content types differ from the webhooks': say so in the messages.
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendFailure(reply, {
        code: ErrorCode.PAYLOAD_TOO_LARGE,
        message: `the body is larger than ${deps.maxBodyBytes} bytes (EVENTS_MAX_BODY_BYTES); split the batch into smaller ones`,
      });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return sendFailure(reply, {
        code: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        message: `content-type '${request.headers['content-type'] ?? ''}' is not accepted; send ${CONTENT_TYPES.join(', or ')}`,
      });
    }
    if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
      return sendFailure(reply, { code: ErrorCode.MALFORMED_JSON, message: 'the body is empty; send a JSON array of CloudEvents' });
    }
    throw error; // the server's handler maps the rest
  });

  app.post(
    '/api/v1/events',
    {
      bodyLimit: deps.maxBodyBytes,
      config: {
        access: ['ingest'],
        docs: {
          summary: 'Capture a batch of up to 1,000 CloudEvents from other services',
          description:
            'A JSON array of CloudEvents (or one event). 200 with one result per event, also when some are rejected. Schemas of `data`: GET /api/v1/schemas.',
          tags: ['events'],
          body: CAPTURE_BODY,
          bodyContentTypes: CONTENT_TYPES,
          response: CAPTURE_RESPONSE,
        },
      },
    },
    async (request, reply) => {
      const events = batchOf(request.body, mediaTypeOf(request.headers['content-type']));
      if (!events.ok) return sendFailure(reply, events.error);
      const results = await deps.intake.capture(events.value, 'http');
      const response: CaptureResponse = { accepted: 0, duplicates: 0, rejected: 0, results };
      for (const r of results) {
        if (r.status === 'accepted') response.accepted++;
        else if (r.status === 'duplicate') response.duplicates++;
        else response.rejected++;
      }
      return reply.code(200).send(response);
    },
  );
}

type Batch = { ok: true; value: readonly unknown[] } | { ok: false; error: { code: ErrorCode; message: string; details?: unknown } };

function batchOf(body: unknown, mediaType: string): Batch {
  if (body === undefined) {
    return { ok: false, error: { code: ErrorCode.MALFORMED_JSON, message: 'the body is empty; send a JSON array of CloudEvents' } };
  }
  if (Array.isArray(body)) {
    if (mediaType === SINGLE) {
      return invalid(`${SINGLE} carries one event; send a JSON array as ${BATCH} (or application/json)`);
    }
    if (body.length === 0) {
      return { ok: false, error: { code: ErrorCode.BATCH_EMPTY, message: 'the batch holds no events; send 1 to 1,000 CloudEvents' } };
    }
    if (body.length > MAX_EVENTS_PER_BATCH) {
      return {
        ok: false,
        error: {
          code: ErrorCode.BATCH_TOO_LARGE,
          message: `the batch holds ${body.length} events; send at most ${MAX_EVENTS_PER_BATCH} per request (split it; resending events already captured is safe)`,
          details: { events: body.length, max: MAX_EVENTS_PER_BATCH },
        },
      };
    }
    return { ok: true, value: body };
  }
  if (typeof body === 'object' && body !== null) {
    if (mediaType === BATCH) return invalid(`${BATCH} is a JSON array of events; send one event as ${SINGLE}, or wrap it in [ ]`);
    return { ok: true, value: [body] };
  }
  return invalid('the body must be a JSON array of CloudEvents, or one CloudEvent object');
}

function invalid(message: string): Batch {
  return { ok: false, error: { code: ErrorCode.INVALID_BATCH, message } };
}

function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}
