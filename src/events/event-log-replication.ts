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

/**
 * How far a copy of the log has been brought: events through seq; deliveries changed before deliveriesFrom (ms),
 * and those changed at deliveriesFrom up to the delivery id deliveryAfter (a page cut there).
 */
export interface ReplicationMark {
  seq: number;
  deliveriesFrom: number;
  deliveryAfter?: string;
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
    const through = events.at(-1)?.seq ?? mark.seq;
    // deliveries of events not copied yet wait for theirs; pages go by (updated_at, delivery_id)
    const deliveries = this.db
      .prepare(
        `SELECT delivery_id AS deliveryId, event_seq AS eventSeq, webhook_key AS webhookKey, url, status, attempts,
           next_attempt_at AS nextAttemptAt, last_error AS lastError, last_status_code AS lastStatusCode,
           created_at AS createdAt, updated_at AS updatedAt
         FROM deliveries WHERE (updated_at > @from OR (updated_at = @from AND delivery_id > @after)) AND event_seq <= @through
         ORDER BY updated_at, delivery_id LIMIT @limit`,
      )
      .all({ from: mark.deliveriesFrom, after: mark.deliveryAfter ?? '', through, limit }) as ReplicatedDelivery[];
    let next: Pick<ReplicationMark, 'deliveriesFrom' | 'deliveryAfter'>;
    if (events.length === limit) {
      // later events' deliveries (with any stamp) are still to come: the deliveries' mark waits for them
      next = { deliveriesFrom: mark.deliveriesFrom, deliveryAfter: mark.deliveryAfter };
    } else if (deliveries.length === limit) {
      next = { deliveriesFrom: deliveries.at(-1)!.updatedAt, deliveryAfter: deliveries.at(-1)!.deliveryId };
    } else {
      // a later change is stamped `now` or after (read before the queries): from `now` on nothing is missed
      next = { deliveriesFrom: Math.max(mark.deliveriesFrom, now), deliveryAfter: undefined };
    }
    return { events, deliveries, next: { seq: through, ...next } };
  }

  /** The oldest event's seq (what retention left); undefined for an empty log. */
  oldestSeq(): number | undefined {
    return (this.db.prepare('SELECT min(seq) FROM events').pluck().get() as number | null) ?? undefined;
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
