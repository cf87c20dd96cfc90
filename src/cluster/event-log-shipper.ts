import type { Logger } from '../shared/logger.js';
import { describeError } from '../shared/errors.js';
import type { ReplicationMark } from '../events/event-log-replication.js';
import type { SqliteEventLog } from '../events/event-log.js';
import type { EventLogCopies } from './event-log-copies.js';
import { LeaseLostError } from './fencing.js';

const BATCH = 1_000;

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
  /** The newest event of each session the database has (ids sort in log order). */
  private readonly copiedThrough = new Map<string, string>();
  private readonly shipping = new Map<string, Promise<void>>();
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

  /** From now on the session's log is copied from this mark (where the restore left it, with its newest event). */
  follow(sessionId: string, mark: ReplicationMark, newestId: string | undefined): void {
    this.marks.set(sessionId, mark);
    if (newestId === undefined) this.copiedThrough.delete(sessionId);
    else this.copiedThrough.set(sessionId, newestId);
  }

  forget(sessionId: string): void {
    this.marks.delete(sessionId);
    this.copiedThrough.delete(sessionId);
  }

  /** Whether the database has this event of the session (a webhook goes out only for an event no failover can lose). */
  isCopied(sessionId: string, eventId: string): boolean {
    const through = this.copiedThrough.get(sessionId);
    return through !== undefined && eventId <= through;
  }

  /**
   * Copies everything written so far: at once, or right after a copy under way (which a burst of writes joins
   * rather than queueing one copy each). Before a hand-over, so that nothing stays behind.
   */
  flush(sessionId: string): Promise<void> {
    const running = this.shipping.get(sessionId);
    if (running) {
      this.again.add(sessionId);
      return running;
    }
    const done = (async () => {
      do {
        this.again.delete(sessionId);
        await this.shipAll(sessionId);
      } while (this.again.has(sessionId));
    })().finally(() => this.shipping.delete(sessionId));
    this.shipping.set(sessionId, done);
    return done;
  }

  private async shipAll(sessionId: string): Promise<void> {
    for (;;) {
      const mark = this.marks.get(sessionId);
      const token = this.deps.tokenOf(sessionId);
      const log = this.deps.logOf(sessionId);
      if (mark === undefined || token === undefined || log === undefined || !log.isOpen()) return;
      const changes = log.replication().changesSince(mark, BATCH);
      try {
        await this.deps.copies.ship(sessionId, token, changes);
      } catch (error) {
        if (error instanceof LeaseLostError) this.marks.delete(sessionId);
        this.deps.logger.warn('could not copy the event log to the cluster', { session: sessionId, error: describeError(error) });
        return;
      }
      if (this.marks.get(sessionId) === mark) this.marks.set(sessionId, changes.next);
      const newest = changes.events.at(-1)?.id;
      if (newest !== undefined && this.marks.has(sessionId)) {
        this.copiedThrough.set(sessionId, newest);
        this.deps.onCopied?.(sessionId);
      }
      if (changes.events.length < BATCH && changes.deliveries.length < BATCH) return;
    }
  }
}
