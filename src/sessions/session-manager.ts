import type { Logger } from '../shared/logger.js';
import { ConflictError, LimitReachedError, SessionNotFoundError, describeError, fieldError } from '../shared/errors.js';
import { describeRefusedFlags, refusedFlags, type ChromiumFlagPolicy } from '../browser/chromium-flags.js';
import { KeyedLock } from '../shared/keyed-lock.js';
import type { DesiredState, SessionStore } from '../storage/session-store.js';
import { RestartBudget, type RestartPolicySettings } from './restart-policy.js';
import { Session, type SessionSnapshot } from './session.js';
import { resolveSessionConfig, type SessionConfig, type SessionConfigInput } from './session-config.js';
import { markUnusable, type LoadResult } from './saved-sessions.js';
import { SessionHoldings } from './session-holdings.js';
import { nextStatusIn, type SessionEvents } from './session-events.js';
import { SessionLifecycle, type LifecycleDeps } from './session-lifecycle.js';
import { SessionRegistry } from './session-registry.js';
import { CrashRestarts } from './crash-restarts.js';
import { SessionRemoval } from './session-removal.js';
import { SessionConfigWriter } from './session-config-writer.js';
import { beingDeleted, unusable } from './session-errors.js';
import type { SessionStatus } from './session-status.js';
import type { WaClient } from '../wa/wa-client.js';

export interface SessionManagerSettings {
  maxSessions: number;
  sandboxByDefault: boolean;
  restart: RestartPolicySettings;
  /** How long a lifecycle operation waits for the session's lock. */
  lockTimeoutMs: number;
}

export type SessionManagerDeps = Omit<LifecycleDeps, 'ownedBrowserPids'> & {
  store: SessionStore;
  events: SessionEvents;
  logger: Logger;
  managerSettings: SessionManagerSettings;
  /** Called before a deleted session's folder is removed: close what holds files in it, forget its phone. */
  beforeRemove?: (sessionId: string) => Promise<void>;
  /** Called when another process took the session over: close what this process held open for it. */
  afterRelinquish?: (sessionId: string) => Promise<void>;
};

const RUNNING: ReadonlySet<SessionStatus> = new Set(['SCAN_QR_CODE', 'WORKING']);
/** Statuses a start moves out of itself (anything else belongs to an operation under way); from HIBERNATED it wakes. */
const STARTABLE: ReadonlySet<SessionStatus> = new Set(['STOPPED', 'FAILED', 'CRASHED', 'HIBERNATED']);
const SETTLED: ReadonlySet<SessionStatus> = new Set(['SCAN_QR_CODE', 'WORKING', 'FAILED', 'STOPPED']);

/** All sessions of this process: the Map, the pending set, one lock per session, and crash recovery. */
export class SessionManager {
  private readonly registry = new SessionRegistry();
  private readonly pending = this.registry.pending;
  private readonly deleting = this.registry.deleting;
  private readonly creating = this.registry.creating;
  private readonly lock = new KeyedLock();
  private readonly lifecycle: SessionLifecycle;
  private shuttingDown = false;
  /** The start under way per session (settles, never rejects): a restart lets a wake queued behind its stop finish. */
  private readonly startsUnderWay = new Map<string, Promise<void>>();

  private readonly crashes: CrashRestarts;
  private readonly holdings: SessionHoldings;
  private readonly removal: SessionRemoval;
  private readonly configWriter: SessionConfigWriter;

  constructor(private readonly deps: SessionManagerDeps) {
    this.lifecycle = new SessionLifecycle({ ...deps, ownedBrowserPids: () => this.ownedBrowserPids() });
    const lockedLive = <T>(session: Session, label: string, task: () => Promise<T>) => this.lockedLive(session, label, task);
    this.configWriter = new SessionConfigWriter(this.registry, { store: deps.store, lockedLive });
    this.removal = new SessionRemoval(this.registry, {
      store: deps.store,
      interrupt: (sessionId) => this.interrupt(sessionId),
      locked: (session, label, task) => this.locked(session, label, task),
      lockedLive,
      bringDown: (session, reason) => this.bringDown(session, reason),
      saveDesiredState: (session, desiredState) => this.saveDesiredState(session, desiredState),
      beforeRemove: deps.beforeRemove,
    });
    this.crashes = new CrashRestarts(
      {
        isCurrent: (session) => this.registry.isCurrent(session),
        shuttingDown: () => this.shuttingDown,
        locked: (session, label, task) => this.locked(session, label, task),
        teardown: (session) => this.lifecycle.teardown(session),
        moveTo: (session, status, reason) => this.lifecycle.moveTo(session, status, reason),
        saveDesiredState: (session, desiredState) => this.saveDesiredState(session, desiredState),
        start: (sessionId, reason) => void this.start(sessionId, reason),
      },
      { events: deps.events, logger: deps.logger, maxAttempts: deps.managerSettings.restart.maxAttempts, now: deps.now },
    );
    this.holdings = new SessionHoldings(this.registry, {
      store: deps.store,
      logger: deps.logger,
      lockTimeoutMs: deps.managerSettings.lockTimeoutMs,
      afterRelinquish: deps.afterRelinquish,
      shuttingDown: () => this.shuttingDown,
      add: (sessionId, config, createdAt) => this.addSession(sessionId, config, createdAt),
      configDefaults: () => this.configDefaults(),
      start: (sessionId, reason) => this.start(sessionId, reason),
      interrupt: (sessionId) => this.interrupt(sessionId),
      lock: this.lock,
      lifecycle: this.lifecycle,
    });
  }

  list(): SessionSnapshot[] {
    return this.registry.list();
  }

  all(): Session[] {
    return this.registry.all();
  }

  get(sessionId: string): Session {
    return this.registry.get(sessionId);
  }

  has(sessionId: string): boolean {
    return this.registry.has(sessionId);
  }

  // which sessions this process holds (see session-holdings.ts): boot's loading, a cluster's takeovers
  loadSaved = (): Promise<LoadResult> => this.holdings.loadSaved();
  wantedRunning = () => this.holdings.wantedRunning();
  markHibernated = (sessionIds: readonly string[]): void => this.holdings.markHibernated(sessionIds);
  failAtBoot = (sessionId: string, reason: string): void => this.holdings.failAtBoot(sessionId, reason);
  adopt = (sessionId: string, reason: string) => this.holdings.adopt(sessionId, reason);
  relinquish = (sessionId: string, reason: string): Promise<void> => this.holdings.relinquish(sessionId, reason);

  // a logout and a delete (see session-removal.ts); config changes (see session-config-writer.ts)
  logout = (sessionId: string): Promise<Session> => this.removal.logout(sessionId);
  delete = (sessionId: string): Promise<void> => this.removal.delete(sessionId);
  updateConfig = <T>(sessionId: string, update: (config: SessionConfig) => { config: SessionConfig; result: T }) =>
    this.configWriter.updateConfig(sessionId, update);
  setWebhooks = (sessionId: string, webhooks: Session['config']['webhooks']): Promise<Session> => this.configWriter.setWebhooks(sessionId, webhooks);
  private readonly saveDesiredState = (session: Session, desiredState: DesiredState): Promise<void> =>
    this.configWriter.saveDesiredState(session, desiredState);

  markUnusable(session: Session, reason: string): void {
    markUnusable(session, reason);
  }

  /**
   * Closes a WORKING session's browser like a stop, but leaves it HIBERNATED: its login and its wish to run are
   * kept, and a start wakes it. `stillWanted` is asked again once the lock is held (a request may have come in
   * meanwhile); when it says no, nothing happens and false is returned.
   */
  async hibernate(
    sessionId: string,
    reason: string,
    stillWanted: (session: Session) => boolean,
    options: { wakingAtOnce?: boolean } = {},
  ): Promise<boolean> {
    const session = this.get(sessionId);
    return this.lockedLive(session, 'hibernate', async () => {
      if (this.shuttingDown || this.pending.has(sessionId) || session.status.status !== 'WORKING' || !stillWanted(session)) return false;
      // a user's operation queued behind us (stop, logout) needs the page as it is: let it go first
      if (options.wakingAtOnce && this.lock.waiting(sessionId) > 0) return false;
      this.lifecycle.moveTo(session, 'STOPPING', reason);
      await this.lifecycle.teardown(session);
      // a recycle wakes it at once: should the server stop before it is up, the next boot starts it as before
      if (!options.wakingAtOnce) {
        await this.saveDesiredState(session, 'hibernated').catch((error: unknown) =>
          session.log('warn', `could not save that the session sleeps (${describeError(error)}); a restart starts it`),
        );
      }
      session.status.moveTo('HIBERNATED', reason);
      return true;
    });
  }

  async create(sessionId: string, input: SessionConfigInput, options: { start: boolean }): Promise<Session> {
    if (this.deleting.has(sessionId)) throw beingDeleted(sessionId);
    if (this.registry.has(sessionId) || this.pending.has(sessionId)) {
      throw new ConflictError('SESSION_EXISTS', `Session '${sessionId}' already exists`);
    }
    const refused = refusedFlags(input.chromiumArgs ?? [], this.deps.settings.flagPolicy);
    if (refused.length > 0) throw fieldError('config.chromiumArgs', describeRefusedFlags(refused));
    // creates under way count too: the check and the insert into the Map are an await apart
    if (this.registry.countWithCreates >= this.deps.managerSettings.maxSessions) {
      throw new LimitReachedError(`At most ${this.deps.managerSettings.maxSessions} sessions can exist (--max-sessions)`);
    }
    this.pending.add(sessionId);
    this.creating.add(sessionId);
    try {
      const release = await this.deps.store.claim(sessionId);
      const config = resolveSessionConfig(input, this.configDefaults());
      const createdAt = new Date().toISOString();
      try {
        await this.deps.store.write({ sessionId, createdAt, config, desiredState: options.start ? 'running' : 'stopped' });
      } catch (error) {
        await release();
        throw error;
      }
      const session = this.addSession(sessionId, config, createdAt);
      session.release = release;
      return session;
    } finally {
      this.pending.delete(sessionId);
      this.creating.delete(sessionId);
    }
  }

  /** Begins a start and returns at once with the session STARTING; `settled` resolves when the start is over. */
  /**
   * `onlyFromHibernated`: a wake. It starts only a session still HIBERNATED once it has the lock, so that a wake
   * queued behind a stop, logout or restart never undoes it.
   */
  start(
    sessionId: string,
    reason = 'start requested',
    options: { onlyFromHibernated?: boolean } = {},
  ): { session: Session; settled: Promise<void> } {
    const session = this.get(sessionId);
    if (this.deleting.has(sessionId)) throw beingDeleted(sessionId);
    if (session.unusableReason !== undefined) throw unusable(session);
    if (this.pending.has(sessionId)) {
      throw new ConflictError('START_IN_PROGRESS', `A start of session '${sessionId}' is already in progress`);
    }
    if (RUNNING.has(session.status.status)) {
      throw new ConflictError('SESSION_ALREADY_RUNNING', `Session '${sessionId}' is already ${session.status.status}`, {
        status: session.status.status,
      });
    }
    this.crashes.cancel(session);
    this.pending.add(sessionId);
    const status = session.status.status;
    // with another operation under way the status is that operation's; runStart moves it once it has the lock
    // a wake finds a session stopped meanwhile as it is (the check is made again once the lock is held)
    const wanted = !options.onlyFromHibernated || status === 'HIBERNATED';
    if (wanted && STARTABLE.has(status) && !this.lock.isBusy(sessionId)) session.status.moveTo('STARTING', reason);
    const abort = new AbortController();
    session.startAbort = abort;
    const settled = this.locked(session, 'start', () =>
      options.onlyFromHibernated && session.status.status !== 'HIBERNATED' && session.status.status !== 'STARTING'
        ? Promise.resolve()
        : this.runStart(session, abort.signal, reason),
    )
      .catch((error: unknown) => {
        this.deps.logger.error('start failed', { session: sessionId, error: describeError(error) });
        if (session.status.status === 'STARTING') session.status.moveTo('FAILED', `start failed: ${describeError(error)}`);
      })
      .finally(() => {
        this.pending.delete(sessionId);
        if (session.startAbort === abort) session.startAbort = undefined;
        if (this.startsUnderWay.get(sessionId) === settled) this.startsUnderWay.delete(sessionId);
      });
    this.startsUnderWay.set(sessionId, settled);
    return { session, settled };
  }

  async stop(sessionId: string): Promise<Session> {
    const session = this.interrupt(sessionId);
    await this.lockedLive(session, 'stop', async () => {
      await this.saveDesiredState(session, 'stopped');
      await this.bringDown(session, 'stop requested');
    });
    return session;
  }

  async restart(sessionId: string): Promise<{ session: Session; settled: Promise<void> }> {
    await this.stop(sessionId);
    // a wake that came in during the stop is queued behind it and does nothing now (see start): let it finish
    await this.startsUnderWay.get(sessionId);
    return this.start(sessionId, 'restart requested');
  }

  /** Loaded and not on its way out. */
  isActive(sessionId: string): boolean {
    return this.registry.isActive(sessionId);
  }

  /**
   * Whether the session's event log may be opened and written: it is loaded, not being deleted, and its files
   * are usable. A session listed FAILED because its files cannot be read gets nothing written into its folder.
   */
  hasUsableLog(sessionId: string): boolean {
    return this.registry.isActive(sessionId) && this.registry.get(sessionId).unusableReason === undefined;
  }

  /** Throws what a request for the session's log should answer when it may not be opened: 404 or 409. */
  assertUsableLog(sessionId: string): void {
    if (!this.registry.isActive(sessionId)) throw new SessionNotFoundError(sessionId);
    const session = this.registry.get(sessionId);
    if (session.unusableReason !== undefined) throw unusable(session);
  }

  /** Whether this process is using the id: loaded, being created, or being deleted. */
  isInUse(sessionId: string): boolean {
    return this.registry.isInUse(sessionId);
  }

  /** Which Chromium flags a session's config may hold. */
  flagPolicy(): ChromiumFlagPolicy {
    return this.deps.settings.flagPolicy;
  }

  /** Resolves once the session shows a QR code, is WORKING, or has stopped or failed (or the deadline passed). */
  async waitUntilSettled(session: Session, timeoutMs: number): Promise<void> {
    if (SETTLED.has(session.status.status)) return;
    await nextStatusIn(this.deps.events, session.id, SETTLED, AbortSignal.timeout(timeoutMs));
  }

  /** Closes every browser and releases every folder; saved states stay as they are so a restart restores them. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    await Promise.all(
      this.registry.all().map(async (session) => {
        this.crashes.cancel(session);
        session.startAbort?.abort();
        await this.lock
          .run(session.id, () => this.bringDown(session, 'server shutting down'), { timeoutMs: 20_000, label: 'shutdown' })
          .catch(() => this.lifecycle.teardown(session));
        await session.release?.();
        session.release = undefined;
      }),
    );
  }

  private addSession(sessionId: string, config: Session['config'], createdAt: string): Session {
    const session = new Session(
      sessionId,
      config,
      createdAt,
      new RestartBudget(this.deps.managerSettings.restart, this.deps.now),
      (changed, change) => {
        changed.log(change.to === 'FAILED' ? 'error' : 'info', `${change.from} -> ${change.to}: ${change.reason}`);
        this.deps.logger.info('session status', { session: changed.id, ...change });
        this.deps.events.emit('status', { sessionId: changed.id, change, me: changed.me });
      },
      this.deps.now(),
    );
    this.registry.add(session);
    return session;
  }

  private async runStart(session: Session, signal: AbortSignal, reason: string): Promise<void> {
    if (signal.aborted || this.shuttingDown || !this.registry.isCurrent(session) || this.deleting.has(session.id)) return;
    const status = session.status.status;
    if (STARTABLE.has(status)) session.status.moveTo('STARTING', reason);
    await this.saveDesiredState(session, 'running');
    const outcome = await this.lifecycle.launch(session, signal, (generation, loss) => this.crashes.onClientLost(session, generation, loss));
    if (outcome.kind === 'failed') {
      await this.lifecycle.teardown(session);
      this.lifecycle.moveTo(session, 'FAILED', outcome.reason);
    }
    // 'aborted': the stop/delete queued behind us tears down; a loss: onClientLost's recovery is queued
  }

  /** The page of this client stopped answering while its browser lives: recovered as a crash is (bounded restart). */
  reportUnresponsive(sessionId: string, client: WaClient, reason: string): void {
    if (this.registry.has(sessionId)) this.crashes.reportUnresponsive(this.registry.get(sessionId), client, reason);
  }

  /** Stops whatever runs and moves the session to STOPPED. Caller holds the lock. */
  private async bringDown(session: Session, reason: string): Promise<void> {
    // a crash recovery that held the lock before us may have scheduled a restart after interrupt() ran
    this.crashes.cancel(session);
    if (session.status.status !== 'STOPPED') this.lifecycle.moveTo(session, 'STOPPING', reason);
    await this.lifecycle.teardown(session);
    if (session.status.status === 'STOPPED') return;
    if (session.status.status !== 'STOPPING') this.lifecycle.moveTo(session, 'STOPPING', reason);
    session.status.moveTo('STOPPED', reason);
  }

  /** Cancels a scheduled crash restart and aborts a start in progress, so the caller's operation comes next. */
  private interrupt(sessionId: string): Session {
    const session = this.get(sessionId);
    this.crashes.cancel(session);
    session.startAbort?.abort();
    return session;
  }

  private locked<T>(session: Session, label: string, task: () => Promise<T>): Promise<T> {
    return this.lock.run(session.id, task, { timeoutMs: this.deps.managerSettings.lockTimeoutMs, label });
  }

  /** A user's operation: by the time it has the lock, a delete queued before it may have removed the session. */
  private lockedLive<T>(session: Session, label: string, task: () => Promise<T>): Promise<T> {
    return this.locked(session, label, () => {
      if (!this.registry.isCurrent(session)) throw new SessionNotFoundError(session.id);
      if (this.deleting.has(session.id)) throw beingDeleted(session.id);
      return task();
    });
  }

  private configDefaults(): { sandbox: boolean } {
    return { sandbox: this.deps.managerSettings.sandboxByDefault };
  }

  ownedBrowserPids(): Set<number> {
    return this.registry.ownedBrowserPids();
  }
}
