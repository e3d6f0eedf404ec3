import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type Access, SESSION_COOKIE } from '../access/access-hook.js';

export const sessionResponse = z.object({
  key: z.object({ id: z.number().int(), name: z.string(), roles: z.array(z.enum(['ingest', 'analyst', 'finance', 'admin'])) }),
  via: z.enum(['api-key', 'session']),
  expires_at: z.string().nullable(),
});

/**
 * The browser's sign-in: `POST /api/v1/session` with `Authorization: Bearer psk_…` answers the
 * caller's identity and sets an HttpOnly, SameSite=Strict session cookie signed by the server, so
 * the dashboard (and `EventSource`, which cannot send headers) needs the key only once.
 * `GET` says who is signed in; `DELETE` signs out.
 */
export async function registerSessionRoutes(app: FastifyInstance, deps: { access: Access; secureCookies: boolean }): Promise<void> {
  app.post(
    '/api/v1/session',
    {
      config: {
        access: 'authenticated',
        docs: { summary: 'Sign in the browser: API key → session cookie', response: sessionResponse, tags: ['access'] },
      },
    },
    async (request, reply) => {
      const access = request.access as NonNullable<typeof request.access>;
      const { token, expiresAt } = await deps.access.mintSession(access.keyId);
      const maxAge = Math.floor((expiresAt.getTime() - Date.now()) / 1000);
      reply.header(
        'set-cookie',
        `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${deps.secureCookies ? '; Secure' : ''}`,
      );
      return { key: { id: access.keyId, name: access.keyName, roles: access.roles }, via: 'session', expires_at: expiresAt.toISOString() };
    },
  );
  app.get(
    '/api/v1/session',
    {
      config: {
        access: 'authenticated',
        docs: { summary: 'Who is calling (key name and roles)', response: sessionResponse, tags: ['access'] },
      },
    },
    async (request) => {
      const access = request.access as NonNullable<typeof request.access>;
      return { key: { id: access.keyId, name: access.keyName, roles: access.roles }, via: access.via, expires_at: null };
    },
  );
  app.delete(
    '/api/v1/session',
    {
      config: {
        access: 'public',
        docs: { summary: 'Sign out: ends the session (the token stops working everywhere) and clears the cookie', tags: ['access'] },
      },
    },
    async (request, reply) => {
      await deps.access.endSession(request.headers.cookie);
      reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
      return reply.code(204).send();
    },
  );
}
