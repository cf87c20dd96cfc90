import type { Logger } from '../shared/logger.js';
import { describeError } from '../shared/errors.js';
import { runAt, type Timers } from '../shared/timers.js';
import type { Session } from './session.js';
import type { SessionEventMap, SessionEvents } from './session-events.js';
import type { SessionStatus } from './session-status.js';
import { notReady } from './session-errors.js';
import { describeDuration, sleepAt, sleepPlanOf, type SleepPlan, type Usage } from './hibernation-policy.js';
import { SessionWakes } from './session-wakes.js';

/** What hibernation needs of the session manager. */
export interface HibernationHost {
  get(sessionId: string): Session;
  has(sessionId: string): boolean;
  /** Loaded and not being deleted. */
  isActive(sessionId: string): boolean;
  start(sessionId: string, reason: string, options?: { onlyFromHibernated?: boolean }): { session: Session; settled: Promise<void> };
  hibernate(
    sessionId: string,
    reason: string,
    stillWanted: (session: Session) => boolean,
    options?: { wakingAtOnce?: boolean },
  ): Promise<boolean>;
}

export interface HibernationSettings {
  /** --hibernate-after-minutes: for sessions whose config does not say; undefined = never. */
  defaultHibernateAfterMinutes: number | undefined;
  /** Scheduled wakes under way at once, and wakes of any kind launching a browser at once (requests go first). */
  scheduledWakeConcurrency: number;
}

export interface HibernationDeps {
  host: HibernationHost;
  events: SessionEvents;
  timers: Timers;
  logger: Logger;
  settings: HibernationSettings;
}

/** A scheduled wake's way there and back; any other status ends it. */
const COLLECTING: ReadonlySet<SessionStatus> = new Set(['STARTING', 'WORKING', 'STOPPING']);
/**
 * A scheduled wake holds its slot this long at most: a session that keeps receiving (a busy group) then stays awake
 * on its ordinary idle time, and the next queued scheduled wake may start, rather than waiting for good.
 */
const MAX_COLLECTING_MS = 2 * 60_000;
/** A hibernation the manager declined (shutting down, a start queued) is looked at again this much later at most. */
const DECLINED_RETRY_MS = 10_000;

/** Per session, kept in a WeakMap: a deleted session's state goes with it. */
interface SleepState {
  lastUsedAt: number;
  /** When it last became WORKING: a wake is no activity of its own, but the session stays up its idle time after. */
  workingSince: number;
  inFlight: number;
  collectingSince: number | undefined;
  holdsWakeSlot: boolean;
  queuedForWake: boolean;
  fallingAsleep: boolean;
  wake: Promise<void> | undefined;
  cancelIdle: (() => void) | undefined;
  cancelWake: (() => void) | undefined;
}

/**
 * Sessions that sleep: a WORKING session idle for its hibernateAfterMinutes closes its browser (HIBERNATED), a
 * request that needs its page wakes it first (concurrent requests share one wake), and wakeEveryMinutes wakes it
 * on a schedule to collect what arrived, after which it sleeps again once quiet. Follows status changes, so every
 * timer ends when the session stops, fails or is deleted.
 */
export class Hibernation {
  private readonly states = new WeakMap<Session, SleepState>();
  /** States with a timer armed, so that close() can cancel them all. */
  private readonly armed = new Set<SleepState>();
  private readonly wakeQueue: Session[] = [];
  private readonly wakes: SessionWakes;
  private wakeSlotsInUse = 0;
  private closed = false;

  constructor(private readonly deps: HibernationDeps) {
    this.wakes = new SessionWakes({ ...deps, launchConcurrency: deps.settings.scheduledWakeConcurrency });
  }

  /** Starts following status changes; call it before boot restores anything. */
  start(): void {
    this.deps.events.on('status', this.onStatus);
  }

  /** Shutdown: no timer fires and no wake starts from now on. */
  close(): void {
    this.closed = true;
    this.deps.events.off('status', this.onStatus);
    for (const state of [...this.armed]) this.cancelTimers(state);
    this.wakeQueue.length = 0;
  }

  /**
   * A request is about to use the session's page: a sleeping session is woken first (503 when it cannot be). Returns
   * what the request calls when it is done; meanwhile the session does not fall asleep.
   */
  async beginUse(sessionId: string): Promise<() => void> {
    const session = this.deps.host.get(sessionId);
    const state = this.stateOf(session);
    if (this.isAsleep(session, state)) await this.shareWake(session, state, 'a request needs it');
    state.inFlight++;
    state.lastUsedAt = this.deps.timers.now();
    // someone uses it now: it stays awake on the ordinary idle rule, not the short one of a scheduled wake
    this.endCollecting(state);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      state.inFlight--;
      state.lastUsedAt = this.deps.timers.now();
    };
  }

  /** The session's sleep settings changed: its timers follow the new ones from now on. */
  configChanged(sessionId: string): void {
    if (this.closed || !this.deps.host.has(sessionId)) return;
    const session = this.deps.host.get(sessionId);
    const state = this.stateOf(session);
    this.cancelTimers(state);
    if (session.status.status === 'WORKING') this.armIdle(session, state);
    if (session.status.status === 'HIBERNATED') this.armWake(session, state);
  }

  /** POST .../wake: WORKING when it answers; a session that was neither asleep nor WORKING is a 409. */
  async wake(sessionId: string): Promise<Session> {
    (await this.beginUse(sessionId))();
    const session = this.deps.host.get(sessionId);
    if (session.status.status !== 'WORKING') throw notReady(session);
    return session;
  }

  /**
   * A new browser for a WORKING session, same login (the memory limit's last resort): at a quiet moment (no request
   * using the page) the browser closes as for sleep and the session wakes at once. Requests that arrive meanwhile
   * wait for the new browser as they would for any wake. False when it was not WORKING or not quiet.
   */
  async recycle(sessionId: string, reason: string): Promise<boolean> {
    const session = this.deps.host.get(sessionId);
    const state = this.stateOf(session);
    if (this.closed || session.status.status !== 'WORKING' || this.isAsleep(session, state)) return false;
    state.fallingAsleep = true;
    let closed = false;
    try {
      closed = await this.deps.host.hibernate(session.id, reason, (current) => current === session && state.inFlight === 0, {
        wakingAtOnce: true,
      });
    } finally {
      state.fallingAsleep = false;
    }
    if (closed) await this.shareWake(session, state, 'recycled');
    return closed;
  }

  private readonly onStatus = ({ sessionId, change }: SessionEventMap['status'][0]): void => {
    if (this.closed || !this.deps.host.has(sessionId)) return;
    const session = this.deps.host.get(sessionId);
    const state = this.stateOf(session);
    this.cancelTimers(state);
    if (!COLLECTING.has(change.to)) this.endCollecting(state);
    if (change.to === 'WORKING') {
      state.workingSince = this.deps.timers.now();
      this.armIdle(session, state);
    }
    if (change.to === 'HIBERNATED') this.armWake(session, state);
  };

  private armIdle(session: Session, state: SleepState, notBefore = 0): void {
    const plan = this.planOf(session);
    if (!plan) return;
    const due = sleepAt(plan, this.usageOf(session, state));
    // while a request runs, look again once it could have ended and the session been quiet since
    const at = Math.max(Number.isFinite(due) ? due : this.deps.timers.now() + plan.idleMs, notBefore);
    state.cancelIdle?.();
    state.cancelIdle = runAt(this.deps.timers, at, () => {
      state.cancelIdle = undefined;
      this.disarmIfIdle(state);
      void this.sleepIfIdle(session, state, plan);
    });
    this.armed.add(state);
  }

  private async sleepIfIdle(session: Session, state: SleepState, plan: SleepPlan): Promise<void> {
    if (this.closed || !this.isCurrent(session) || session.status.status !== 'WORKING') return;
    const idle = () => this.deps.timers.now() >= sleepAt(plan, this.usageOf(session, state));
    if (!idle()) {
      if (state.collectingSince !== undefined && this.deps.timers.now() - state.collectingSince >= MAX_COLLECTING_MS) {
        this.endCollecting(state);
      }
      return this.armIdle(session, state);
    }
    const reason =
      state.collectingSince !== undefined ? 'collected what arrived: asleep again' : `idle for ${describeDuration(plan.idleMs)}: hibernating`;
    state.fallingAsleep = true;
    try {
      if (await this.deps.host.hibernate(session.id, reason, (current) => current === session && idle())) return;
    } catch (error) {
      this.deps.logger.warn('hibernation skipped', { session: session.id, error: describeError(error) });
    } finally {
      state.fallingAsleep = false;
    }
    if (!this.closed && this.isCurrent(session) && session.status.status === 'WORKING') {
      this.armIdle(session, state, this.deps.timers.now() + Math.min(plan.idleMs, DECLINED_RETRY_MS));
    }
  }

  private armWake(session: Session, state: SleepState): void {
    const everyMs = this.planOf(session)?.wakeEveryMs;
    if (everyMs === undefined) return;
    state.cancelWake = runAt(this.deps.timers, this.deps.timers.now() + everyMs, () => {
      state.cancelWake = undefined;
      this.disarmIfIdle(state);
      if (state.queuedForWake) return;
      state.queuedForWake = true;
      this.wakeQueue.push(session);
      this.pumpScheduledWakes();
    });
    this.armed.add(state);
  }

  /** Starts queued scheduled wakes while slots are free; a slot is held until the session sleeps again (or fails). */
  private pumpScheduledWakes(): void {
    while (!this.closed && this.wakeSlotsInUse < this.deps.settings.scheduledWakeConcurrency && this.wakeQueue.length > 0) {
      const session = this.wakeQueue.shift()!;
      const state = this.stateOf(session);
      state.queuedForWake = false;
      if (!this.isCurrent(session) || session.status.status !== 'HIBERNATED') continue;
      this.wakeSlotsInUse++;
      state.holdsWakeSlot = true;
      state.collectingSince = this.deps.timers.now();
      this.shareWake(session, state, 'scheduled, to collect what arrived').catch((error: unknown) => {
        this.deps.logger.warn('scheduled wake failed', { session: session.id, error: describeError(error) });
        // nothing started (it still sleeps): free the slot and try again at the next period
        if (session.status.status === 'HIBERNATED') {
          this.endCollecting(state);
          if (this.isCurrent(session) && !this.closed) this.armWake(session, state);
        }
      });
    }
  }

  private endCollecting(state: SleepState): void {
    state.collectingSince = undefined;
    if (!state.holdsWakeSlot) return;
    state.holdsWakeSlot = false;
    this.wakeSlotsInUse--;
    this.pumpScheduledWakes();
  }

  private shareWake(session: Session, state: SleepState, why: string): Promise<void> {
    state.wake ??= this.wakes.run(session, why, !state.holdsWakeSlot).finally(() => {
      state.wake = undefined;
    });
    return state.wake;
  }

  private isAsleep(session: Session, state: SleepState): boolean {
    const status = session.status.status;
    return state.wake !== undefined || status === 'HIBERNATED' || (state.fallingAsleep && status === 'STOPPING');
  }

  private cancelTimers(state: SleepState): void {
    state.cancelIdle?.();
    state.cancelWake?.();
    state.cancelIdle = undefined;
    state.cancelWake = undefined;
    this.armed.delete(state);
  }

  private disarmIfIdle(state: SleepState): void {
    if (!state.cancelIdle && !state.cancelWake) this.armed.delete(state);
  }

  private planOf(session: Session): SleepPlan | undefined {
    return sleepPlanOf(session.config, this.deps.settings.defaultHibernateAfterMinutes);
  }

  private usageOf(session: Session, state: SleepState): Usage {
    return {
      lastActivityAt: Math.max(session.lastActivityAt, state.workingSince),
      lastUsedAt: state.lastUsedAt,
      inFlight: state.inFlight,
      collectingSince: state.collectingSince,
    };
  }

  private isCurrent(session: Session): boolean {
    return this.deps.host.has(session.id) && this.deps.host.get(session.id) === session;
  }

  private stateOf(session: Session): SleepState {
    let state = this.states.get(session);
    if (!state) {
      state = {
        lastUsedAt: 0,
        workingSince: 0,
        inFlight: 0,
        collectingSince: undefined,
        holdsWakeSlot: false,
        queuedForWake: false,
        fallingAsleep: false,
        wake: undefined,
        cancelIdle: undefined,
        cancelWake: undefined,
      };
      this.states.set(session, state);
    }
    return state;
  }
}
