import type { EventEnvelope, EventType } from '../events/event-envelope.js';
import type { OtherInstancesBacklog } from '../events/event-backlog.js';
import type { ClusterDatabase } from './cluster-database.js';

const PAGE = 500;

/** What the event feed has published of each session (see ClusterEventFeed). */
export interface PublishedEvents {
  /** Per session, the last event (seq) the feed has read: published here unless the session is this instance's. */
  publishedThrough(): ReadonlyMap<string, number>;
  isHere(sessionId: string): boolean;
}

export interface OtherInstancesBacklogOptions {
  database: ClusterDatabase;
  feed: PublishedEvents;
  /** Exclusive. */
  afterId: string;
  events?: readonly EventType[];
  visible: (sessionId: string) => boolean;
}

/**
 * A catch-up of other instances' sessions from the database copies of their logs: per session, from its first event
 * after `afterId` up to what the feed has published here. Whatever the feed publishes after that, the subscriber gets
 * live, so nothing is missed or sent twice at the switch.
 */
export function otherInstancesBacklog(options: OtherInstancesBacklogOptions): OtherInstancesBacklog {
  const { database, feed, afterId, visible } = options;
  const events = options.events && options.events.length > 0 ? [...options.events] : undefined;
  /** Per session, the seq read through. */
  const cursors = new Map<string, number>();
  const behind = (): [string, number][] =>
    [...feed.publishedThrough()].filter(([sessionId, seq]) => !feed.isHere(sessionId) && visible(sessionId) && (cursors.get(sessionId) ?? -1) < seq);

  const startOf = async (sessionId: string): Promise<number> => {
    // a session's ids grow with its seq: its last event at or before afterId, by the (session_id, id) index
    const row = await database.query<{ seq: string }>(
      'SELECT seq FROM wamux_events WHERE session_id = $1 AND id <= $2 ORDER BY id DESC LIMIT 1',
      [sessionId, afterId],
    );
    return Number(row.rows[0]?.seq ?? 0);
  };

  return {
    caughtUp: () => behind().length === 0,
    async read(): Promise<EventEnvelope[]> {
      const page: EventEnvelope[] = [];
      for (const [sessionId, publishedSeq] of behind()) {
        const from = cursors.get(sessionId) ?? (await startOf(sessionId));
        const rows = await database.query<{ seq: string; envelope: string }>(
          `SELECT seq, envelope FROM wamux_events WHERE session_id = $1 AND seq > $2 AND seq <= $3${events ? ' AND event = ANY($5)' : ''}
           ORDER BY seq LIMIT $4`,
          events ? [sessionId, from, publishedSeq, PAGE, events] : [sessionId, from, publishedSeq, PAGE],
        );
        for (const row of rows.rows) page.push(JSON.parse(row.envelope) as EventEnvelope);
        // a page that is not full read everything up to what was published (also events of other types, skipped)
        cursors.set(sessionId, rows.rows.length === PAGE ? Number(rows.rows.at(-1)!.seq) : publishedSeq);
      }
      return page;
    },
  };
}
