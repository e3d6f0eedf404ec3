/**
 * The dashboard's API client: every call carries the API key (`Authorization: Bearer psk_…`) and
 * every failure becomes an `ApiError` holding the server's `{error: {code, message}}`.
 *
 * The key arrives in the URL fragment (`/#key=psk_…`, never sent to a server or logged), is kept
 * in sessionStorage for the tab's life and removed from the address bar at once.
 */

const KEY_STORAGE = 'payscope.apiKey';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null = null,
  ) {
    super(message);
  }
}

/**
 * Takes `#key=…` from the address bar into sessionStorage (and out of the address bar). Returns
 * the sign-in in flight, or null when the fragment holds no key. Called at start and on every
 * `hashchange`/`popstate`, so a sign-in link pasted into an open tab works without a reload.
 */
export function captureKeyFromFragment(): Promise<void> | null {
  const hash = window.location.hash.replace(/^#/, '');
  if (!hash) return null;
  const params = new URLSearchParams(hash);
  const key = params.get('key');
  if (!key) return null;
  sessionStorage.setItem(KEY_STORAGE, key);
  params.delete('key');
  const rest = params.toString();
  window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}${rest ? `#${rest}` : ''}`);
  // Also sign the browser in (HttpOnly session cookie, src/api/routes/session-route.ts) so a
  // reload or a new tab works without the key; requests keep sending the key while this tab has it.
  return fetch('/api/v1/session', { method: 'POST', headers: { authorization: `Bearer ${key}` } }).then(
    () => undefined,
    () => undefined,
  );
}

export function apiKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

/** Forgets the tab's key and signs the browser out (clears the session cookie). */
export async function signOut(): Promise<void> {
  sessionStorage.removeItem(KEY_STORAGE);
  await fetch('/api/v1/session', { method: 'DELETE' }).catch(() => {});
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = apiKey();
  return { accept: 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...extra };
}

async function toApiError(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; request_id?: string } };
    if (body.error?.code)
      return new ApiError(res.status, body.error.code, body.error.message ?? res.statusText, body.error.request_id ?? null);
  } catch {
    // not JSON: fall through
  }
  return new ApiError(res.status, `HTTP_${res.status}`, text.slice(0, 200) || res.statusText || 'request failed');
}

export type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export async function getJson<T>(path: string, query: Query = {}, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(withQuery(path, query), { headers: headers(), ...(signal ? { signal } : {}) });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'NETWORK_ERROR', `The server could not be reached (${(error as Error).message}).`);
  }
  if (!res.ok) throw await toApiError(res);
  return (await res.json()) as T;
}

export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

/**
 * Server-Sent Events over fetch (an EventSource cannot send the Authorization header): parses the
 * stream, reconnects after a drop with `Last-Event-ID`, and reports errors without giving up.
 * Returns a function that closes the stream.
 */
export function subscribe(
  path: string,
  handlers: { onMessage(m: SseMessage): void; onError(e: ApiError): void; onOpen?(): void },
  options: { retryMs?: number } = {},
): () => void {
  const controller = new AbortController();
  let lastEventId: string | null = null;
  let retryMs = options.retryMs ?? 2000;
  let stopped = false;

  const run = async () => {
    while (!stopped) {
      try {
        const res = await fetch(path, {
          headers: headers({ accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) }),
          signal: controller.signal,
          cache: 'no-store',
        });
        if (!res.ok || !res.body) {
          const error = await toApiError(res);
          handlers.onError(error);
          // Authentication and missing endpoints do not fix themselves quickly: back off further.
          if (res.status === 401 || res.status === 403 || res.status === 404) await sleep(retryMs * 5, controller.signal);
          else await sleep(retryMs, controller.signal);
          continue;
        }
        handlers.onOpen?.();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let boundary = buffer.search(/\r?\n\r?\n/);
          while (boundary >= 0) {
            const block = buffer.slice(0, boundary);
            buffer = buffer.slice(boundary).replace(/^\r?\n\r?\n/, '');
            const message = parseBlock(block);
            if (message.retry !== null) retryMs = message.retry;
            if (message.id !== null) lastEventId = message.id;
            if (message.data !== null) handlers.onMessage({ id: message.id, event: message.event, data: message.data });
            boundary = buffer.search(/\r?\n\r?\n/);
          }
        }
        if (!stopped) handlers.onError(new ApiError(0, 'STREAM_CLOSED', 'The live feed closed; reconnecting…'));
      } catch (error) {
        if (stopped) return;
        handlers.onError(new ApiError(0, 'NETWORK_ERROR', `The live feed dropped (${(error as Error).message}); reconnecting…`));
      }
      await sleep(retryMs, controller.signal).catch(() => {});
    }
  };
  void run();
  return () => {
    stopped = true;
    controller.abort();
  };
}

function parseBlock(block: string): { id: string | null; event: string; data: string | null; retry: number | null } {
  let id: string | null = null;
  let event = 'message';
  const data: string[] = [];
  let retry: number | null = null;
  for (const line of block.split(/\r?\n/)) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id') id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
  }
  return { id, event, data: data.length > 0 ? data.join('\n') : null, retry };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
