import pg from 'pg';
import type { Logger } from '../shared/logger.js';
import { describeError } from '../shared/errors.js';
import type { EventEnvelope } from '../events/event-envelope.js';
import type { ClusterDatabase } from './cluster-database.js';

/** The channel an owner notifies (with the session id) once a session's new events are in the database. */
export const EVENTS_CHANNEL = 'wamux_events';
const PAGE = 500;
const RECONNECT_MS = 1_000;

export interface ClusterEventFeedDeps {
  database: ClusterDatabase;
  url: string;
  /** Sessions this instance drives: their events it publishes itself, as they happen. */
  isHere: (sessionId: string) => boolean;
  publish: (envelope: EventEnvelope) => void;
  logger: Logger;
}

/**
 * The live stream of every instance carries every session's events: other instances' events reach this one as
 * their copies land in the database (LISTEN/NOTIFY), in each session's order, and are published to its stream.
 * A connection that drops is made again, and what was written meanwhile is read then.
 */
export class ClusterEventFeed {
  private client: pg.Client | undefined;
  private readonly lastSeen = new Map<string, number>();
  private readonly reading = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly deps: ClusterEventFeedDeps) {}

  async start(): Promise<void> {
    // from now on: what is in the database already is history, not live
    for (const row of (await this.deps.database.query<{ session_id: string; seq: string }>(
      'SELECT session_id, max(seq) AS seq FROM wamux_events GROUP BY session_id',
    )).rows) {
      this.lastSeen.set(row.session_id, Number(row.seq));
    }
    await this.connect();
  }

  /** Per session, the last event (seq) read: published here unless the session is this instance's. */
  publishedThrough(): ReadonlyMap<string, number> {
    return this.lastSeen;
  }

  isHere(sessionId: string): boolean {
    return this.deps.isHere(sessionId);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
    await Promise.all(this.reading.values());
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.deps.url, application_name: 'wamux-feed' });
    client.on('error', () => this.reconnectLater(client));
    client.on('end', () => this.reconnectLater(client));
    client.on('notification', (message) => {
      if (message.payload) void this.read(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
      this.client = client;
    } catch (error) {
      this.deps.logger.warn('the cluster event feed could not connect; retrying', { error: describeError(error) });
      this.reconnectLater(client);
      return;
    }
    // notifications sent while there was no connection are lost: read whatever is newer than what was seen
    const newest = await this.deps.database.query<{ session_id: string; seq: string }>(
      'SELECT session_id, max(seq) AS seq FROM wamux_events GROUP BY session_id',
    );
    for (const row of newest.rows) if (Number(row.seq) > (this.lastSeen.get(row.session_id) ?? 0)) void this.read(row.session_id);
  }

  private reconnectLater(client: pg.Client): void {
    if (this.closed || (this.client !== client && this.client !== undefined)) return;
    this.client = undefined;
    void client.end().catch(() => undefined);
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.connect(), RECONNECT_MS);
  }

  /** Reads the session's new events (one read at a time per session, in order) and publishes those of other instances. */
  private read(sessionId: string): Promise<void> {
    const running = this.reading.get(sessionId);
    if (running) {
      this.again.add(sessionId);
      return running;
    }
    const done = (async () => {
      do {
        this.again.delete(sessionId);
        await this.readPages(sessionId);
      } while (this.again.has(sessionId) && !this.closed);
    })()
      .catch((error: unknown) => {
        this.deps.logger.warn("could not read other instances' events", { session: sessionId, error: describeError(error) });
      })
      .finally(() => this.reading.delete(sessionId));
    this.reading.set(sessionId, done);
    return done;
  }

  private async readPages(sessionId: string): Promise<void> {
    for (;;) {
      const after = this.lastSeen.get(sessionId) ?? 0;
      const page = await this.deps.database.query<{ seq: string; envelope: string }>(
        'SELECT seq, envelope FROM wamux_events WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
        [sessionId, after, PAGE],
      );
      for (const row of page.rows) {
        this.lastSeen.set(sessionId, Number(row.seq));
        // this instance's own sessions are published by its own pipeline, as they happen
        if (!this.deps.isHere(sessionId)) this.deps.publish(JSON.parse(row.envelope) as EventEnvelope);
      }
      if (page.rows.length < PAGE) return;
    }
  }
}
