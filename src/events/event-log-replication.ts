import type Database from 'better-sqlite3';

/** An event row as the log stores it (seq is its place in this session's log). */
export interface ReplicatedEvent {
  seq: number;
  id: string;
  event: string;
  chatId: string | null;
  envelope: string;
}

export interface ReplicatedDelivery {
  deliveryId: string;
  eventSeq: number;
  webhookKey: string;
  url: string;
  status: string;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  lastStatusCode: number | null;
  createdAt: number;
  updatedAt: number;
}

/** How far a copy of the log has been brought: events through seq, deliveries changed before deliveriesFrom (ms). */
export interface ReplicationMark {
  seq: number;
  deliveriesFrom: number;
}

export interface LogChanges {
  events: ReplicatedEvent[];
  deliveries: ReplicatedDelivery[];
  /** The mark once these are copied. */
  next: ReplicationMark;
}

/**
 * Reads what changed in a session's log since a mark, and writes rows copied from elsewhere into it, seq for seq:
 * the cluster keeps a copy of every log in its database this way, and a new owner brings the log back from it.
 */
export class EventLogReplication {
  constructor(private readonly db: Database.Database) {}

  /**
   * Events after mark.seq, and deliveries updated at or after mark.deliveriesFrom (a delivery changes in place, so
   * it is copied again each time it does), at most `limit` of each.
   */
  changesSince(mark: ReplicationMark, limit: number, now = Date.now()): LogChanges {
    const events = this.db
      .prepare('SELECT seq, id, event, chat_id AS chatId, envelope FROM events WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(mark.seq, limit) as ReplicatedEvent[];
    const deliveries = this.db
      .prepare(
        `SELECT delivery_id AS deliveryId, event_seq AS eventSeq, webhook_key AS webhookKey, url, status, attempts,
           next_attempt_at AS nextAttemptAt, last_error AS lastError, last_status_code AS lastStatusCode,
           created_at AS createdAt, updated_at AS updatedAt
         FROM deliveries WHERE updated_at >= ? AND event_seq <= ? ORDER BY updated_at LIMIT ?`,
      )
      .all(mark.deliveriesFrom, events.at(-1)?.seq ?? mark.seq, limit) as ReplicatedDelivery[];
    // a later change is stamped `now` or after (read before the query): from `now` on nothing is missed, unless a
    // batch was cut at `limit` (deliveries of events not copied yet wait for theirs)
    const cut = events.length === limit || deliveries.length === limit;
    const deliveriesFrom = cut ? (deliveries.at(-1)?.updatedAt ?? mark.deliveriesFrom) : Math.max(mark.deliveriesFrom, now);
    return { events, deliveries, next: { seq: events.at(-1)?.seq ?? mark.seq, deliveriesFrom } };
  }

  /** The newest event's seq and id; undefined for an empty log. */
  newest(): { seq: number; id: string } | undefined {
    return this.db.prepare('SELECT seq, id FROM events ORDER BY seq DESC LIMIT 1').get() as { seq: number; id: string } | undefined;
  }

  /** The id of the event at seq, if the log has it. */
  idAt(seq: number): string | undefined {
    return (this.db.prepare('SELECT id FROM events WHERE seq = ?').pluck().get(seq) as string | undefined) ?? undefined;
  }

  /** Writes copied rows in: events by seq (those it has are kept), deliveries as copied (newer state wins). */
  import(events: readonly ReplicatedEvent[], deliveries: readonly ReplicatedDelivery[]): void {
    const insertEvent = this.db.prepare('INSERT OR IGNORE INTO events (seq, id, event, chat_id, envelope) VALUES (?, ?, ?, ?, ?)');
    // a delivery whose event this log does not have (pruned here) is left out
    const upsertDelivery = this.db.prepare(
      `INSERT INTO deliveries (delivery_id, event_seq, webhook_key, url, status, attempts, next_attempt_at, last_error,
         last_status_code, created_at, updated_at) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM events WHERE seq = ?)
       ON CONFLICT (delivery_id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts,
         next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error,
         last_status_code = excluded.last_status_code, updated_at = excluded.updated_at
       WHERE excluded.updated_at >= deliveries.updated_at`,
    );
    this.db.transaction(() => {
      for (const row of events) insertEvent.run(row.seq, row.id, row.event, row.chatId, row.envelope);
      for (const row of deliveries) {
        upsertDelivery.run(row.deliveryId, row.eventSeq, row.webhookKey, row.url, row.status, row.attempts, row.nextAttemptAt,
          row.lastError, row.lastStatusCode, row.createdAt, row.updatedAt, row.eventSeq);
      }
    })();
  }
}
