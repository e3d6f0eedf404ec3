import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Calls the running server's API (dead letters and merchants live with the process that owns the warehouse). */
export async function callServer(url: string, path: string, init?: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    const headers = new Headers(init?.headers);
    const key = apiKeyForServer();
    if (key && !headers.has('authorization')) headers.set('authorization', `Bearer ${key}`);
    res = await fetch(new URL(path, url), { ...init, headers });
  } catch (error) {
    throw new Error(`cannot reach Payscope at ${url} (${(error as Error).message}); start it, or pass --url`);
  }
  const body = (await res.json()) as { error?: { code: string; message: string } };
  if (!res.ok) throw new Error(`${body.error?.code ?? res.status}: ${body.error?.message ?? res.statusText}`);
  return body;
}

/** The API key for server calls: PAYSCOPE_API_KEY, else the embedded default's DATA_DIR/admin-api-key. */
function apiKeyForServer(): string | null {
  if (process.env.PAYSCOPE_API_KEY) return process.env.PAYSCOPE_API_KEY;
  try {
    return readFileSync(join(process.env.DATA_DIR ?? './data', 'admin-api-key'), 'utf8').trim();
  } catch {
    return null;
  }
}

/** The server to ask: PAYSCOPE_URL, else http://HOST:PORT. */
export const serverUrl = () => process.env.PAYSCOPE_URL ?? `http://${process.env.HOST ?? '127.0.0.1'}:${process.env.PORT ?? '3004'}`;
