import type { EventType } from '../event-envelope.js';

/** A webhook as the user configures it (per session through the API, or globally through settings). */
export interface WebhookTarget {
  url: string;
  /** Event types to deliver; all when absent. */
  events?: EventType[];
  secret?: string;
}

/** Stable key of a webhook inside one session's log (its URL may be long). */
export type WebhookKey = string;

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'cancelled';

export interface DeliveryRecord {
  deliveryId: string;
  webhookKey: WebhookKey;
  url: string;
  eventId: string;
  event: EventType;
  status: DeliveryStatus;
  attempts: number;
  /** Epoch ms of the next try (pending only). */
  nextAttemptAt: number;
  lastError?: string;
  lastStatusCode?: number;
  createdAt: number;
  updatedAt: number;
}

/** A pending delivery with the exact body to send (the event envelope as JSON). */
export interface PendingDelivery extends DeliveryRecord {
  body: string;
}

/** The part of a session's durable log the dispatcher works from; every call is synchronous (SQLite). */
export interface DeliveryQueue {
  /** The oldest pending delivery of this webhook (in event order), due or not. */
  nextPending(webhookKey: WebhookKey): PendingDelivery | undefined;
  markDelivered(deliveryId: string, attempts: number, statusCode: number): void;
  markRetry(deliveryId: string, attempts: number, nextAttemptAt: number, error: string, statusCode?: number): void;
  markFailed(deliveryId: string, attempts: number, error: string, statusCode?: number): void;
  /** Keys of webhooks with pending deliveries (to resume after a restart). */
  pendingWebhookKeys(): WebhookKey[];
}

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per attempt. */
  timeoutMs: number;
}

/**
 * Rides out a receiver that is down for 10 minutes: waits of 1 s, 2 s, 4 s ... capped at 5 min, each jittered
 * to between half and all of it; 13 attempts put the last one 11.8 to 23.5 minutes after the first.
 */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 13,
  baseDelayMs: 1_000,
  maxDelayMs: 300_000,
  timeoutMs: 10_000,
});

/** What one delivery attempt came to: delivered, to be tried again, or given up (failed for good). */
export type AttemptOutcome = 'delivered' | 'retry' | 'failed';
