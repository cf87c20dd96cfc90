import Database from 'better-sqlite3';
import type { EventEnvelope, EventType } from './event-envelope.js';
import type { DeliveryQueue, DeliveryRecord, PendingDelivery, WebhookKey } from './webhooks/webhook-types.js';
import { EventLogPruner, type RetentionPolicy } from './event-log-pruning.js';
import { EventLogReplication } from './event-log-replication.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  event TEXT NOT NULL,
  chat_id TEXT,
  envelope TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_chat ON events (chat_id, seq);
CREATE INDEX IF NOT EXISTS events_by_type ON events (event, seq);
CREATE TABLE IF NOT EXISTS deliveries (
  delivery_id TEXT PRIMARY KEY,
  event_seq INTEGER NOT NULL REFERENCES events (seq),
  webhook_key TEXT NOT NULL,
  url TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  last_status_code INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_queue ON deliveries (webhook_key, status, event_seq);
CREATE INDEX IF NOT EXISTS deliveries_recent ON deliveries (created_at);
-- only the undelivered: counting the queue and finding its oldest stay cheap however many were delivered
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (created_at) WHERE status = 'pending';
-- pruning an event finds (and deletes) its deliveries; without it each delete scanned them all
CREATE INDEX IF NOT EXISTS deliveries_by_event ON deliveries (event_seq);
`;

/** The undelivered webhook deliveries of one log. */
export interface QueueStats {
  pending: number;
  /** When the oldest undelivered one was created (epoch ms); undefined when none waits. */
  oldestCreatedAt: number | undefined;
}

const DELIVERY_SELECT = `SELECT d.delivery_id, d.webhook_key, d.url, d.status, d.attempts, d.next_attempt_at, d.last_error,
  d.last_status_code, d.created_at, d.updated_at, e.id AS event_id, e.event AS event
  FROM deliveries d JOIN events e ON e.seq = d.event_seq`;

const MESSAGE_EVENTS: readonly EventType[] = ['message', 'message.sent'];

interface DeliveryRow {
  delivery_id: string;
  webhook_key: string;
  url: string;
  status: DeliveryRecord['status'];
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  last_status_code: number | null;
  created_at: number;
  updated_at: number;
  event_id: string;
  event: EventType;
}

export interface NewDelivery {
  deliveryId: string;
  webhookKey: WebhookKey;
  url: string;
}

/**
 * One session's durable log: every event it reported, and the webhook deliveries of each, in one SQLite file in
 * the session's folder (deleting the session deletes its history; sessions never share storage).
 */
/** --event-log-cache-kib: SQLite's page cache per session's event log. */
export const DEFAULT_EVENT_LOG_CACHE_KIB = 2048;

export class SqliteEventLog implements DeliveryQueue {
  private readonly db: Database.Database;
  private readonly insertEvent: Database.Statement;
  private readonly insertDelivery: Database.Statement;
  // the dispatcher runs these once per delivery attempt: prepared once, not per call
  private readonly selectNextPending: Database.Statement;
  private readonly updateRetry: Database.Statement;
  private readonly updateOutcome: Database.Statement;
  // the live stream's catch-up reads these once per page
  private readonly selectHasEvent: Database.Statement;
  private readonly selectSeqOf: Database.Statement;
  private readonly selectEventsAfterId: Database.Statement;
  // every metrics scrape reads this
  private readonly selectQueueStats: Database.Statement;
  private readonly pruner: EventLogPruner;
  private readonly appendTransaction: (envelope: EventEnvelope, chatId: string | null, deliveries: NewDelivery[], now: number) => void;

  /**
   * cacheKib: SQLite's page cache for this log. better-sqlite3 builds SQLite with 16 MiB per connection, which a
   * session's log filled within minutes of steady traffic: 16 MiB more per session for pages an append-mostly log
   * rarely reads twice.
   */
  constructor(file: string, options: { cacheKib?: number } = {}) {
    this.db = new Database(file);
    // only takes effect in a new file (before its first table): pruned pages can then go back to the file system
    this.db.pragma('auto_vacuum = INCREMENTAL');
    this.db.pragma(`cache_size = -${Math.max(64, Math.floor(options.cacheKib ?? DEFAULT_EVENT_LOG_CACHE_KIB))}`);
    this.db.pragma('journal_mode = WAL');
    // WAL + NORMAL survives a killed process (the WAL is in the OS's hands); only an OS crash may lose the last commits
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
    this.pruner = new EventLogPruner(this.db);
    this.insertEvent = this.db.prepare('INSERT INTO events (id, event, chat_id, envelope) VALUES (?, ?, ?, ?)');
    this.insertDelivery = this.db.prepare(
      `INSERT INTO deliveries (delivery_id, event_seq, webhook_key, url, status, attempts, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?)`,
    );
    this.selectNextPending = this.db.prepare(
      `${DELIVERY_SELECT.replace('SELECT', 'SELECT e.envelope AS body,')} WHERE d.webhook_key = ? AND d.status = 'pending' ORDER BY d.event_seq LIMIT 1`,
    );
    this.updateRetry = this.db.prepare(
      `UPDATE deliveries SET attempts = ?, next_attempt_at = ?, last_error = ?, last_status_code = ?, updated_at = ? WHERE delivery_id = ?`,
    );
    this.updateOutcome = this.db.prepare(
      `UPDATE deliveries SET status = ?, attempts = ?, last_error = ?, last_status_code = ?, updated_at = ? WHERE delivery_id = ?`,
    );
    this.selectQueueStats = this.db.prepare(`SELECT count(*) AS pending, min(created_at) AS oldest FROM deliveries WHERE status = 'pending'`);
    this.selectHasEvent = this.db.prepare('SELECT 1 FROM events WHERE id = ?').pluck();
    this.selectSeqOf = this.db.prepare('SELECT seq FROM events WHERE id = ?').pluck();
    // a range scan of the id index; the event types come as one JSON array so the statement is prepared once
    this.selectEventsAfterId = this.db.prepare(
      `SELECT envelope FROM events
       WHERE id > @afterId AND (@events IS NULL OR event IN (SELECT value FROM json_each(@events)))
       ORDER BY id LIMIT @limit`,
    );
    this.appendTransaction = this.db.transaction((envelope: EventEnvelope, chatId: string | null, deliveries: NewDelivery[], now: number) => {
      const { lastInsertRowid } = this.insertEvent.run(envelope.id, envelope.event, chatId, JSON.stringify(envelope));
      for (const delivery of deliveries) {
        this.insertDelivery.run(delivery.deliveryId, lastInsertRowid, delivery.webhookKey, delivery.url, now, now, now);
      }
    });
  }
  /** Reading changes out and writing copied rows in (a cluster keeps a copy of each log in its database). */
  replication(): EventLogReplication {
    return new EventLogReplication(this.db);
  }

  /** The size of SQLite's page cache for this log, in KiB. */
  pageCacheKib(): number {
    return -Number(this.db.pragma('cache_size', { simple: true }));
  }


  /** Appends the event and its deliveries in one transaction: once this returns, both survive a crash. */
  append(envelope: EventEnvelope, deliveries: NewDelivery[] = [], now = Date.now()): void {
    const chatId = typeof envelope.payload.chatId === 'string' ? envelope.payload.chatId : null;
    this.appendTransaction(envelope, chatId, deliveries, now);
    // a session shows one code at a time: the one it replaced is of no use to anyone
    if (envelope.event === 'qr' || envelope.event === 'pairing.code') {
      try {
        this.pruner.pruneSuperseded();
      } catch {
        // the event is stored; the next retention pass prunes what this could not
      }
    }
  }

  /** Whether the id is of this log: in it, or pruned from it (a client may resume after it). */
  knows(id: string): boolean {
    return this.hasEvent(id) || this.pruner.pruned(id);
  }

  /** One batch of pruning under the policy; how many events went (0 when nothing more is due). */
  pruneStep(policy: RetentionPolicy, now = Date.now()): number {
    return this.pruner.pruneStep(policy, now);
  }

  /** Returns a batch of free pages to the file system; how many (0 when none is left). */
  reclaimStep(): number {
    return this.pruner.reclaimStep();
  }

  checkpoint(): void {
    this.pruner.checkpoint();
  }

  isOpen(): boolean {
    return this.db.open;
  }

  /** Bytes of the log's pages that hold data. */
  liveBytes(): number {
    return this.pruner.liveBytes();
  }

  /** Events after the given id (exclusive), oldest first: what a client missed. */
  eventsAfter(afterId: string | undefined, limit: number): EventEnvelope[] {
    const rows = this.db
      .prepare(
        `SELECT envelope FROM events WHERE seq > coalesce((SELECT seq FROM events WHERE id = ?), 0) ORDER BY seq LIMIT ?`,
      )
      .all(afterId ?? null, limit) as { envelope: string }[];
    return rows.map((row) => JSON.parse(row.envelope) as EventEnvelope);
  }

  /** The event's place in this log; undefined when it is not in it. */
  seqOf(id: string): number | undefined {
    return (this.selectSeqOf.get(id) as number | undefined) ?? undefined;
  }

  /** Whether this log holds the event. */
  hasEvent(id: string): boolean {
    return this.selectHasEvent.get(id) !== undefined;
  }

  /**
   * Events with an id greater than `afterId` (which need not be in this log), in id order, optionally only of the
   * given types. Ids sort by creation across every session, so pages of several logs merge by id; within one log
   * id order is seq order.
   */
  eventsAfterId(afterId: string, limit: number, events?: readonly EventType[]): EventEnvelope[] {
    const rows = this.selectEventsAfterId.all({
      afterId,
      events: events && events.length > 0 ? JSON.stringify(events) : null,
      limit,
    }) as { envelope: string }[];
    return rows.map((row) => JSON.parse(row.envelope) as EventEnvelope);
  }

  /** Events older than `beforeId` (the newest when undefined), newest first, optionally only of the given types. */
  eventsBeforeId(beforeId: string | undefined, limit: number, events?: readonly EventType[]): EventEnvelope[] {
    const rows = this.db
      .prepare(
        `SELECT envelope FROM events
         WHERE (@beforeId IS NULL OR id < @beforeId) AND (@events IS NULL OR event IN (SELECT value FROM json_each(@events)))
         ORDER BY id DESC LIMIT @limit`,
      )
      .all({ beforeId: beforeId ?? null, events: events && events.length > 0 ? JSON.stringify(events) : null, limit }) as { envelope: string }[];
    return rows.map((row) => JSON.parse(row.envelope) as EventEnvelope);
  }

  /** Messages received and sent, newest first, optionally of one chat and older than the event `beforeId`. */
  messages(options: { chatId?: string; beforeId?: string; limit: number }): EventEnvelope[] {
    const rows = this.db
      .prepare(
        `SELECT envelope FROM events
         WHERE event IN (${MESSAGE_EVENTS.map(() => '?').join(', ')})
           AND (? IS NULL OR chat_id = ?)
           AND seq < coalesce((SELECT seq FROM events WHERE id = ?), 9223372036854775807)
         ORDER BY seq DESC LIMIT ?`,
      )
      .all(...MESSAGE_EVENTS, options.chatId ?? null, options.chatId ?? null, options.beforeId ?? null, options.limit) as {
      envelope: string;
    }[];
    return rows.map((row) => JSON.parse(row.envelope) as EventEnvelope);
  }

  /** Recent deliveries, newest first. */
  deliveries(limit: number): DeliveryRecord[] {
    const rows = this.db
      .prepare(`${DELIVERY_SELECT} ORDER BY d.created_at DESC, d.event_seq DESC LIMIT ?`)
      .all(limit) as DeliveryRow[];
    return rows.map(toRecord);
  }

  delivery(deliveryId: string): DeliveryRecord | undefined {
    const row = this.db.prepare(`${DELIVERY_SELECT} WHERE d.delivery_id = ?`).get(deliveryId) as DeliveryRow | undefined;
    return row && toRecord(row);
  }

  /** Puts a delivery back in its webhook's queue with a fresh attempt count, due now. */
  requeue(deliveryId: string, now = Date.now()): DeliveryRecord | undefined {
    this.db
      .prepare(`UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ? WHERE delivery_id = ?`)
      .run(now, now, deliveryId);
    return this.delivery(deliveryId);
  }

  nextPending(webhookKey: WebhookKey): PendingDelivery | undefined {
    const row = this.selectNextPending.get(webhookKey) as (DeliveryRow & { body: string }) | undefined;
    return row && { ...toRecord(row), body: row.body };
  }

  markDelivered(deliveryId: string, attempts: number, statusCode: number): void {
    this.update(deliveryId, 'delivered', attempts, null, statusCode);
  }

  markRetry(deliveryId: string, attempts: number, nextAttemptAt: number, error: string, statusCode?: number): void {
    this.updateRetry.run(attempts, nextAttemptAt, error, statusCode ?? null, Date.now(), deliveryId);
  }

  markFailed(deliveryId: string, attempts: number, error: string, statusCode?: number): void {
    this.update(deliveryId, 'failed', attempts, error, statusCode ?? null);
  }

  queueStats(): QueueStats {
    const row = this.selectQueueStats.get() as { pending: number; oldest: number | null };
    return { pending: row.pending, oldestCreatedAt: row.oldest ?? undefined };
  }

  pendingWebhookKeys(): WebhookKey[] {
    const rows = this.db.prepare(`SELECT DISTINCT webhook_key FROM deliveries WHERE status = 'pending'`).all() as { webhook_key: string }[];
    return rows.map((row) => row.webhook_key);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private update(deliveryId: string, status: DeliveryRecord['status'], attempts: number, error: string | null, statusCode: number | null): void {
    this.updateOutcome.run(status, attempts, error, statusCode, Date.now(), deliveryId);
  }
}


function toRecord(row: DeliveryRow): DeliveryRecord {
  return {
    deliveryId: row.delivery_id,
    webhookKey: row.webhook_key,
    url: row.url,
    eventId: row.event_id,
    event: row.event,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error ?? undefined,
    lastStatusCode: row.last_status_code ?? undefined,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
