import { rm } from 'node:fs/promises';
import type { ClusterDatabase } from './cluster-database.js';
import { LEASE_IS_HELD, LeaseLostError } from './fencing.js';
import type { EventLogReplication, ReplicatedDelivery, ReplicatedEvent, ReplicationMark, LogChanges } from '../events/event-log-replication.js';
import { SqliteEventLog } from '../events/event-log.js';
import { EVENTS_CHANNEL } from './cluster-event-feed.js';

const PAGE = 2_000;

interface EventRow {
  seq: string;
  id: string;
  event: string;
  chat_id: string | null;
  envelope: string;
}

interface DeliveryRow {
  delivery_id: string;
  event_seq: string;
  webhook_key: string;
  url: string;
  status: string;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  last_status_code: number | null;
  created_at: string;
  updated_at: string;
}

/**
 * The cluster's copy of each session's event log (events and webhook deliveries, seq for seq). The owner copies
 * its changes in, fenced by its lease; whichever instance takes the session over brings the log back from it, so
 * history, the live stream's catch-up and pending deliveries go on where the last copy left them.
 */
export class EventLogCopies {
  constructor(private readonly database: ClusterDatabase) {}

  /** Copies one batch of changes in, as the holder of this token; refused (LeaseLostError) once it is not. */
  async ship(sessionId: string, token: string, changes: LogChanges): Promise<void> {
    if (changes.events.length === 0 && changes.deliveries.length === 0) return;
    await this.database.transaction(async (client) => {
      const fence = await client.query(`SELECT 1 FROM wamux_leases WHERE ${LEASE_IS_HELD} FOR SHARE`, [sessionId, token]);
      if (fence.rowCount === 0) throw new LeaseLostError(sessionId);
      const { events, deliveries } = changes;
      // the other instances' live streams read the new events once this commits
      if (events.length > 0) await client.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, sessionId]);
      if (events.length > 0) {
        await client.query(
          `INSERT INTO wamux_events (session_id, seq, id, event, chat_id, envelope)
           SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[])
           ON CONFLICT (session_id, seq) DO NOTHING`,
          [sessionId, events.map((e) => e.seq), events.map((e) => e.id), events.map((e) => e.event), events.map((e) => e.chatId), events.map((e) => e.envelope)],
        );
      }
      if (deliveries.length > 0) {
        await client.query(
          `INSERT INTO wamux_deliveries (session_id, delivery_id, event_seq, webhook_key, url, status, attempts, next_attempt_at,
             last_error, last_status_code, created_at, updated_at)
           SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::int[], $8::bigint[], $9::text[],
             $10::int[], $11::bigint[], $12::bigint[])
           ON CONFLICT (session_id, delivery_id) DO UPDATE SET status = EXCLUDED.status, attempts = EXCLUDED.attempts,
             next_attempt_at = EXCLUDED.next_attempt_at, last_error = EXCLUDED.last_error,
             last_status_code = EXCLUDED.last_status_code, updated_at = EXCLUDED.updated_at
           WHERE EXCLUDED.updated_at >= wamux_deliveries.updated_at`,
          [
            sessionId,
            deliveries.map((d) => d.deliveryId),
            deliveries.map((d) => d.eventSeq),
            deliveries.map((d) => d.webhookKey),
            deliveries.map((d) => d.url),
            deliveries.map((d) => d.status),
            deliveries.map((d) => d.attempts),
            deliveries.map((d) => d.nextAttemptAt),
            deliveries.map((d) => d.lastError),
            deliveries.map((d) => d.lastStatusCode),
            deliveries.map((d) => d.createdAt),
            deliveries.map((d) => d.updatedAt),
          ],
        );
      }
    });
  }

  /** Retention, in the copy: what the owner's log pruned (events before belowSeq, and their deliveries) goes. */
  async prune(sessionId: string, token: string, belowSeq: number): Promise<void> {
    await this.database.transaction(async (client) => {
      const fence = await client.query(`SELECT 1 FROM wamux_leases WHERE ${LEASE_IS_HELD} FOR SHARE`, [sessionId, token]);
      if (fence.rowCount === 0) throw new LeaseLostError(sessionId);
      await client.query('DELETE FROM wamux_deliveries WHERE session_id = $1 AND event_seq < $2', [sessionId, belowSeq]);
      await client.query('DELETE FROM wamux_events WHERE session_id = $1 AND seq < $2', [sessionId, belowSeq]);
    });
  }

  /**
   * Brings the session's log file up to the cluster's copy before it is opened. A local log that is a prefix of
   * the copy (this instance drove the session before) gets what it lacks; one that went another way meanwhile
   * (events the copy does not have at the same place) is replaced by the copy. Resolves with where copying out of
   * this log starts: past everything the cluster has.
   */
  async restore(sessionId: string, file: string): Promise<ReplicationMark> {
    const newestCopied = (
      await this.database.query<{ seq: string; id: string }>(
        'SELECT seq, id FROM wamux_events WHERE session_id = $1 ORDER BY seq DESC LIMIT 1',
        [sessionId],
      )
    ).rows[0];
    if (newestCopied === undefined) return { seq: 0, deliveriesFrom: 0 };
    let log = new SqliteEventLog(file);
    try {
      let replication = log.replication();
      const local = replication.newest();
      let from = 0;
      if (local !== undefined) {
        // the newest event both have a place for: the same event there means the same line
        const shared = Math.min(local.seq, Number(newestCopied.seq));
        const copyAtShared = await this.database.query<{ id: string }>('SELECT id FROM wamux_events WHERE session_id = $1 AND seq = $2', [sessionId, shared]);
        if (copyAtShared.rows[0]?.id === replication.idAt(shared)) from = shared;
        else {
          log.close();
          for (const part of [file, `${file}-wal`, `${file}-shm`]) await rm(part, { force: true });
          log = new SqliteEventLog(file);
          replication = log.replication();
        }
      }
      await this.copyEventsInto(sessionId, replication, from);
      await this.copyDeliveriesInto(sessionId, replication);
      // local events past the copy (this instance's, never copied) go out first, and every delivery again (those of
      // that tail are not in the copy; the others are copied over themselves)
      return { seq: Number(newestCopied.seq), deliveriesFrom: 0 };
    } finally {
      log.close();
    }
  }

  private async copyEventsInto(sessionId: string, replication: EventLogReplication, afterSeq: number): Promise<void> {
    for (let after = afterSeq; ; ) {
      const page = await this.database.query<EventRow>(
        'SELECT seq, id, event, chat_id, envelope FROM wamux_events WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
        [sessionId, after, PAGE],
      );
      const events: ReplicatedEvent[] = page.rows.map((row) => ({ seq: Number(row.seq), id: row.id, event: row.event, chatId: row.chat_id, envelope: row.envelope }));
      replication.import(events, []);
      if (events.length < PAGE) return;
      after = events.at(-1)!.seq;
    }
  }

  private async copyDeliveriesInto(sessionId: string, replication: EventLogReplication): Promise<void> {
    for (let after = ''; ; ) {
      const page = await this.database.query<DeliveryRow>(
        `SELECT delivery_id, event_seq, webhook_key, url, status, attempts, next_attempt_at, last_error, last_status_code, created_at, updated_at
         FROM wamux_deliveries WHERE session_id = $1 AND delivery_id > $2 ORDER BY delivery_id LIMIT $3`,
        [sessionId, after, PAGE],
      );
      const deliveries: ReplicatedDelivery[] = page.rows.map((row) => ({
        deliveryId: row.delivery_id,
        eventSeq: Number(row.event_seq),
        webhookKey: row.webhook_key,
        url: row.url,
        status: row.status,
        attempts: row.attempts,
        nextAttemptAt: Number(row.next_attempt_at),
        lastError: row.last_error,
        lastStatusCode: row.last_status_code,
        createdAt: Number(row.created_at),
        updatedAt: Number(row.updated_at),
      }));
      replication.import([], deliveries);
      if (deliveries.length < PAGE) return;
      after = deliveries.at(-1)!.deliveryId;
    }
  }
}
