import type { ServerResponse } from 'node:http';
import type { Logger } from '../shared/logger.js';
import { describeError } from '../shared/errors.js';
import type { EventEnvelope, EventType } from './event-envelope.js';
import type { Backlog } from './event-backlog.js';

export type SubscribeOutcome = 'live' | 'closed';

interface Subscriber {
  response: ServerResponse;
  session?: string;
  /** Only these sessions' events (a scoped key's); every session's when undefined. */
  sessions?: ReadonlySet<string>;
  /** Without QR and pairing codes (a key that may not link the session). */
  withoutCodes?: boolean;
  /** The scoped key it was opened with: revoking the key ends the stream. */
  keyId?: string;
  events?: ReadonlySet<EventType>;
  gone: boolean;
}

const HEARTBEAT_MS = 15_000;
/** --stream-max-buffered-bytes: what a live subscriber that stopped reading may hold in the server's memory. */
export const DEFAULT_STREAM_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** The live stream (Server-Sent Events): each subscriber gets the envelopes it asked for, as they are logged. */
export class EventStream {
  private readonly subscribers = new Set<Subscriber>();
  /** Subscribers still being sent their backlog: live publishes skip them (they will read those from the log). */
  private readonly catchingUp = new Set<Subscriber>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly logger?: Logger,
    private readonly maxBufferedBytes = DEFAULT_STREAM_MAX_BUFFERED_BYTES,
  ) {
    // comments keep proxies from closing an idle stream
    this.heartbeat = setInterval(() => this.writeAll(': keep-alive\n\n'), HEARTBEAT_MS).unref();
  }

  /**
   * Starts the stream. With a backlog, its pages are sent first (waiting for 'drain' when the client is slow), then
   * the subscriber goes live. Resolves 'live' once it is, or 'closed' if the client left (or the backlog could not
   * be read) before that; never rejects.
   */
  subscribe(
    response: ServerResponse,
    filter: { session?: string; events?: EventType[]; sessions?: ReadonlySet<string>; withoutCodes?: boolean; keyId?: string },
    backlog?: Backlog,
  ): Promise<SubscribeOutcome> {
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write(': connected\n\n');
    const subscriber: Subscriber = {
      response,
      session: filter.session,
      sessions: filter.sessions,
      withoutCodes: filter.withoutCodes,
      keyId: filter.keyId,
      events: filter.events && filter.events.length > 0 ? new Set(filter.events) : undefined,
      gone: false,
    };
    response.on('close', () => {
      subscriber.gone = true;
      this.subscribers.delete(subscriber);
      this.catchingUp.delete(subscriber);
    });
    if (!backlog) {
      this.subscribers.add(subscriber);
      return Promise.resolve('live');
    }
    this.catchingUp.add(subscriber);
    return this.catchUp(subscriber, backlog);
  }

  publish(envelope: EventEnvelope): void {
    const frame = format(envelope);
    for (const subscriber of this.subscribers) {
      if (!matches(subscriber, envelope)) continue;
      subscriber.response.write(frame);
      this.dropIfStalled(subscriber);
    }
  }

  /** Live subscribers (not those still catching up). */
  get size(): number {
    return this.subscribers.size;
  }

  /** Ends the streams opened with this key (it was revoked): they reconnect, and are refused. */
  closeForKey(keyId: string): void {
    for (const subscriber of [...this.subscribers, ...this.catchingUp]) {
      if (subscriber.keyId !== keyId) continue;
      subscriber.gone = true;
      this.subscribers.delete(subscriber);
      this.catchingUp.delete(subscriber);
      subscriber.response.end();
    }
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const subscriber of [...this.subscribers, ...this.catchingUp]) {
      subscriber.gone = true;
      subscriber.response.end();
    }
    this.subscribers.clear();
    this.catchingUp.clear();
  }

  private async catchUp(subscriber: Subscriber, backlog: Backlog): Promise<SubscribeOutcome> {
    const { response } = subscriber;
    for (;;) {
      if (subscriber.gone || response.destroyed) return 'closed';
      let page: EventEnvelope[];
      try {
        const next = backlog.nextPage();
        if (Array.isArray(next)) {
          if (next.length === 0) {
            // no await between the empty read and joining: nothing can be appended and published in between
            this.catchingUp.delete(subscriber);
            this.subscribers.add(subscriber);
            return 'live';
          }
          page = next;
        } else {
          // read elsewhere (another instance's sessions): an empty page only means "ask again"
          page = await next;
          if (subscriber.gone || response.destroyed) return 'closed';
          if (page.length === 0) continue;
        }
      } catch (error) {
        // the client reconnects with its Last-Event-ID and resumes from there
        this.logger?.error('could not read the live stream backlog', { session: subscriber.session, error: describeError(error) });
        this.catchingUp.delete(subscriber);
        subscriber.gone = true;
        response.end();
        return 'closed';
      }
      let writable = true;
      for (const envelope of page) {
        if (matches(subscriber, envelope)) writable = response.write(format(envelope)) && writable;
      }
      // a slow client holds up its own catch-up, not the server's memory; otherwise let other work run between pages
      await (writable ? nextTurn() : drainedOrClosed(response));
    }
  }

  private writeAll(text: string): void {
    for (const subscriber of this.subscribers) {
      subscriber.response.write(text);
      this.dropIfStalled(subscriber);
    }
  }

  /**
   * A client that stopped reading while keeping its connection open would have every event buffered for it until it
   * closed. Past the limit its connection is cut instead: it reconnects with Last-Event-ID and reads the rest from
   * the log, so nothing is lost.
   */
  private dropIfStalled(subscriber: Subscriber): void {
    if (subscriber.response.writableLength <= this.maxBufferedBytes) return;
    this.logger?.warn('live stream client stopped reading: disconnected, it resumes from its Last-Event-ID', {
      session: subscriber.session,
      bufferedBytes: subscriber.response.writableLength,
    });
    subscriber.gone = true;
    this.subscribers.delete(subscriber);
    subscriber.response.destroy();
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function drainedOrClosed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

function matches(subscriber: Subscriber, envelope: EventEnvelope): boolean {
  if (subscriber.session !== undefined && subscriber.session !== envelope.session) return false;
  if (subscriber.sessions !== undefined && !subscriber.sessions.has(envelope.session)) return false;
  if (subscriber.withoutCodes && isLinkingCode(envelope.event)) return false;
  return subscriber.events === undefined || subscriber.events.has(envelope.event);
}

function format(envelope: EventEnvelope): string {
  return `id: ${envelope.id}\nevent: ${envelope.event}\ndata: ${JSON.stringify(envelope)}\n\n`;
}

/** QR and pairing codes: whoever has one can link a phone to the session. */
export function isLinkingCode(event: EventType): boolean {
  return event === 'qr' || event === 'pairing.code';
}
