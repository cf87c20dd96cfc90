import type { Logger } from '../shared/logger.js';
import { describeError } from '../shared/errors.js';
import { withTimeout } from '../shared/timing.js';
import type { PageMessageLimits } from '../wa/wa-client.js';
import type { Session } from './session.js';

/** A page that does not answer within this holds up no other session's sweep. */
const UNLOAD_DEADLINE_MS = 20_000;

export interface MemorySweeperSettings {
  limits: PageMessageLimits;
  intervalMs: number;
  /** --session-memory-limit-mib: a browser whose processes together pass it is recycled; undefined = never. */
  browserLimitMib: number | undefined;
}

export interface MemorySweeperDeps {
  sessions: () => readonly Session[];
  /** PSS of all the processes of the session's browser, in MiB. */
  browserMemoryMib: (sessionId: string) => Promise<number>;
  /** New browser, same login, at a quiet moment; false when it was not done (busy, no longer WORKING). */
  recycle: (sessionId: string, reason: string) => Promise<boolean>;
  settings: MemorySweeperSettings;
  logger: Logger;
}

/**
 * Keeps each WORKING session's browser from growing with the messages it handles. Every interval, one session at a
 * time (a fleet does not ask every renderer for a collection at once): the oldest messages beyond the limits are
 * unloaded from WhatsApp Web's models (they stay in its database); then, with a memory limit set, a browser still
 * over it is recycled, the last line of defence.
 */
export class MemorySweeper {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private readonly recycles = new WeakMap<Session, number>();
  /** Sessions whose last unload failed: told once per streak at warn level, then at debug. */
  private readonly failing = new WeakSet<Session>();
  private closed = false;

  constructor(private readonly deps: MemorySweeperDeps) {}

  start(): void {
    this.timer ??= setInterval(() => void this.sweep(), this.deps.settings.intervalMs).unref();
  }

  /** No sweep starts from now on, and one under way stops after the session it is at. */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** How many times the sweeper recycled this session's browser since the server started. */
  recyclesOf(session: Session): number {
    return this.recycles.get(session) ?? 0;
  }

  /** One pass over the sessions; a pass still under way is joined, not doubled. */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepAll().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async sweepAll(): Promise<void> {
    for (const session of this.deps.sessions()) {
      if (this.closed) return;
      if (!session.client || session.status.status !== 'WORKING') continue;
      await this.unloadOldMessages(session);
      await this.enforceLimit(session);
    }
  }

  private async unloadOldMessages(session: Session): Promise<void> {
    const client = session.client;
    if (!client) return;
    try {
      const unloaded = await withTimeout(client.unloadOldMessages(this.deps.settings.limits), UNLOAD_DEADLINE_MS, 'the page did not answer');
      this.failing.delete(session);
      if (unloaded > 0) this.deps.logger.debug('unloaded old messages from the page', { session: session.id, unloaded });
    } catch (error) {
      // gone meanwhile (stop, sleep, crash): the session's own lifecycle reports that
      if (session.client !== client || session.status.status !== 'WORKING') return;
      // still there: WhatsApp Web may have changed, and the page would grow unseen
      const firstOfStreak = !this.failing.has(session);
      this.failing.add(session);
      const level = firstOfStreak ? 'warn' : 'debug';
      this.deps.logger[level]('could not unload old messages from the page', { session: session.id, error: describeError(error) });
      if (firstOfStreak) session.log('warn', `could not unload old messages from the page: ${describeError(error)}`);
    }
  }

  private async enforceLimit(session: Session): Promise<void> {
    const limitMib = this.deps.settings.browserLimitMib;
    if (limitMib === undefined || this.closed || session.status.status !== 'WORKING') return;
    try {
      const usedMib = await this.deps.browserMemoryMib(session.id);
      if (usedMib <= limitMib) return;
      const reason = `browser at ${Math.round(usedMib)} MiB, over the session memory limit of ${limitMib} MiB: recycled`;
      if (!(await this.deps.recycle(session.id, reason))) return;
      const count = this.recyclesOf(session) + 1;
      this.recycles.set(session, count);
      session.log('warn', `${reason} (${count} since the server started)`);
      this.deps.logger.warn('browser recycled: over the session memory limit', { session: session.id, usedMib: Math.round(usedMib), limitMib, count });
    } catch (error) {
      this.deps.logger.warn('memory limit check failed', { session: session.id, error: describeError(error) });
    }
  }
}
