import type { FastifyError, FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ErrorCode, PayscopeError, failure } from '../../core/errors.js';
import { MAX_SQL_LENGTH, type SqlSandbox } from '../../warehouse/sql-sandbox.js';
import { sendFailure } from '../http-errors.js';
import { validationFailure } from '../openapi/route-docs.js';

export const sqlRequest = z.strictObject({
  sql: z
    .string()
    .min(1)
    .max(MAX_SQL_LENGTH)
    .describe('One SELECT (or WITH … SELECT) over the views of GET /api/v1/sql/views; $1, $2… bind `params`.'),
  params: z
    .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .max(100)
    .default([])
    .describe('Values for $1, $2…'),
  limit: z.number().int().min(1).optional().describe('Most rows to return (capped by SQL_MAX_ROWS); `truncated` says when more existed.'),
});

export const sqlResponse = z.object({
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.array(z.unknown())).describe('Rows as arrays in column order; integers beyond 2^53 as strings, times as ISO 8601'),
  row_count: z.number().int(),
  truncated: z.boolean(),
  limit: z.number().int(),
  masked: z
    .boolean()
    .describe('Personal (*_hash) columns read NULL and JSON columns lack personal fields (email, phone…): true unless the key is admin'),
  elapsed_ms: z.number(),
});

export const sqlViewsResponse = z.object({
  views: z.array(
    z.object({
      name: z.string(),
      description: z.string(),
      columns: z.array(z.object({ name: z.string(), type: z.string(), personal: z.boolean() })),
    }),
  ),
  allowed_table_functions: z.array(z.string()),
  limits: z.object({ timeout_ms: z.number().int(), max_rows: z.number().int() }),
});

/**
 * The SQL route's body limit: a statement of MAX_SQL_LENGTH characters, even if JSON escapes
 * every one (`\uXXXX`, 6 bytes), plus its parameters. The server's default is sized for one
 * webhook (64 KiB) and would refuse long statements the API documents.
 */
export const SQL_MAX_BODY_BYTES = 1024 * 1024;

/**
 * `POST /api/v1/sql`: read-only SQL over the documented views (src/warehouse/sql-sandbox.ts);
 * every call is audited with its row count. `GET /api/v1/sql/views`: the catalogue.
 */
export async function registerSqlRoutes(
  app: FastifyInstance,
  deps: { sandbox: SqlSandbox; timeoutMs: number; maxRows: number; allowedTableFunctions: readonly string[] },
): Promise<void> {
  // This route's limit differs from the webhooks': say so in the message.
  app.setErrorHandler((error: FastifyError) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      throw new PayscopeError(
        failure(
          ErrorCode.PAYLOAD_TOO_LARGE,
          `the body is larger than ${SQL_MAX_BODY_BYTES} bytes; a SQL statement may have at most ${MAX_SQL_LENGTH} characters`,
        ),
      );
    }
    throw error; // the server's handler maps the rest
  });
  app.post(
    '/api/v1/sql',
    {
      bodyLimit: SQL_MAX_BODY_BYTES,
      config: {
        access: ['analyst'],
        audit: true,
        docs: {
          summary: 'Run a read-only SQL query over the documented warehouse views',
          tags: ['sql'],
          body: sqlRequest,
          response: sqlResponse,
        },
      },
    },
    async (request, reply) => {
      const body = sqlRequest.safeParse(request.body);
      if (!body.success) return sendFailure(reply, validationFailure(body.error.issues, 'body'));
      const outcome = await deps.sandbox.run({
        sql: body.data.sql,
        params: body.data.params,
        ...(body.data.limit ? { limit: body.data.limit } : {}),
        personal: request.access?.roles.includes('admin') ?? false,
      });
      if (!outcome.ok) {
        request.auditRows = 0;
        if (outcome.reason === 'busy') {
          reply.header('retry-after', String(outcome.retryAfterSeconds));
          return sendFailure(reply, failure(ErrorCode.SQL_BUSY, outcome.message));
        }
        const code =
          outcome.reason === 'not_allowed'
            ? ErrorCode.SQL_NOT_ALLOWED
            : outcome.reason === 'timeout'
              ? ErrorCode.SQL_TIMEOUT
              : ErrorCode.SQL_INVALID;
        return sendFailure(reply, failure(code, outcome.message));
      }
      request.auditRows = outcome.row_count;
      const { ok: _ok, ...result } = outcome;
      return result;
    },
  );

  app.get(
    '/api/v1/sql/views',
    {
      config: {
        access: ['analyst'],
        docs: { summary: 'The views (and their columns) the read-only SQL API may read', tags: ['sql'], response: sqlViewsResponse },
      },
    },
    async () => ({
      views: deps.sandbox.views().map((v) => ({ name: v.name, description: v.description, columns: v.columns })),
      allowed_table_functions: [...deps.allowedTableFunctions],
      limits: { timeout_ms: deps.timeoutMs, max_rows: deps.maxRows },
    }),
  );
}
