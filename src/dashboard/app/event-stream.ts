import { errorOf, type Api } from './api.js';
import type { Envelope } from './types.js';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'unauthorized' | 'forbidden';

/** The server writes a keep-alive every 15 s: this long without a byte means the connection is dead. */
const SILENCE_MS = 35_000;
/** Event ids remembered, so that what a resume repeats (a cluster replays a few seconds before the resume id) shows once. */
const REMEMBERED_IDS = 5_000;

export interface StreamHandlers {
  onEvent: (envelope: Envelope) => void;
  onState: (state: StreamState) => void;
  /** The server could not resume after the last event (an id it refuses): what was missed must be read again. */
  onReset: () => void;
}

/**
 * GET /api/v1/events/stream read with fetch rather than EventSource, so the key travels in the x-api-key header and
 * never in a URL. On a break it reconnects with Last-Event-ID: the server replays what was missed, so nothing shown
 * is lost. Returns the function that closes it.
 */
export function openEventStream(api: Api, handlers: StreamHandlers): () => void {
  const closed = new AbortController();
  let lastId: string | undefined;
  let delayMs = 500;
  const seen = new Set<string>();

  const connectOnce = async (): Promise<'stop' | 'again'> => {
    const attempt = new AbortController();
    const abort = () => attempt.abort();
    closed.signal.addEventListener('abort', abort);
    let watchdog = setTimeout(abort, SILENCE_MS);
    const heard = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(abort, SILENCE_MS);
    };
    try {
      const response = await fetch('/api/v1/events/stream', {
        headers: api.headers(lastId === undefined ? {} : { 'last-event-id': lastId }),
        signal: attempt.signal,
      });
      if (response.status === 401 || response.status === 403) {
        handlers.onState(response.status === 401 ? 'unauthorized' : 'forbidden');
        await errorOf(response, () => api.onUnauthorized());
        return 'stop';
      }
      if (response.status === 400 && lastId !== undefined) {
        lastId = undefined;
        handlers.onReset();
        return 'again';
      }
      if (!response.ok || !response.body) return 'again';
      handlers.onState('live');
      delayMs = 500;
      for await (const frame of frames(response.body, heard)) {
        const envelope = parseFrame(frame);
        if (!envelope) continue;
        // resume after the newest id seen: a repeated or late (another instance's) event must not move it back
        if (lastId === undefined || envelope.id > lastId) lastId = envelope.id;
        if (seen.has(envelope.id)) continue;
        seen.add(envelope.id);
        // a Set iterates in insertion order: the first is the oldest
        if (seen.size > REMEMBERED_IDS) seen.delete(seen.values().next().value!);
        handlers.onEvent(envelope);
      }
      return 'again';
    } catch {
      return 'again';
    } finally {
      clearTimeout(watchdog);
      closed.signal.removeEventListener('abort', abort);
    }
  };

  const run = async (): Promise<void> => {
    while (!closed.signal.aborted) {
      handlers.onState(lastId === undefined ? 'connecting' : 'reconnecting');
      if ((await connectOnce()) === 'stop' || closed.signal.aborted) return;
      handlers.onState('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, 10_000);
    }
  };
  void run();
  return () => closed.abort();
}

/** The stream cut into frames (blank-line separated); `heard` is called for every chunk, keep-alives included. */
async function* frames(body: ReadableStream<Uint8Array>, heard: () => void): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    heard();
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      yield buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
    }
  }
}

function parseFrame(frame: string): Envelope | undefined {
  const data = frame
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).replace(/^ /, ''))
    .join('\n');
  if (data === '') return undefined; // a comment (keep-alive)
  try {
    return JSON.parse(data) as Envelope;
  } catch {
    return undefined;
  }
}
