import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ErrorCode, type Failure, failure } from '../../core/errors.js';
import { type AccessRule, describeRule } from '../access/access-rules.js';

/**
 * What a route tells the OpenAPI document, declared beside it in `config.docs`. The zod schemas
 * are the ones the handler validates with, so the document cannot drift from the validation:
 *
 * @example
 * const query = z.object({ days: z.coerce.number().int().min(1).default(7) });
 * app.get('/api/v1/data-quality', { config: { docs: { summary: 'Ledger vs warehouse', query } } }, async (req, reply) => {
 *   const q = query.safeParse(req.query); …
 * });
 */
export interface RouteDocs {
  summary: string;
  description?: string;
  tags?: string[];
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Content types of the body (default application/json). */
  bodyContentTypes?: string[];
  /** The 2xx body. */
  response?: z.ZodType;
  /** Status of a success (default 200). */
  status?: number;
  /** Other success statuses with the same body, e.g. 200 for a duplicate beside 201 created. */
  alsoStatus?: { status: number; description: string }[];
  /** Content type of the success (default application/json), e.g. `text/event-stream`. */
  responseContentType?: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    docs?: RouteDocs;
  }
}

/** The standard 422 for zod issues, `details.issues` listing each field. */
export function validationFailure(issues: readonly z.core.$ZodIssue[], where: string): Failure {
  const list = issues.map((i) => ({ field: i.path.join('.') || where, message: i.message }));
  return failure(ErrorCode.VALIDATION_FAILED, list.map((i) => `${i.field}: ${i.message}`).join('; '), { issues: list });
}

interface CollectedRoute {
  method: string;
  url: string;
  docs: RouteDocs | undefined;
  access: AccessRule | undefined;
  /** A Fastify JSON `schema` the route declared instead, if any. */
  schema: Record<string, unknown> | undefined;
}

type JsonSchema = Record<string, unknown>;

/**
 * Collects every route registered after this call (an `onRoute` hook) and builds an OpenAPI 3.1
 * document from them on demand: a route with `config.docs` contributes its zod schemas; any other
 * route still appears with its path, method and access.
 */
export function collectOpenApi(app: FastifyInstance, info: { title: string; version: string; description: string }) {
  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', (route) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).map(String);
    for (const method of methods) {
      // The document is the API's: the dashboard's SPA routes (`/`, `/*`, `/assets/*`) and the
      // docs pages themselves are not in it.
      if (method === 'HEAD' || !isApiPath(route.url)) continue;
      routes.push({
        method: method.toLowerCase(),
        url: route.url,
        docs: route.config?.docs,
        access: route.config?.access,
        schema: route.schema as JsonSchema | undefined,
      });
    }
  });
  let built: Record<string, unknown> | null = null;
  return {
    document(): Record<string, unknown> {
      built ??= buildDocument(routes, info);
      return built;
    },
  };
}

function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete out.$schema;
  return out;
}

const errorBody: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'request_id', 'docs'],
      properties: {
        code: { type: 'string', enum: Object.values(ErrorCode) },
        message: { type: 'string' },
        details: {},
        request_id: { type: 'string' },
        docs: { type: 'string' },
      },
    },
  },
};

function buildDocument(routes: readonly CollectedRoute[], info: { title: string; version: string; description: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const docs = route.docs;
    const parameters: JsonSchema[] = [];
    const pathParams = [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] as string);
    const paramSchema = docs?.params ? jsonSchemaOf(docs.params, 'input') : (route.schema?.params as JsonSchema | undefined);
    for (const name of pathParams) {
      const schema = ((paramSchema?.properties as Record<string, JsonSchema> | undefined)?.[name] ?? { type: 'string' }) as JsonSchema;
      parameters.push({ name, in: 'path', required: true, schema });
    }
    const querySchema = docs?.query ? jsonSchemaOf(docs.query, 'input') : (route.schema?.querystring as JsonSchema | undefined);
    const required = new Set((querySchema?.required as string[] | undefined) ?? []);
    for (const [name, schema] of Object.entries((querySchema?.properties as Record<string, JsonSchema> | undefined) ?? {})) {
      const { description, ...rest } = schema;
      parameters.push({ name, in: 'query', required: required.has(name), schema: rest, ...(description ? { description } : {}) });
    }
    const bodySchema = docs?.body ? jsonSchemaOf(docs.body, 'input') : (route.schema?.body as JsonSchema | undefined);
    const access = route.access ?? 'public';
    const status = String(docs?.status ?? (route.method === 'delete' ? 204 : 200));
    const success: JsonSchema = { description: 'success' };
    if (status !== '204') {
      const schema = docs?.response ? jsonSchemaOf(docs.response, 'output') : {};
      success.content = { [docs?.responseContentType ?? 'application/json']: { schema } };
    }
    const responses: Record<string, unknown> = { [status]: success };
    for (const also of docs?.alsoStatus ?? []) responses[String(also.status)] = { ...success, description: also.description };
    if (bodySchema || querySchema || pathParams.length > 0) responses['422'] = errorResponse('invalid request (VALIDATION_FAILED …)');
    if (access !== 'public') {
      responses['401'] = errorResponse('API_KEY_MISSING or API_KEY_INVALID');
      if (access !== 'authenticated') responses['403'] = errorResponse('ROLE_FORBIDDEN');
    }
    responses.default = errorResponse('any other error of the catalogue at /docs/errors');
    const operation: Record<string, unknown> = {
      operationId: `${route.method}${path.replace(/[{}]/g, '').replace(/(^|[/_-])(\w)/g, (_m, _s, c: string) => c.toUpperCase())}`,
      summary: docs?.summary ?? `${route.method.toUpperCase()} ${route.url}`,
      description: [docs?.description, `Access: ${describeRule(access)}.`].filter(Boolean).join('\n\n'),
      tags: docs?.tags ?? [tagOf(route.url)],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(bodySchema
        ? {
            requestBody: {
              required: true,
              content: Object.fromEntries((docs?.bodyContentTypes ?? ['application/json']).map((t) => [t, { schema: bodySchema }])),
            },
          }
        : {}),
      responses,
      security: access === 'public' ? [] : [{ bearerAuth: [] }, { apiKeyHeader: [] }, { sessionCookie: [] }],
      'x-payscope-access': access,
    };
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[route.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info,
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      schemas: { Error: errorBody },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key: Authorization: Bearer psk_…' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'payscope_session', description: 'Set by POST /api/v1/session' },
      },
    },
  };
}

function errorResponse(description: string) {
  return { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
}

/** Paths the OpenAPI document lists: the API, health and metrics. */
export function isApiPath(url: string): boolean {
  return url.startsWith('/api/') || url === '/health' || url === '/metrics';
}

function tagOf(url: string): string {
  const parts = url.split('/').filter(Boolean);
  return parts[0] === 'api' ? (parts[2] ?? 'api') : (parts[0] ?? 'root');
}
