import { type ServerSentEvent as StreamEvent, serverSentEvents } from '@edgefleet/api-client';
import { authHeaders } from './client';

/**
 * Follows a server-sent events stream with fetch, so the token travels in the Authorization
 * header (EventSource can send none, and a token in the URL would land in logs). Reconnects
 * with a growing delay, at most 10 s, until `signal` aborts; `onState` says live or reconnecting.
 */
export async function followEvents(
  path: string,
  onEvent: (event: StreamEvent) => void,
  onState: (state: 'live' | 'reconnecting' | 'ended') => void,
  signal: AbortSignal,
): Promise<void> {
  let delay = 500;
  while (!signal.aborted) {
    try {
      const response = await fetch(path, { headers: authHeaders({ accept: 'text/event-stream' }), signal });
      if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
      onState('live');
      delay = 500;
      let ended = false;
      await readEvents(response.body, (event) => {
        if (event.event === 'end') ended = true;
        onEvent(event);
      });
      if (ended) {
        onState('ended');
        return;
      }
    } catch {
      if (signal.aborted) return;
    }
    onState('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 10_000);
  }
}

async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (event: StreamEvent) => void): Promise<void> {
  for await (const event of serverSentEvents(body)) onEvent(event);
}
