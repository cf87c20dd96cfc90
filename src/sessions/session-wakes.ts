import { ConflictError, SessionNotFoundError } from '../shared/errors.js';
import type { Timers } from '../shared/timers.js';
import type { Session } from './session.js';
import { nextStatusIn, type SessionEvents } from './session-events.js';
import type { SessionStatus } from './session-status.js';
import { notReady, wakeFailed, wakeTimedOut } from './session-errors.js';
import type { HibernationHost } from './hibernation.js';
import { WakeLaunches } from './wake-launches.js';

/** Beyond the session's own start deadline (authTimeout), before a request's wait for a wake gives up. */
const WAKE_MARGIN_MS = 5_000;
/** What ends a wake: WORKING, or the ways a start ends otherwise. */
const WAKE_OUTCOMES: ReadonlySet<SessionStatus> = new Set(['WORKING', 'SCAN_QR_CODE', 'FAILED', 'STOPPED', 'CRASHED']);

export interface SessionWakesDeps {
  host: Pick<HibernationHost, 'get' | 'has' | 'isActive' | 'start'>;
  events: SessionEvents;
  timers: Timers;
  /** Wakes launching a browser at once (requests' wakes go ahead of scheduled ones). */
  launchConcurrency: number;
}

/** One wake of a sleeping session: a start from HIBERNATED, awaited until it settles, with the error a request gets. */
export class SessionWakes {
  private readonly launches: WakeLaunches;

  constructor(private readonly deps: SessionWakesDeps) {
    this.launches = new WakeLaunches(deps.launchConcurrency);
  }

  /** Queued behind a hibernation still closing the browser; `urgent` when a request waits for it. */
  async run(session: Session, why: string, urgent: boolean): Promise<void> {
    const timeoutMs = session.config.authTimeout * 1000 + WAKE_MARGIN_MS;
    const giveUp = new AbortController();
    const cancelTimer = this.deps.timers.after(timeoutMs, () => giveUp.abort());
    let release: (() => void) | undefined;
    try {
      // the wait for a launch slot counts against the deadline: a request is told 503 rather than kept forever
      release = await this.launches.acquire(urgent, giveUp.signal).catch(() => undefined);
      if (release === undefined) throw wakeTimedOut(session, timeoutMs);
      const outcome = nextStatusIn(this.deps.events, session.id, WAKE_OUTCOMES, giveUp.signal);
      try {
        this.deps.host.start(session.id, `woken: ${why}`, { onlyFromHibernated: true });
      } catch (error) {
        // a start already under way (POST .../start) wakes it just as well
        if (!(error instanceof ConflictError && error.code === 'START_IN_PROGRESS')) throw error;
      }
      const activityBefore = session.lastActivityAt;
      const status = await outcome;
      // coming up counts as activity for a start, not for a wake: terminate-inactive measures how long the account
      // has been dormant from its last message or command, which a scheduled wake every few minutes would reset
      if (status === 'WORKING') session.lastActivityAt = activityBefore;
      // deleted while it was to wake: a 404, as for any request to a session that is gone
      const current = this.deps.host.has(session.id) && this.deps.host.get(session.id) === session;
      if (!current || !this.deps.host.isActive(session.id)) throw new SessionNotFoundError(session.id);
      if (status === undefined) throw wakeTimedOut(session, timeoutMs);
      // stopped (or logged out) while it was to wake: the session is simply not running, as for any request
      if (status === 'STOPPED') throw notReady(session);
      if (status !== 'WORKING') throw wakeFailed(session);
    } finally {
      release?.();
      cancelTimer();
      giveUp.abort();
    }
  }
}
