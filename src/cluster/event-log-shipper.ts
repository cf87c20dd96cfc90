import type { Logger } from '../shared/logger.js';
import { describeError } from '../shared/errors.js';
import type { ReplicationMark } from '../events/event-log-replication.js';
import type { SqliteEventLog } from '../events/event-log.js';
import type { EventLogCopies } from './event-log-copies.js';
import { LeaseLostError } from './fencing.js';

const BATCH = 1_000;
/** How often the copy of a log is pruned as the log itself was. */
const PRUNE_EVERY_MS = 60_000;

export interface EventLogShipperDeps {
  copies: EventLogCopies;
  /** The fencing token of a session this instance holds; undefined when it does not. */
  tokenOf: (sessionId: string) => string | undefined;
  /** The session's log, if it is open here. */
  logOf: (sessionId: string) => SqliteEventLog | undefined;
  intervalMs: number;
  logger: Logger;
  /** Told after new events of the session reached the database (its webhooks may now go out). */
  onCopied?: (sessionId: string) => void;
}

/**
 * Copies each held session's new events and delivery changes to the cluster's database a moment after they are
 * written (every intervalMs), so that an instance that dies takes at most that moment's events with it.
 */
export class EventLogShipper {
  private readonly marks = new Map<string, ReplicationMark>();
  /** The newest event (seq) of each session the database has. */
  private readonly copiedThrough = new Map<string, number>();
  private readonly shipping = new Map<string, Promise<boolean>>();
  private readonly prunedAt = new Map<string, number>();
  /** Sessions written to while a copy was under way: copied again when it ends. */
  private readonly again = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: EventLogShipperDeps) {}

  start(): void {
    this.timer ??= setInterval(() => {
      for (const sessionId of this.marks.keys()) void this.flush(sessionId);
    }, this.deps.intervalMs);
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** From now on the session's log is copied from this mark (where the restore left it). */
  follow(sessionId: string, mark: ReplicationMark): void {
    this.marks.set(sessionId, mark);
    this.copiedThrough.set(sessionId, mark.seq);
  }

  forget(sessionId: string): void {
    this.prunedAt.delete(sessionId);
    this.marks.delete(sessionId);
    this.copiedThrough.delete(sessionId);
  }

  /** Whether the database has this event of the session (a webhook goes out only for an event no failover can lose). */
  isCopied(sessionId: string, eventSeq: number): boolean {
    return eventSeq <= (this.copiedThrough.get(sessionId) ?? 0);
  }

  /**
   * Copies everything written so far: at once, or right after a copy under way (which a burst of writes joins
   * rather than queueing one copy each). Before a hand-over, so that nothing stays behind.
   */
  flush(sessionId: string): Promise<boolean> {
    const running = this.shipping.get(sessionId);
    if (running) {
      this.again.add(sessionId);
      return running;
    }
    const done = (async () => {
      let complete: boolean;
      do {
        this.again.delete(sessionId);
        complete = await this.shipAll(sessionId);
      } while (complete && this.again.has(sessionId));
      return complete;
    })().finally(() => this.shipping.delete(sessionId));
    this.shipping.set(sessionId, done);
    return done;
  }

  private async pruneIfDue(sessionId: string, token: string, log: SqliteEventLog): Promise<void> {
    const now = Date.now();
    if (now - (this.prunedAt.get(sessionId) ?? 0) < PRUNE_EVERY_MS) return;
    this.prunedAt.set(sessionId, now);
    const oldest = log.replication().oldestSeq();
    if (oldest === undefined) return;
    await this.deps.copies.prune(sessionId, token, oldest).catch((error: unknown) =>
      this.deps.logger.warn('could not prune the cluster copy of the event log', { session: sessionId, error: describeError(error) }),
    );
  }

  /** Resolves with whether everything written is in the database now (false: a copy failed, or the lease is gone). */
  private async shipAll(sessionId: string): Promise<boolean> {
    for (;;) {
      const mark = this.marks.get(sessionId);
      const token = this.deps.tokenOf(sessionId);
      const log = this.deps.logOf(sessionId);
      if (mark === undefined || token === undefined) return false;
      if (log === undefined || !log.isOpen()) return true;
      const changes = log.replication().changesSince(mark, BATCH);
      try {
        await this.deps.copies.ship(sessionId, token, changes);
      } catch (error) {
        if (error instanceof LeaseLostError) this.marks.delete(sessionId);
        this.deps.logger.warn('could not copy the event log to the cluster', { session: sessionId, error: describeError(error) });
        return false;
      }
      if (this.marks.get(sessionId) === mark) this.marks.set(sessionId, changes.next);
      if (changes.events.length > 0 && this.marks.has(sessionId)) {
        this.copiedThrough.set(sessionId, changes.next.seq);
        this.deps.onCopied?.(sessionId);
      }
      if (changes.events.length < BATCH && changes.deliveries.length < BATCH) {
        await this.pruneIfDue(sessionId, token, log);
        return true;
      }
    }
  }
}
