import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ErrorCode, failure } from '../../core/errors.js';
import type { OperationalStore } from '../../store/store-port.js';
import { ACCESS_ROLES, apiKeyView, createApiKey, listApiKeys, revokeApiKey } from '../access/api-keys.js';
import { sendFailure } from '../http-errors.js';
import { validationFailure } from '../openapi/route-docs.js';

export const keyView = z.object({
  id: z.number().int(),
  name: z.string(),
  key_prefix: z.string().describe('The first 12 characters, to recognise a key; never the secret'),
  roles: z.array(z.enum(ACCESS_ROLES)),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});
const createBody = z
  .object({
    name: z.string().trim().min(1).max(200).describe('Who or what holds the key'),
    roles: z.array(z.enum(ACCESS_ROLES)).min(1).max(ACCESS_ROLES.length),
  })
  .strict();
export const createdResponse = keyView.extend({ key: z.string().describe('The secret: shown this once, only its SHA-256 is stored') });
const idParams = z.object({ id: z.coerce.number().int().positive().describe('The key id (GET /api/v1/keys)') });

const view = apiKeyView;

/**
 * `/api/v1/keys` (role admin): the same operations as `payscope keys create|list|revoke`, for a
 * store the CLI cannot open while the server runs (the embedded PGlite is held by one process).
 * The CLI falls back to these when the data directory is locked.
 */
export async function registerKeyRoutes(app: FastifyInstance, deps: { store: OperationalStore }): Promise<void> {
  app.get(
    '/api/v1/keys',
    {
      config: {
        access: ['admin'],
        docs: { summary: 'List API keys (never their secrets)', tags: ['access'], response: z.object({ items: z.array(keyView) }) },
      },
    },
    async () => ({ items: (await listApiKeys(deps.store)).map(view) }),
  );
  app.post(
    '/api/v1/keys',
    {
      config: {
        access: ['admin'],
        docs: {
          summary: 'Create an API key; the secret is in this answer only',
          tags: ['access'],
          body: createBody,
          status: 201,
          response: createdResponse,
        },
      },
    },
    async (request, reply) => {
      const body = createBody.safeParse(request.body ?? {});
      if (!body.success) return sendFailure(reply, validationFailure(body.error.issues, 'body'));
      const { key, apiKey } = await createApiKey(deps.store, { name: body.data.name, roles: [...new Set(body.data.roles)] });
      request.log.info({ key_id: apiKey.id, roles: apiKey.roles, by_key: request.access?.keyId }, 'api key created');
      return reply.code(201).send({ ...view(apiKey), key });
    },
  );
  app.delete(
    '/api/v1/keys/:id',
    {
      config: {
        access: ['admin'],
        docs: {
          summary: 'Revoke an API key (refused within 5 s everywhere)',
          tags: ['access'],
          params: idParams,
          response: keyView.pick({ id: true }),
        },
      },
    },
    async (request, reply) => {
      const params = idParams.safeParse(request.params);
      if (!params.success) return sendFailure(reply, validationFailure(params.error.issues, 'path'));
      if (!(await revokeApiKey(deps.store, params.data.id))) {
        return sendFailure(reply, failure(ErrorCode.NOT_FOUND, `no active API key ${params.data.id}; GET /api/v1/keys lists them`));
      }
      request.log.info({ key_id: params.data.id, by_key: request.access?.keyId }, 'api key revoked');
      return { id: params.data.id };
    },
  );
}
