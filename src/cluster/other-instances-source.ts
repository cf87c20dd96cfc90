import type { EventEnvelope, EventType } from '../events/event-envelope.js';
import type { OtherInstancesSource, RemoteRead } from '../events/event-backlog.js';
import type { ClusterDatabase } from './cluster-database.js';

/** What the event feed has published of each session (see ClusterEventFeed). */
export interface PublishedEvents {
  /** Per session, the last event (seq) read: published here unless the session is this instance's. */
  publishedThrough(): ReadonlyMap<string, number>;
  isHere(sessionId: string): boolean;
}

/**
 * Other instances' sessions for a live stream's catch-up, from the database copies of their logs. `feed` is
 * undefined until this instance joined the cluster; `joined` resolves then.
 */
export function otherInstancesSource(deps: { database: Pick<ClusterDatabase, 'query'>; feed: () => PublishedEvents | undefined; joined: Promise<void> }): OtherInstancesSource {
  return {
    ready: () => deps.feed() !== undefined,
    whenReady: () => deps.joined,
    published() {
      const feed = deps.feed();
      const published = new Map<string, number>();
      for (const [sessionId, seq] of feed?.publishedThrough() ?? []) if (!feed!.isHere(sessionId)) published.set(sessionId, seq);
      return published;
    },
    async startSeqs(starts) {
      // the first event after the id, by the (session_id, id) index; the seq before it, so that an event older than
      // the id but later in the log (another owner's clock) is sent again rather than skipped
      const rows = await deps.database.query<{ session_id: string; seq: string | null }>(
        `SELECT s.session_id, (SELECT min(e.seq) - 1 FROM wamux_events e WHERE e.session_id = s.session_id AND e.id > s.after_id) AS seq
         FROM unnest($1::text[], $2::text[]) AS s(session_id, after_id)`,
        [starts.map((start) => start.sessionId), starts.map((start) => start.afterId)],
      );
      const found = new Map(rows.rows.map((row) => [row.session_id, row.seq === null ? undefined : Number(row.seq)]));
      // none after the id: nothing to read up to what was published
      return new Map(starts.map((start) => [start.sessionId, found.get(start.sessionId) ?? start.upToSeq]));
    },
    async read(reads: RemoteRead[], limit: number, events?: readonly EventType[]) {
      const types = events && events.length > 0 ? [...events] : null;
      const rows = await deps.database.query<{ session_id: string; seq: string; envelope: string }>(
        `SELECT r.session_id, e.seq, e.envelope
         FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS r(session_id, after_seq, up_to)
         CROSS JOIN LATERAL (
           SELECT seq, envelope FROM wamux_events
           WHERE session_id = r.session_id AND seq > r.after_seq AND seq <= r.up_to AND ($5::text[] IS NULL OR event = ANY($5::text[]))
           ORDER BY seq LIMIT $4
         ) e
         ORDER BY r.session_id, e.seq`,
        [reads.map((read) => read.sessionId), reads.map((read) => read.afterSeq), reads.map((read) => read.upToSeq), limit, types],
      );
      const pages = new Map<string, { seq: number; envelope: EventEnvelope }[]>();
      for (const row of rows.rows) {
        const page = pages.get(row.session_id) ?? [];
        page.push({ seq: Number(row.seq), envelope: JSON.parse(row.envelope) as EventEnvelope });
        pages.set(row.session_id, page);
      }
      return pages;
    },
  };
}
