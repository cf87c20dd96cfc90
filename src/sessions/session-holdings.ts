import type { Logger } from '../shared/logger.js';
import { describeError } from '../shared/errors.js';
import type { KeyedLock } from '../shared/keyed-lock.js';
import type { SessionStore } from '../storage/session-store.js';
import type { SessionConfig } from './session-config.js';
import type { SessionLifecycle } from './session-lifecycle.js';
import type { SessionRegistry } from './session-registry.js';
import type { Session } from './session.js';
import { loadSavedSession, loadSavedSessions, sessionsWantedRunning, type LoadResult } from './saved-sessions.js';

export interface SessionHoldingsDeps {
  store: SessionStore;
  logger: Logger;
  lockTimeoutMs: number;
  afterRelinquish?: (sessionId: string) => Promise<void>;
  shuttingDown: () => boolean;
  /** Puts a loaded session (STOPPED) into the registry. */
  add: (sessionId: string, config: SessionConfig, createdAt: string) => Session;
  configDefaults: () => { sandbox: boolean };
  start: (sessionId: string, reason: string) => { settled: Promise<void> };
  /** Cancels a scheduled crash restart and aborts a start in progress. */
  interrupt: (sessionId: string) => Session;
  lock: KeyedLock;
  lifecycle: Pick<SessionLifecycle, 'teardown' | 'killNow'>;
}

/**
 * Which sessions this process holds: those it loads at boot, one it takes over from a dead instance of a cluster,
 * and one it gives up because another instance holds it now. The manager's part for each session's life.
 */
export class SessionHoldings {
  constructor(
    private readonly registry: SessionRegistry,
    private readonly deps: SessionHoldingsDeps,
  ) {}

  /** Every saved session this process can own (see saved-sessions.ts); boot calls it once. */
  loadSaved(): Promise<LoadResult> {
    return loadSavedSessions({ store: this.deps.store, add: this.deps.add, defaults: this.deps.configDefaults() });
  }

  /** What boot brings back: sessions the user left running, and those that were asleep (see markHibernated). */
  wantedRunning(): Promise<{ running: string[]; hibernated: string[] }> {
    return sessionsWantedRunning(this.deps.store, this.registry.all());
  }

  /** Sessions that were asleep when the server stopped are HIBERNATED again, with no browser. */
  markHibernated(sessionIds: readonly string[]): void {
    for (const sessionId of sessionIds) {
      const session = this.registry.has(sessionId) ? this.registry.get(sessionId) : undefined;
      if (session?.status.status === 'STOPPED') session.status.moveTo('HIBERNATED', 'asleep when the server stopped');
    }
  }

  /** Boot could not prepare a loaded session (e.g. an old browser on its profile would not die): FAILED, not restored. */
  failAtBoot(sessionId: string, reason: string): void {
    const session = this.registry.has(sessionId) ? this.registry.get(sessionId) : undefined;
    if (session?.status.status === 'STOPPED') session.status.moveTo('FAILED', reason);
  }

  /**
   * Cluster: takes over a saved session that no live instance holds (its lease is claimed with it) and brings it to
   * the state its user wants: started, asleep, or stopped. `settled` resolves once a start is over.
   */
  async adopt(sessionId: string, reason: string): Promise<{ loaded: boolean; settled: Promise<void> }> {
    const none = { loaded: false, settled: Promise.resolve() };
    if (this.deps.shuttingDown() || this.registry.isInUse(sessionId)) return none;
    this.registry.creating.add(sessionId);
    const result: LoadResult = { loaded: [], skipped: [] };
    try {
      await loadSavedSession({ store: this.deps.store, add: this.deps.add, defaults: this.deps.configDefaults() }, sessionId, result);
    } finally {
      this.registry.creating.delete(sessionId);
    }
    if (result.loaded.length === 0) return none;
    const { running, hibernated } = await sessionsWantedRunning(this.deps.store, [this.registry.get(sessionId)]);
    if (hibernated.includes(sessionId)) this.markHibernated([sessionId]);
    if (!running.includes(sessionId)) return { loaded: true, settled: Promise.resolve() };
    return { loaded: true, settled: this.deps.start(sessionId, reason).settled };
  }

  /**
   * Cluster: another instance holds the session now. Its browser is killed at once, nothing more is saved for it
   * (the store would refuse: the lease is gone), and this process forgets it; its files here stay.
   */
  async relinquish(sessionId: string, reason: string): Promise<void> {
    if (!this.registry.has(sessionId)) return;
    const session = this.deps.interrupt(sessionId);
    session.release = undefined;
    session.unusableReason = reason;
    const { lifecycle } = this.deps;
    // killed at once (another instance may start its browser a moment from now), without waiting for an operation
    // under way; then torn down again once that has let go, for a browser it launched meanwhile
    await lifecycle.killNow(session).catch((error: unknown) => session.log('error', `could not kill the browser: ${describeError(error)}`));
    await lifecycle.teardown(session);
    await this.deps.lock
      .run(sessionId, () => lifecycle.teardown(session), { timeoutMs: this.deps.lockTimeoutMs, label: 'relinquish' })
      .catch(() => lifecycle.teardown(session));
    if (this.registry.isCurrent(session)) this.registry.remove(sessionId);
    await this.deps.afterRelinquish?.(sessionId);
    this.deps.logger.warn('session taken over by another instance: its browser here is closed', { session: sessionId, reason });
  }
}
