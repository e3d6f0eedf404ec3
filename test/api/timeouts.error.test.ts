import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../harness/app.js';

/**
 * Slow clients: a request whose headers or body trickle in (a byte at a time, as a slow-loris
 * attacker sends them) is cut off with 408 REQUEST_TIMEOUT and its connection closed, while a
 * Server-Sent Events stream, whose request was complete at once, stays open. The app runs with
 * small timeouts; assertions are about what the server does and in which order, never how long
 * it took.
 */

interface SlowResult {
  /** Everything the server sent before it closed the connection. */
  response: string;
  /** Bytes the client had sent of the trickle when the server closed the connection. */
  trickled: number;
}

/**
 * Opens a raw TCP connection, writes `head` at once, then one byte of `trickle` (repeated) every
 * `everyMs`, until the server closes the connection. Never ends by itself: a server without
 * timeouts fails the test by the test's own timeout.
 */
function slowRequest(url: string, head: string, trickle = 'a', everyMs = 50): Promise<SlowResult> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let trickled = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      if (head) socket.write(head);
      if (trickle === '') return;
      timer = setInterval(() => {
        if (socket.writable) socket.write(trickle[trickled++ % trickle.length] as string);
      }, everyMs);
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {}); // the server's reset after its answer; 'close' follows
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ response: Buffer.concat(chunks).toString('utf8'), trickled });
    });
    // A plain timer, not socket.setTimeout: the trickle itself keeps the socket from being idle.
    const guard = setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      reject(new Error('the server held a slow connection open'));
    }, 50_000);
    socket.on('close', () => clearTimeout(guard));
  });
}

const webhookHead = (contentLength: number) =>
  `POST /api/v1/payments/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${contentLength}\r\n\r\n`;

function expectRequestTimeout(result: SlowResult) {
  expect(result.response).toMatch(/^HTTP\/1\.1 408 /);
  const body = JSON.parse(result.response.slice(result.response.indexOf('\r\n\r\n') + 4)) as { error: Record<string, unknown> };
  expect(body.error).toMatchObject({ code: 'REQUEST_TIMEOUT', docs: '/docs/errors#request_timeout', request_id: expect.any(String) });
}

describe('slow clients (errors)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { HTTP_HEADERS_TIMEOUT_MS: '300', HTTP_REQUEST_TIMEOUT_MS: '800', LIVE_INTERVAL_MS: '100' });
  });
  afterAll(() => t?.stop());

  it('answers 408 REQUEST_TIMEOUT and closes a connection whose headers trickle in a byte at a time', async () => {
    const result = await slowRequest(t.url, 'POST /api/v1/payments/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', 'a');
    expectRequestTimeout(result);
  });

  it('answers 408 REQUEST_TIMEOUT and closes a connection whose body never completes', async () => {
    const result = await slowRequest(t.url, webhookHead(60_000), '{"reference_number":"SLOW"');
    expectRequestTimeout(result);
    expect(result.trickled).toBeLessThan(60_000);
  });

  it('closes a connection that opens and sends nothing', async () => {
    const result = await slowRequest(t.url, '', '');
    expect(result.response === '' || /^HTTP\/1\.1 408 /.test(result.response)).toBe(true);
  });

  it('cuts off 100 slow connections at once and still answers a normal request', async () => {
    const slow = Array.from({ length: 100 }, (_, i) => slowRequest(t.url, webhookHead(10_000), `{"n":${i}`, 100));
    const health = await fetch(`${t.url}/health`);
    expect([200, 503]).toContain(health.status);
    for (const result of await Promise.all(slow)) expectRequestTimeout(result);
  });

  it('keeps a live SSE stream open after a request that started later was cut off by the request timeout', async () => {
    const res = await fetch(`${t.url}/api/v1/live`, { headers: t.auth });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let received = '';
    const nextSnapshot = async () => {
      const start = received.split('event: snapshot').length;
      while (received.split('event: snapshot').length <= start) {
        const { value, done } = await reader.read();
        if (done) throw new Error('the live stream ended');
        received += decoder.decode(value, { stream: true });
      }
    };
    await nextSnapshot();
    // Started after the stream was open; it is cut off only after HTTP_REQUEST_TIMEOUT_MS.
    expectRequestTimeout(await slowRequest(t.url, webhookHead(10_000), '{', 50));
    await nextSnapshot();
    await nextSnapshot();
    await reader.cancel();
  });
});
