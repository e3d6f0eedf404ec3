import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ErrorCode } from '../../core/errors.js';
import type { Access } from '../access/access-hook.js';
import type { AuditLog } from '../access/audit-log.js';
import { timeZoneParam } from '../../analytics/query-params.js';
import type { LiveFeed } from '../live/live-feed.js';
import { sendFailure } from '../http-errors.js';
import { validationFailure } from '../openapi/route-docs.js';

export const liveQuery = z.object({
  tz: timeZoneParam.describe('IANA time zone whose calendar day is "today" (default UTC); abbreviations such as IST are refused'),
});

const HEARTBEAT_MS = 15_000;
const KEY_RECHECK_MS = 5_000;

/**
 * `GET /api/v1/live`: Server-Sent Events. Every event is a full `snapshot` (see live-feed.ts) with
 * an `id:`, so a client reconnecting with `Last-Event-ID` simply gets the current snapshot at once
 * and carries on — there is no history to replay. Comments (`: heartbeat`) keep proxies from
 * closing an idle stream. The stream ends on shutdown (`closeAll`).
 */
export function registerLiveRoutes(
  app: FastifyInstance,
  deps: { feed: LiveFeed; audit: AuditLog; access: Pick<Access, 'isActive'>; keyRecheckMs?: number },
): { closeAll(): void } {
  const streams = new Set<() => void>();
  app.get(
    '/api/v1/live',
    {
      // A HEAD would open a stream with no body that never ends (and hold a feed subscription).
      exposeHeadRoute: false,
      config: {
        access: ['analyst', 'finance'],
        docs: {
          summary: 'Live tiles as Server-Sent Events: today’s GMV, transactions per minute, success rate, latest failures',
          description:
            'Each `snapshot` event carries the full state as JSON and an `id`; reconnect with `Last-Event-ID` to resume (the current snapshot is sent at once). Pushed every LIVE_INTERVAL_MS while at least one client listens.',
          tags: ['live'],
          query: liveQuery,
          responseContentType: 'text/event-stream',
        },
      },
    },
    async (request, reply) => {
      const q = liveQuery.safeParse(request.query);
      if (!q.success) return sendFailure(reply, validationFailure(q.error.issues, 'query'));
      // The latest failures are row-level payment detail: the connection is audited when it opens.
      deps.audit.record({
        keyId: request.access?.keyId ?? null,
        keyName: request.access?.keyName ?? null,
        role: request.access?.role ?? null,
        method: request.method,
        path: '/api/v1/live',
        query: request.url.split('?')[1] ?? null,
        status: 200,
        rows: null,
        requestId: request.id,
        ip: request.ip,
      });
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      const resumed = request.headers['last-event-id'];
      raw.write(
        `retry: 2000\n${typeof resumed === 'string' ? `: resuming after ${resumed.replace(/[\r\n]/g, '')}; a full snapshot follows\n` : ''}\n`,
      );
      const unsubscribe = deps.feed.subscribe(q.data.tz, (snapshot, id) => {
        raw.write(`id: ${id}\nevent: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
      });
      const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), HEARTBEAT_MS);
      // The key is checked when the stream opens; a revoked key also ends the streams it holds open.
      const keyId = request.access?.keyId;
      const recheck = setInterval(() => {
        if (keyId === undefined) return;
        deps.access.isActive(keyId).then(
          (active) => {
            if (active) return;
            raw.write(
              `event: error\ndata: ${JSON.stringify({ code: ErrorCode.API_KEY_INVALID, message: 'the API key of this stream was revoked' })}\n\n`,
            );
            close();
          },
          () => {},
        );
      }, deps.keyRecheckMs ?? KEY_RECHECK_MS);
      const close = () => {
        if (!streams.delete(close)) return;
        clearInterval(heartbeat);
        clearInterval(recheck);
        unsubscribe();
        if (!raw.writableEnded) raw.end();
      };
      streams.add(close);
      request.raw.on('close', close);
      raw.on('error', close);
    },
  );
  return {
    closeAll() {
      for (const close of [...streams]) close();
    },
  };
}
