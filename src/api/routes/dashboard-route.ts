import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyError, FastifyInstance } from 'fastify';
import { ErrorCode, failure } from '../../core/errors.js';
import { sendFailure } from '../http-errors.js';

/**
 * The dashboard (`web/`, built by Vite into `dist/web`) at `/`: hashed files under `/assets/` with
 * a year-long immutable cache, and `index.html` (never cached) for `/` and every client route —
 * any GET that is not an API, monitoring or docs path and has no file extension. Everything else
 * falls through to the JSON 404.
 */
export interface DashboardRouteDeps {
  /** Directory holding `index.html` and `assets/`; default: `dist/web` of this package. */
  dir?: string;
}

/** Paths the SPA fallback never answers: they belong to the server (or are missing files). */
const SERVER_PATHS = /^\/(api|health|metrics|docs|documentation|openapi)(\/|$|\?)|^\/[^?]*\.[a-z0-9]+($|\?)/i;

/** `dist/web` next to this package's package.json, found from this file in `src/` or `dist/`. */
export function defaultDashboardDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'web');
    dir = dirname(dir);
  }
  return join(process.cwd(), 'dist', 'web');
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Payscope</title></head>
<body style="font-family: system-ui, sans-serif; margin: 3rem; color: #1f2937">
<h1>Payscope</h1><p>The dashboard has not been built. Run <code>npm run build</code> (or <code>npm run build:web</code>) and reload.</p>
<p>The API is up: <a href="/health">/health</a>.</p></body></html>`;

export async function registerDashboardRoutes(app: FastifyInstance, deps: DashboardRouteDeps = {}): Promise<void> {
  const dir = deps.dir ?? defaultDashboardDir();
  const indexPath = join(dir, 'index.html');
  const assets = join(dir, 'assets');
  // @fastify/send refuses `..`, encoded dots, NUL bytes and directories with a 400/403: to a
  // caller that is just a file the dashboard does not have (404), not a server error.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return sendFailure(reply, failure(ErrorCode.NOT_FOUND, `no route ${request.method} ${request.url.split('?')[0]}`));
    }
    throw error; // the server's handler maps the rest
  });
  if (existsSync(assets)) {
    await app.register(fastifyStatic, {
      root: assets,
      prefix: '/assets/',
      index: false,
      wildcard: true,
      // Vite never emits dot files; one that lands in assets/ (`.env`, `.git`) is not for the web.
      dotfiles: 'ignore',
      // Vite puts a content hash in every asset name: a changed file is a new URL.
      immutable: true,
      maxAge: '365d',
      logLevel: 'warn',
    });
  }

  // Read per request (a few KB): a rebuild while the server runs is picked up without a restart.
  const sendIndex = async (_request: unknown, reply: import('fastify').FastifyReply) => {
    const html = await readFile(indexPath, 'utf8').catch(() => null);
    return reply
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .type('text/html; charset=utf-8')
      .status(html === null ? 503 : 200)
      .send(html ?? NOT_BUILT);
  };
  app.get('/', { logLevel: 'warn' }, sendIndex);
  app.get('/*', { logLevel: 'warn' }, async (request, reply) => {
    if (SERVER_PATHS.test(request.url)) return reply.callNotFound();
    return sendIndex(request, reply);
  });
}
