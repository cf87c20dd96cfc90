import type { Logger } from '../shared/logger.js';
import { describeError } from '../shared/errors.js';
import type { DesiredState } from '../storage/session-store.js';
import type { WaClient } from '../wa/wa-client.js';
import { planRecovery } from './crash-recovery.js';
import type { Session } from './session.js';
import type { SessionEvents } from './session-events.js';
import type { ClientLoss } from './session-lifecycle.js';
import type { SessionStatus } from './session-status.js';

/** What crash recovery needs of the manager that owns the sessions. */
export interface CrashRestartsHost {
  /** Still the session the manager holds under that id (not deleted, not replaced). */
  isCurrent(session: Session): boolean;
  shuttingDown(): boolean;
  locked<T>(session: Session, label: string, task: () => Promise<T>): Promise<T>;
  teardown(session: Session): Promise<void>;
  moveTo(session: Session, status: SessionStatus, reason: string): void;
  saveDesiredState(session: Session, desiredState: DesiredState): Promise<void>;
  /** Begins a start (throws when the session cannot start now). */
  start(sessionId: string, reason: string): void;
}

export interface CrashRestartsDeps {
  events: SessionEvents;
  logger: Logger;
  maxAttempts: number;
  now: () => number;
}

/**
 * What happens when a session loses its client: a crash (or a page that stopped answering) restarts it within its
 * restart budget, after the cooldown; an unlink from the phone, or QR codes nobody scanned, stop it for good. The
 * decision is planRecovery's; this carries it out under the session's lock.
 */
export class CrashRestarts {
  constructor(
    private readonly host: CrashRestartsHost,
    private readonly deps: CrashRestartsDeps,
  ) {}

  onClientLost(session: Session, generation: number, loss: ClientLoss): void {
    session.log('warn', `client lost (${loss.kind}): ${loss.reason}`);
    if (loss.kind === 'crashed') this.deps.events.emit('crashed', { sessionId: session.id, reason: loss.reason });
    void this.host.locked(session, 'recovery', () => this.recover(session, generation, loss)).catch((error: unknown) =>
      this.deps.logger.error('recovery failed', { session: session.id, error: describeError(error) }),
    );
  }

  /** The page of this client stopped answering while its browser lives: recovered as a crash is. */
  reportUnresponsive(session: Session, client: WaClient, reason: string): void {
    if (session.client !== client || !this.host.isCurrent(session)) return;
    this.onClientLost(session, session.generation, { kind: 'crashed', reason });
  }

  /** A scheduled restart will not happen (the user's stop, delete or start comes first). */
  cancel(session: Session): void {
    if (session.restartTimer) clearTimeout(session.restartTimer);
    session.restartTimer = undefined;
    session.restartAt = undefined;
  }

  private async recover(session: Session, generation: number, loss: ClientLoss): Promise<void> {
    if (session.generation !== generation || !this.host.isCurrent(session) || this.host.shuttingDown()) return;
    await this.host.teardown(session);
    const plan = planRecovery({
      loss,
      restartOnCrash: session.config.restartOnCrash,
      qrCount: session.qrCount,
      decideRestart: () => session.restartBudget.decide(),
      attempts: session.restartBudget.attempts,
      maxAttempts: this.deps.maxAttempts,
      now: this.deps.now(),
    });
    if (plan.kind === 'stop') {
      if (plan.forgetAccount) session.me = undefined;
      await this.host.saveDesiredState(session, 'stopped');
      this.host.moveTo(session, 'FAILED', plan.reason);
      return;
    }
    if (plan.kind === 'fail') {
      this.host.moveTo(session, 'FAILED', plan.reason);
      return;
    }
    session.restartAt = plan.restartAt;
    this.host.moveTo(session, plan.status, plan.reason);
    session.restartTimer = setTimeout(() => {
      session.restartTimer = undefined;
      session.restartAt = undefined;
      // counted when it begins, so the cooldown runs from one real restart to the next
      session.restartBudget.recordAttempt();
      this.deps.events.emit('restarting', { sessionId: session.id });
      try {
        this.host.start(session.id, plan.startReason);
      } catch (error) {
        session.log('warn', `crash restart skipped: ${describeError(error)}`);
      }
    }, plan.delayMs);
  }
}
