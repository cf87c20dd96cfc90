import type { EventType } from '../../src/events/event-envelope.js';
import type { DeliveryQueue, PendingDelivery, WebhookKey } from '../../src/events/webhooks/webhook-types.js';

export interface QueueCall {
  op: 'delivered' | 'retry' | 'failed';
  deliveryId: string;
  attempts: number;
  /** Date.now() when the call was made. */
  at: number;
  nextAttemptAt?: number;
  error?: string;
  statusCode?: number;
}

export interface AddOptions {
  url?: string;
  event?: EventType;
  body?: string;
  attempts?: number;
  nextAttemptAt?: number;
}

/** A DeliveryQueue kept in an array, in insertion (= event) order, recording every mark* call. */
export class InMemoryDeliveryQueue implements DeliveryQueue {
  readonly rows: PendingDelivery[] = [];
  readonly calls: QueueCall[] = [];
  /** The next mark* calls throw this many times (to check that workers survive a failing queue). */
  failNextMarks = 0;
  private seq = 0;

  add(webhookKey: WebhookKey, options: AddOptions = {}): PendingDelivery {
    const n = ++this.seq;
    const now = Date.now();
    const eventId = `evt_${String(n).padStart(6, '0')}`;
    const event = options.event ?? 'message';
    const row: PendingDelivery = {
      deliveryId: `dlv_${webhookKey}_${n}`,
      webhookKey,
      url: options.url ?? `http://unused.invalid/${webhookKey}`,
      eventId,
      event,
      status: 'pending',
      attempts: options.attempts ?? 0,
      nextAttemptAt: options.nextAttemptAt ?? now,
      createdAt: now,
      updatedAt: now,
      body: options.body ?? JSON.stringify({ id: eventId, event, n }),
    };
    this.rows.push(row);
    return row;
  }

  get(deliveryId: string): PendingDelivery {
    const row = this.rows.find((candidate) => candidate.deliveryId === deliveryId);
    if (!row) throw new Error(`no delivery ${deliveryId}`);
    return row;
  }

  of(webhookKey: WebhookKey): PendingDelivery[] {
    return this.rows.filter((row) => row.webhookKey === webhookKey);
  }

  callsFor(deliveryId: string): QueueCall[] {
    return this.calls.filter((call) => call.deliveryId === deliveryId);
  }

  nextPending(webhookKey: WebhookKey): PendingDelivery | undefined {
    const row = this.rows.find((candidate) => candidate.webhookKey === webhookKey && candidate.status === 'pending');
    return row && { ...row };
  }

  markDelivered(deliveryId: string, attempts: number, statusCode: number): void {
    this.maybeFail();
    this.calls.push({ op: 'delivered', deliveryId, attempts, statusCode, at: Date.now() });
    Object.assign(this.get(deliveryId), { status: 'delivered', attempts, lastStatusCode: statusCode, lastError: undefined, updatedAt: Date.now() });
  }

  markRetry(deliveryId: string, attempts: number, nextAttemptAt: number, error: string, statusCode?: number): void {
    this.maybeFail();
    this.calls.push({ op: 'retry', deliveryId, attempts, nextAttemptAt, error, statusCode, at: Date.now() });
    Object.assign(this.get(deliveryId), { attempts, nextAttemptAt, lastError: error, lastStatusCode: statusCode, updatedAt: Date.now() });
  }

  markFailed(deliveryId: string, attempts: number, error: string, statusCode?: number): void {
    this.maybeFail();
    this.calls.push({ op: 'failed', deliveryId, attempts, error, statusCode, at: Date.now() });
    Object.assign(this.get(deliveryId), { status: 'failed', attempts, lastError: error, lastStatusCode: statusCode, updatedAt: Date.now() });
  }

  pendingWebhookKeys(): WebhookKey[] {
    return [...new Set(this.rows.filter((row) => row.status === 'pending').map((row) => row.webhookKey))];
  }

  /** What the API's retry does: back to pending, attempts 0, due now. */
  requeue(deliveryId: string, now = Date.now()): void {
    Object.assign(this.get(deliveryId), { status: 'pending', attempts: 0, nextAttemptAt: now, updatedAt: now });
  }

  private maybeFail(): void {
    if (this.failNextMarks > 0) {
      this.failNextMarks--;
      throw new Error('database is locked (injected)');
    }
  }
}
