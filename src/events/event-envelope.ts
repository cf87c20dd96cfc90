import { randomBytes } from 'node:crypto';
import type { WaMe } from '../wa/wa-client.js';

export const EVENT_TYPES = [
  'session.status',
  'qr',
  'pairing.code',
  'message',
  'message.sent',
  'message.ack',
  'message.revoked',
  'message.edited',
  'message.reaction',
  'group.join',
  'group.leave',
  'state.change',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** What every consumer (log, webhooks, live stream) sees: our own stable shape, never a whatsapp-web.js object. */
export interface EventEnvelope<P = Record<string, unknown>> {
  /** Unique and sortable: later events of a process have larger ids. */
  id: string;
  /** ISO 8601. */
  timestamp: string;
  event: EventType;
  session: string;
  me: WaMe | null;
  payload: P;
}

/** The epoch ms an event id was made at (its first 9 base-36 digits). */
export function eventIdTime(id: string): number {
  return parseInt(id.slice(4, 13), 36);
}

/** The smallest event id made at or after this time (the inverse of eventIdTime): a bound for id ranges. */
export function eventIdAt(epochMs: number): string {
  return `evt_${Math.max(0, Math.floor(epochMs)).toString(36).padStart(9, '0')}`;
}

let lastMs = 0;
let counter = 0;

/** 9 base-36 digits of milliseconds, 4 of a per-millisecond counter, 8 hex of randomness: sorts by creation. */
export function newEventId(now = Date.now()): string {
  // a clock that steps back keeps the last millisecond and counts on: ids never go backwards
  if (now <= lastMs) counter++;
  else {
    lastMs = now;
    counter = 0;
  }
  return `${eventIdAt(lastMs)}${counter.toString(36).padStart(4, '0')}${randomBytes(4).toString('hex')}`;
}
