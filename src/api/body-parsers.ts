import type { FastifyError, FastifyInstance } from 'fastify';
import { PayscopeError } from '../core/errors.js';
import { decodeUtf8, findJsonProblem, jsonProblemFailure } from '../core/text.js';

/**
 * Body parsers that read the raw bytes and refuse invalid UTF-8 (400 INVALID_UTF8) instead of
 * letting Node's decoder turn it into U+FFFD. Routes that must see the raw bytes (webhook
 * signatures) or have their own limits (events) add their own parsers with `decodeUtf8`.
 */

/** The body as UTF-8 text, or a thrown INVALID_UTF8 (for a content-type parser's `done`). */
export function utf8BodyOf(body: Buffer | string, what = 'the body'): string {
  if (typeof body === 'string') return body;
  const text = decodeUtf8(body, what);
  if (!text.ok) throw new PayscopeError(text.error);
  return text.value;
}

/**
 * Replaces the default `application/json` parser of `app` (inherited by every scope that keeps
 * it): strict UTF-8, then Fastify's own JSON parser (prototype-poisoning checks included), then no
 * text PostgreSQL cannot hold (422 INVALID_TEXT) and no nesting past MAX_JSON_DEPTH (422
 * NESTING_TOO_DEEP).
 */
export function installStrictJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = utf8BodyOf(body);
    } catch (error) {
      done(error as FastifyError, undefined);
      return;
    }
    parseJson(request, text, (error, value) => {
      if (error) return done(error, undefined);
      const problem = findJsonProblem(value);
      if (problem !== null) return done(new PayscopeError(jsonProblemFailure(problem)) as unknown as FastifyError, undefined);
      done(null, value);
    });
  });
}

/** Adds a `text/csv` parser to `app` that refuses a CSV that is not UTF-8 (400 INVALID_UTF8). */
export function addStrictCsvParser(app: FastifyInstance, options: { bodyLimit?: number } = {}): void {
  app.addContentTypeParser('text/csv', { parseAs: 'buffer', ...options }, (_request, body, done) => {
    try {
      done(null, utf8BodyOf(body, 'the CSV'));
    } catch (error) {
      done(error as FastifyError, undefined);
    }
  });
}
