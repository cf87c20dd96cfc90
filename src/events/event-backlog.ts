import type { EventEnvelope, EventType } from './event-envelope.js';

export const BACKLOG_PAGE_SIZE = 500;

/**
 * What a subscriber missed, read a page at a time, oldest first. A page read from this process's logs comes
 * synchronously, and an empty one means "nothing more right now": the subscriber then joins the live set in the same
 * step, so no event falls between the two (events are appended to their log before they are published, in one
 * synchronous step). A page read elsewhere (another instance's sessions, from the database) comes as a promise, and
 * an empty one is not the end: the next page is asked for.
 */
export interface Backlog {
  nextPage(): EventEnvelope[] | Promise<EventEnvelope[]>;
}

/** A backlog read from this process's own logs: always synchronous. */
export interface LogBacklog extends Backlog {
  nextPage(): EventEnvelope[];
}

/** What a backlog reads from one session's log (SqliteEventLog). */
export interface BacklogLog {
  eventsAfterId(afterId: string, limit: number, events?: readonly EventType[]): EventEnvelope[];
}

export interface MergedBacklogOptions {
  /** Exclusive: the last event the client saw. */
  afterId: string;
  /** Read again for every page, so a session that appears during the catch-up is not missed. */
  sessionIds: () => string[];
  /** undefined for a session that is gone: it is left out. */
  logOf: (sessionId: string) => BacklogLog | undefined;
  events?: readonly EventType[];
  pageSize?: number;
}

/**
 * Other instances' sessions in a cluster: their events reach this process's live stream as they land in the database,
 * so a catch-up reads them from there, up to what has been published live here.
 */
export interface OtherInstancesBacklog {
  /** Synchronous: every event of those sessions published live so far has been read (so joining now loses none). */
  caughtUp(): boolean;
  /** The next events of those sessions, each session's in its order, never past what has been published live. */
  read(): Promise<EventEnvelope[]>;
}

export interface OtherInstancesCatchUp {
  /**
   * Other instances' events reach this one's stream up to a moment after they were made, so a client that was on
   * another instance may have missed events older than its last one: an all-sessions resume starts this much earlier
   * (what it repeats keeps its id).
   */
  resumeMarginMs: number;
  backlog: (options: { afterId: string; events?: EventType[]; visible: (sessionId: string) => boolean }) => OtherInstancesBacklog;
}

/** This process's logs first; once they have nothing more, other instances' sessions until those are caught up too. */
export function withOtherInstances(local: LogBacklog, others: OtherInstancesBacklog): Backlog {
  return {
    nextPage() {
      const page = local.nextPage();
      if (page.length > 0 || others.caughtUp()) return page;
      return others.read();
    },
  };
}

/**
 * A k-way merge by id of several sessions' logs after one id: ids sort by creation across sessions, so "after X"
 * means every session's events with a larger id. Each session keeps a page of read-ahead; a session whose
 * read-ahead runs out is read again before another of its events could be passed over.
 */
export function mergedBacklog(options: MergedBacklogOptions): LogBacklog {
  const pageSize = options.pageSize ?? BACKLOG_PAGE_SIZE;
  interface Cursor {
    buffer: EventEnvelope[];
    next: number;
    /** The last id read from this log. */
    readUpTo: string;
  }
  const cursors = new Map<string, Cursor>();
  let lastSent = options.afterId;

  /** false when the session's log is gone. */
  const refill = (sessionId: string, cursor: Cursor): boolean => {
    const log = options.logOf(sessionId);
    if (!log) return false;
    cursor.buffer = log.eventsAfterId(cursor.readUpTo, pageSize, options.events);
    cursor.next = 0;
    if (cursor.buffer.length > 0) cursor.readUpTo = cursor.buffer[cursor.buffer.length - 1]!.id;
    return true;
  };

  return {
    nextPage(): EventEnvelope[] {
      const active = new Set(options.sessionIds());
      for (const sessionId of cursors.keys()) if (!active.has(sessionId)) cursors.delete(sessionId);
      for (const sessionId of active) {
        let cursor = cursors.get(sessionId);
        // a session new since the last page only has events created after everything sent so far
        if (!cursor) cursors.set(sessionId, (cursor = { buffer: [], next: 0, readUpTo: lastSent }));
        // an exhausted log may have grown since the last page
        if (cursor.next >= cursor.buffer.length && !refill(sessionId, cursor)) cursors.delete(sessionId);
      }
      const page: EventEnvelope[] = [];
      while (page.length < pageSize) {
        let smallest: [string, Cursor] | undefined;
        for (const entry of cursors) {
          const cursor = entry[1];
          if (cursor.next >= cursor.buffer.length) continue;
          if (!smallest || cursor.buffer[cursor.next]!.id < smallest[1].buffer[smallest[1].next]!.id) smallest = entry;
        }
        if (!smallest) break;
        const [sessionId, cursor] = smallest;
        const envelope = cursor.buffer[cursor.next++]!;
        page.push(envelope);
        lastSent = envelope.id;
        // read again at once, full or not: its log may hold events (older ones, or ones logged since its last read)
        // smaller than the other sessions' heads, which were read later
        if (cursor.next >= cursor.buffer.length && !refill(sessionId, cursor)) cursors.delete(sessionId);
      }
      return page;
    },
  };
}
