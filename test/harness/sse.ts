/** Server-Sent Events over a streaming `fetch` response, for the live-feed tests. */

export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

/**
 * Reads SSE events from a streaming fetch until `count` events with data arrived (or the stream
 * ended, or `timeoutMs` passed), then cancels the stream. Comment lines (`: …`) are collected apart.
 */
export async function readEvents(res: Response, count: number, timeoutMs = 8000): Promise<{ events: SseEvent[]; comments: string[] }> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  while (events.length < count && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut = buffer.indexOf('\n\n');
    while (cut >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event: SseEvent = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) comments.push(line.slice(1).trim());
        else {
          const [field, ...rest] = line.split(':');
          const value = rest.join(':').replace(/^ /, '');
          if (field === 'id' || field === 'event' || field === 'data') event[field] = value;
        }
      }
      if (event.data !== undefined) events.push(event);
      cut = buffer.indexOf('\n\n');
    }
  }
  await reader.cancel();
  // One read can carry more events than asked for (a stream left unread buffers them): the first `count`.
  return { events: events.slice(0, count), comments };
}
