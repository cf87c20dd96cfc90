import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from '../shared/logger.js';
import { describeError } from '../shared/errors.js';
import type { RetentionPolicy } from './event-log-pruning.js';

/** What the retention needs of one open log. */
export interface PrunableLog {
  pruneStep(policy: RetentionPolicy, now?: number): number;
  reclaimStep(): number;
  checkpoint(): void;
  liveBytes(): number;
  /** false once the log was closed (its session deleted or the server stopping). */
  isOpen(): boolean;
}

export interface EventRetentionDeps {
  /** The logs open now, by session. */
  openLogs: () => Iterable<[string, PrunableLog]>;
  policy: RetentionPolicy;
  intervalMs: number;
  logger: Logger;
}

/**
 * Keeps each session's event log within its age and size limits while the session runs: on an interval, every
 * open log is pruned a batch at a time, yielding between batches (SQLite calls hold the server's one thread), then
 * its free pages go back to the file system and the write-ahead log is checkpointed.
 */
export class EventRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly deps: EventRetentionDeps) {}

  start(): void {
    this.timer ??= setInterval(() => void this.runOnce(), this.deps.intervalMs).unref();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass over the open logs; a pass under way is joined. */
  runOnce(): Promise<void> {
    const running =
      this.running ??
      this.pass().finally(() => {
        this.running = undefined;
      });
    this.running = running;
    return running;
  }

  private async pass(): Promise<void> {
    for (const [sessionId, log] of [...this.deps.openLogs()]) {
      // one log per turn: a pass over hundreds of logs never holds the server's thread for all of them
      await nextTurn();
      if (this.closed) return;
      try {
        await this.prune(sessionId, log);
      } catch (error) {
        // a log closed meanwhile (session deleted) or a disk error: the next pass tries again
        this.deps.logger.warn('event log pruning failed', { session: sessionId, error: describeError(error) });
      }
    }
  }

  private async prune(sessionId: string, log: PrunableLog): Promise<void> {
    const going = () => !this.closed && log.isOpen();
    let events = 0;
    for (let step = going() ? log.pruneStep(this.deps.policy) : 0; step > 0; step = going() ? log.pruneStep(this.deps.policy) : 0) {
      events += step;
      await nextTurn();
    }
    let pages = 0;
    for (let step = going() ? log.reclaimStep() : 0; step > 0; step = going() ? log.reclaimStep() : 0) {
      pages += step;
      await nextTurn();
    }
    // nothing changed: SQLite's own checkpoints keep the write-ahead log short, and a TRUNCATE costs an fsync
    if (!going() || (events === 0 && pages === 0)) return;
    log.checkpoint();
    this.deps.logger.info('event log pruned', { session: sessionId, events, pagesFreed: pages, liveMib: Math.round(log.liveBytes() / 1048576) });
  }
}
