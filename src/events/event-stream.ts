import type { ServerResponse } from 'node:http';
import type { EventEnvelope, EventType } from './event-envelope.js';

interface Subscriber {
  response: ServerResponse;
  session?: string;
  events?: ReadonlySet<EventType>;
}

const HEARTBEAT_MS = 15_000;

/** The live stream (Server-Sent Events): each subscriber gets the envelopes it asked for, as they are logged. */
export class EventStream {
  private readonly subscribers = new Set<Subscriber>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor() {
    // comments keep proxies from closing an idle stream
    this.heartbeat = setInterval(() => this.writeAll(': keep-alive\n\n'), HEARTBEAT_MS).unref();
  }

  subscribe(response: ServerResponse, filter: { session?: string; events?: EventType[] }, backlog: EventEnvelope[] = []): void {
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
      events: filter.events && filter.events.length > 0 ? new Set(filter.events) : undefined,
    };
    for (const envelope of backlog) if (matches(subscriber, envelope)) response.write(format(envelope));
    this.subscribers.add(subscriber);
    response.on('close', () => this.subscribers.delete(subscriber));
  }

  publish(envelope: EventEnvelope): void {
    const frame = format(envelope);
    for (const subscriber of this.subscribers) if (matches(subscriber, envelope)) subscriber.response.write(frame);
  }

  get size(): number {
    return this.subscribers.size;
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const subscriber of this.subscribers) subscriber.response.end();
    this.subscribers.clear();
  }

  private writeAll(text: string): void {
    for (const subscriber of this.subscribers) subscriber.response.write(text);
  }
}

function matches(subscriber: Subscriber, envelope: EventEnvelope): boolean {
  if (subscriber.session !== undefined && subscriber.session !== envelope.session) return false;
  return subscriber.events === undefined || subscriber.events.has(envelope.event);
}

function format(envelope: EventEnvelope): string {
  return `id: ${envelope.id}\nevent: ${envelope.event}\ndata: ${JSON.stringify(envelope)}\n\n`;
}
