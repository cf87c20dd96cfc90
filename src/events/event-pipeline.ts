import { randomUUID } from 'node:crypto';
import type { Logger } from '../shared/logger.js';
import { describeError } from '../shared/errors.js';
import type { SessionEvents } from '../sessions/session-events.js';
import type { WaMe, WaMessage } from '../wa/wa-client.js';
import { mediaPathOf } from '../shared/media-url.js';
import { newEventId, type EventEnvelope, type EventType } from './event-envelope.js';
import type { NewDelivery } from './event-log.js';
import type { EventStream } from './event-stream.js';
import type { SessionChannels } from './session-channels.js';
import { wants } from './webhook-targets.js';
import type { WebhookKey, WebhookTarget } from './webhooks/webhook-types.js';

export interface EventPipelineDeps {
  sessionEvents: SessionEvents;
  channels: SessionChannels;
  targetsOf: (sessionId: string) => Map<WebhookKey, WebhookTarget>;
  stream: EventStream;
  logger: Logger;
  /** Events of a session that is gone (deleted) must not re-create its folder. */
  isLoaded: (sessionId: string) => boolean;
  /** Told of every event stored, with how long the append took (metrics). */
  onAppended?: (sessionId: string, seconds: number) => void;
}

/**
 * Turns what sessions report into envelopes, appends each to the session's durable log together with its webhook
 * deliveries, and only then hands it on (dispatchers, live stream). Nothing is delivered that was not stored.
 */
export class EventPipeline {
  constructor(private readonly deps: EventPipelineDeps) {}

  start(): void {
    const events = this.deps.sessionEvents;
    events.on('status', ({ sessionId, change, me }) => this.record(sessionId, me, 'session.status', { ...change }));
    events.on('qr', ({ sessionId, qr }) => this.record(sessionId, undefined, 'qr', { qr }));
    events.on('pairingCode', ({ sessionId, code }) => this.record(sessionId, undefined, 'pairing.code', { code }));
    events.on('message', ({ sessionId, me, message }) => this.record(sessionId, me, 'message', withMediaUrl(sessionId, message)));
    events.on('messageSent', ({ sessionId, me, message }) => this.record(sessionId, me, 'message.sent', withMediaUrl(sessionId, message)));
    events.on('activity', ({ sessionId, me, type, payload }) => this.record(sessionId, me, type, payload));
  }

  record(sessionId: string, me: WaMe | undefined, event: EventType, payload: Record<string, unknown>): EventEnvelope | undefined {
    if (!this.deps.isLoaded(sessionId)) return undefined;
    const envelope: EventEnvelope = {
      id: newEventId(),
      timestamp: new Date().toISOString(),
      event,
      session: sessionId,
      me: me ?? null,
      payload,
    };
    const deliveries: NewDelivery[] = [];
    for (const [webhookKey, target] of this.deps.targetsOf(sessionId)) {
      if (wants(target, event)) deliveries.push({ deliveryId: randomUUID(), webhookKey, url: target.url });
    }
    try {
      const channel = this.deps.channels.get(sessionId);
      const startedAt = performance.now();
      channel.log.append(envelope, deliveries);
      this.deps.onAppended?.(sessionId, (performance.now() - startedAt) / 1000);
      if (deliveries.length > 0) channel.dispatcher.notify(deliveries.map((delivery) => delivery.webhookKey));
    } catch (error) {
      this.deps.logger.error('could not append an event to the session log', { session: sessionId, event, error: describeError(error) });
      return undefined;
    }
    this.deps.stream.publish(envelope);
    return envelope;
  }
}

/** The message as an event payload: media messages say where wamux serves their bytes. */
function withMediaUrl(sessionId: string, message: WaMessage): Record<string, unknown> {
  return message.hasMedia ? { ...message, mediaUrl: mediaPathOf(sessionId, message.id) } : { ...message };
}
