import type { EventEnvelope, EventType } from './event-envelope.js';

export const BACKLOG_PAGE_SIZE = 500;

/**
 * What a subscriber missed, read a page at a time, oldest first. A page read from this process's logs comes
 * synchronously, and an empty one means "nothing more right now": the subscriber then joins the live set in the same
 * step, so no event falls between the two (events are appended to their log before they are published, in one
 * synchronous step). A page that needed a read elsewhere (another instance's sessions, from the database) comes as a
 * promise, and an empty one is not the end: the next page is asked for.
 */
export interface Backlog {
  nextPage(): EventEnvelope[] | Promise<EventEnvelope[]>;
}

/** What a backlog reads from one session's log (SqliteEventLog). */
export interface BacklogLog {
  eventsAfterId(afterId: string, limit: number, events?: readonly EventType[]): EventEnvelope[];
}

/** Where one of another instance's sessions stands in a catch-up: its events are read by seq, after `afterSeq`. */
export interface RemoteRead {
  sessionId: string;
  afterSeq: number;
  /** The last seq published live here: the catch-up reads no further (what comes after arrives live). */
  upToSeq: number;
}

/**
 * Other instances' sessions in a cluster: their events reach this process's live stream as they land in the
 * database, so a catch-up reads them from there, up to what has been published live here.
 */
export interface OtherInstancesSource {
  /** False until it knows what has been published here (the cluster's feed has not started yet). */
  ready(): boolean;
  whenReady(): Promise<void>;
  /** Synchronous: per session of another instance, the last seq published live here. */
  published(): ReadonlyMap<string, number>;
  /** Per session, the seq after which its events with an id above the one given begin (never past what may be skipped). */
  startSeqs(starts: { sessionId: string; afterId: string; upToSeq: number }[]): Promise<Map<string, number>>;
  /** Per session, its next events after afterSeq and up to upToSeq, at most `limit`, oldest first, with their seqs. */
  read(reads: RemoteRead[], limit: number, events?: readonly EventType[]): Promise<Map<string, { seq: number; envelope: EventEnvelope }[]>>;
}

/** What a cluster adds to an all-sessions catch-up. */
export interface OtherInstancesCatchUp {
  /**
   * Other instances' events reach this one's stream a moment after they were made, so a client that was on another
   * instance may have missed events older than its last one: an all-sessions resume starts this much earlier (what
   * it repeats keeps its id).
   */
  resumeMarginMs: number;
  source: OtherInstancesSource;
}

export interface MergedBacklogOptions {
  /** Exclusive: the last event the client saw. */
  afterId: string;
  /** This process's sessions; read again for every page, so a session that appears during the catch-up is not missed. */
  sessionIds: () => string[];
  /** undefined for a session that is gone: it is left out. */
  logOf: (sessionId: string) => BacklogLog | undefined;
  events?: readonly EventType[];
  pageSize?: number;
  /** A cluster: other instances' sessions, merged in as well. */
  others?: OtherInstancesSource;
  /** Which of other instances' sessions the subscriber may see (this process's come filtered in sessionIds). */
  visible?: (sessionId: string) => boolean;
}

interface Cursor {
  buffer: EventEnvelope[];
  next: number;
  /** This process's log: the last id read. */
  readUpTo: string;
  /** Another instance's session: the last seq read. */
  seq: number;
}

const exhausted = (cursor: Cursor) => cursor.next >= cursor.buffer.length;

/**
 * A k-way merge by id of several sessions' logs after one id: ids sort by creation across sessions, so "after X"
 * means every session's events with a larger id. Each session keeps a page of read-ahead; a session whose
 * read-ahead runs out is read again before another of its events could be passed over. In a cluster the other
 * instances' sessions take part the same way, read from the database (asynchronously) up to what has been published
 * live here; a session that moves between this instance and another during the catch-up goes on from its last event
 * sent.
 */
export function mergedBacklog(options: MergedBacklogOptions): Backlog {
  const pageSize = options.pageSize ?? BACKLOG_PAGE_SIZE;
  const visible = options.visible ?? (() => true);
  const local = new Map<string, Cursor>();
  const remote = new Map<string, Cursor>();
  /** Per session, the last event sent: where it goes on should it move between this instance and another. */
  const lastSentOf = new Map<string, string>();
  let lastSent = options.afterId;
  const startOf = (sessionId: string) => lastSentOf.get(sessionId) ?? lastSent;

  /** false when the session's log is gone. */
  const refillLocal = (sessionId: string, cursor: Cursor): boolean => {
    const log = options.logOf(sessionId);
    if (!log) return false;
    cursor.buffer = log.eventsAfterId(cursor.readUpTo, pageSize, options.events);
    cursor.next = 0;
    if (cursor.buffer.length > 0) cursor.readUpTo = cursor.buffer[cursor.buffer.length - 1]!.id;
    return true;
  };

  const syncLocal = (): void => {
    const active = new Set(options.sessionIds());
    for (const sessionId of local.keys()) if (!active.has(sessionId)) local.delete(sessionId);
    for (const sessionId of active) {
      let cursor = local.get(sessionId);
      // a session new since the last page only has events created after everything sent so far
      if (!cursor) local.set(sessionId, (cursor = { buffer: [], next: 0, readUpTo: startOf(sessionId), seq: 0 }));
      // an exhausted log may have grown since the last page
      if (exhausted(cursor) && !refillLocal(sessionId, cursor)) local.delete(sessionId);
    }
  };

  /** Other instances' sessions whose read-ahead must be read before merging, or undefined when none. */
  const remoteWork = (published: ReadonlyMap<string, number>): { fresh: string[]; behind: string[] } | undefined => {
    for (const sessionId of remote.keys()) if (!published.has(sessionId) || local.has(sessionId)) remote.delete(sessionId);
    const fresh: string[] = [];
    const behind: string[] = [];
    for (const [sessionId, upTo] of published) {
      if (local.has(sessionId) || !visible(sessionId)) continue;
      const cursor = remote.get(sessionId);
      if (!cursor) fresh.push(sessionId);
      else if (exhausted(cursor) && cursor.seq < upTo) behind.push(sessionId);
    }
    return fresh.length > 0 || behind.length > 0 ? { fresh, behind } : undefined;
  };

  const readRemote = async (source: OtherInstancesSource, work: { fresh: string[]; behind: string[] }): Promise<void> => {
    const published = source.published();
    if (work.fresh.length > 0) {
      const starts = await source.startSeqs(
        work.fresh.map((sessionId) => ({ sessionId, afterId: startOf(sessionId), upToSeq: published.get(sessionId) ?? 0 })),
      );
      for (const sessionId of work.fresh) remote.set(sessionId, { buffer: [], next: 0, readUpTo: '', seq: starts.get(sessionId) ?? 0 });
    }
    const reads: RemoteRead[] = [];
    for (const [sessionId, cursor] of remote) {
      const upToSeq = published.get(sessionId) ?? cursor.seq;
      if (exhausted(cursor) && cursor.seq < upToSeq) reads.push({ sessionId, afterSeq: cursor.seq, upToSeq });
    }
    if (reads.length === 0) return;
    const pages = await source.read(reads, pageSize, options.events);
    for (const { sessionId, upToSeq } of reads) {
      const cursor = remote.get(sessionId);
      if (!cursor) continue;
      const rows = pages.get(sessionId) ?? [];
      cursor.buffer = rows.map((row) => row.envelope);
      cursor.next = 0;
      // a page that is not full read everything up to what was published (events of other types included)
      cursor.seq = rows.length === pageSize ? rows[rows.length - 1]!.seq : upToSeq;
    }
  };

  /** Merges what is read ahead; stops where a session of another instance must be read again first. */
  const merge = (published: ReadonlyMap<string, number>): EventEnvelope[] => {
    const page: EventEnvelope[] = [];
    while (page.length < pageSize) {
      let smallest: [string, Cursor, boolean] | undefined;
      for (const [cursors, isLocal] of [
        [local, true],
        [remote, false],
      ] as const) {
        for (const [sessionId, cursor] of cursors) {
          if (exhausted(cursor)) continue;
          if (!smallest || cursor.buffer[cursor.next]!.id < smallest[1].buffer[smallest[1].next]!.id) smallest = [sessionId, cursor, isLocal];
        }
      }
      if (!smallest) break;
      const [sessionId, cursor, isLocal] = smallest;
      const envelope = cursor.buffer[cursor.next++]!;
      page.push(envelope);
      lastSent = envelope.id;
      lastSentOf.set(sessionId, envelope.id);
      if (!exhausted(cursor)) continue;
      // read again at once, full or not: its log may hold events (older ones, or ones logged since its last read)
      // smaller than the other sessions' heads, which were read later
      if (isLocal) {
        if (!refillLocal(sessionId, cursor)) local.delete(sessionId);
      } else if (cursor.seq < (published.get(sessionId) ?? 0)) {
        break;
      }
    }
    return page;
  };

  return {
    nextPage(): EventEnvelope[] | Promise<EventEnvelope[]> {
      syncLocal();
      const source = options.others;
      if (!source) return merge(new Map());
      if (!source.ready()) return source.whenReady().then(() => []);
      const work = remoteWork(source.published());
      if (!work) return merge(source.published());
      return readRemote(source, work).then(() => {
        syncLocal();
        const published = source.published();
        // published further meanwhile: read again before merging (an empty page here only means "ask again")
        return remoteWork(published) ? [] : merge(published);
      });
    },
  };
}
