import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DOCS_BASE, ErrorCode, type Failure, PayscopeError, httpStatusOf } from '../core/errors.js';

/** The one error body every route returns: `{error: {code, message, details?, request_id, docs}}`. */
export function sendFailure(reply: FastifyReply, f: Failure): FastifyReply {
  const status = httpStatusOf(f.code);
  // Every rejection is logged (README: "rejections and errors are always logged"), at warn so that
  // routes quietened to warn without LOG_REQUESTS keep it; INTERNAL was logged with its error.
  if (f.code !== ErrorCode.INTERNAL) {
    reply.request.log.warn(
      { code: f.code, status, method: reply.request.method, url: reply.request.url.split('?')[0] },
      'request rejected',
    );
  }
  return reply.code(status).send({
    error: {
      code: f.code,
      message: f.message,
      ...(f.details === undefined ? {} : { details: f.details }),
      request_id: reply.request.id,
      docs: `${DOCS_BASE}${f.code.toLowerCase()}`,
    },
  });
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ErrorCode.PAYLOAD_TOO_LARGE,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ErrorCode.MALFORMED_JSON,
  FST_ERR_CTP_EMPTY_JSON_BODY: ErrorCode.MALFORMED_JSON,
  FST_ERR_CTP_INVALID_JSON_BODY: ErrorCode.MALFORMED_JSON,
};

/** Maps thrown errors to the catalogue; anything unknown is masked and logged with the request id. */
export function installErrorHandlers(app: FastifyInstance, limits: { maxBodyBytes: number }): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof PayscopeError) return sendFailure(reply, { code: error.code, message: error.message, details: error.details });
    const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (mapped === ErrorCode.PAYLOAD_TOO_LARGE) {
      return sendFailure(reply, {
        code: mapped,
        message: `the body is larger than ${limits.maxBodyBytes} bytes; send one payment per request`,
      });
    }
    if (mapped === ErrorCode.UNSUPPORTED_MEDIA_TYPE) {
      return sendFailure(reply, {
        code: mapped,
        message: `content-type '${request.headers['content-type'] ?? ''}' is not accepted; send application/json`,
      });
    }
    if (mapped) return sendFailure(reply, { code: mapped, message: error.message });
    if (error.statusCode === 429) return sendFailure(reply, { code: ErrorCode.RATE_LIMITED, message: error.message });
    if (error.code === 'ECONNRESET') {
      // The connection closed while the body was arriving: the client gave up, or the request
      // timeout cut it off (then Node already answered 408). Nobody is left to answer.
      request.log.warn({ code: ErrorCode.REQUEST_TIMEOUT }, 'connection closed before the request body arrived');
      return sendFailure(reply, { code: ErrorCode.REQUEST_TIMEOUT, message: 'the connection closed before the request body arrived' });
    }
    if (error.validation) return sendFailure(reply, { code: ErrorCode.VALIDATION_FAILED, message: error.message });
    request.log.error({ err: error }, 'unhandled error');
    return sendFailure(reply, { code: ErrorCode.INTERNAL, message: 'internal error; quote the request_id when reporting it' });
  });
  // A path that exists with other methods answers 405 with `allow`, not 404. Wildcard routes (the
  // dashboard's `/*`) do not count, or every path would "exist" for GET.
  const routes: { pattern: RegExp; method: string }[] = [];
  app.addHook('onRoute', (route) => {
    if (route.url.includes('*')) return;
    const pattern = new RegExp(`^${route.url.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+')}$`);
    for (const method of [route.method].flat()) routes.push({ pattern, method: String(method) });
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = [...new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method))].sort();
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      reply.header('allow', allowed.join(', '));
      return sendFailure(reply, {
        code: ErrorCode.METHOD_NOT_ALLOWED,
        message: `${path} does not take ${request.method}; it takes ${allowed.join(', ')}`,
      });
    }
    return sendFailure(reply, { code: ErrorCode.NOT_FOUND, message: `no route ${request.method} ${path}` });
  });
}
