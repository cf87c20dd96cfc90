import { describeError } from '../shared/errors.js';
import { withTimeout } from '../shared/timing.js';
import type { SessionStore } from '../storage/session-store.js';
import type { DesiredState } from '../storage/session-store.js';
import { beingDeleted, unusable } from './session-errors.js';
import type { SessionRegistry } from './session-registry.js';
import type { Session } from './session.js';

/** How long a logout waits for WhatsApp Web to unlink the device before the browser is closed anyway. */
const LOGOUT_DEADLINE_MS = 15_000;

export interface SessionRemovalDeps {
  store: SessionStore;
  /** Cancels a scheduled crash restart and aborts a start in progress, so the caller's operation comes next. */
  interrupt: (sessionId: string) => Session;
  locked: <T>(session: Session, label: string, task: () => Promise<T>) => Promise<T>;
  /** As locked, but 404/409 if a delete queued before it removed the session meanwhile. */
  lockedLive: <T>(session: Session, label: string, task: () => Promise<T>) => Promise<T>;
  /** Stops whatever runs and moves the session to STOPPED; the caller holds the lock. */
  bringDown: (session: Session, reason: string) => Promise<void>;
  saveDesiredState: (session: Session, desiredState: DesiredState) => Promise<void>;
  /** Called before a deleted session's folder is removed: close what holds files in it, forget its phone. */
  beforeRemove?: (sessionId: string) => Promise<void>;
}

/** The two ways a session loses what it holds: a logout (its login) and a delete (everything). */
export class SessionRemoval {
  constructor(
    private readonly registry: SessionRegistry,
    private readonly deps: SessionRemovalDeps,
  ) {}

  /** Unlinks the device and deletes the login; the config stays and a later start shows a new QR code. */
  async logout(sessionId: string): Promise<Session> {
    const session = this.deps.interrupt(sessionId);
    if (session.unusableReason !== undefined) throw unusable(session);
    await this.deps.lockedLive(session, 'logout', async () => {
      const client = session.client;
      if (client && session.status.status === 'WORKING') {
        await withTimeout(client.logout(), LOGOUT_DEADLINE_MS, 'logout deadline').catch((error: unknown) =>
          session.log('warn', `logout did not complete cleanly: ${describeError(error)}`),
        );
      }
      await this.deps.bringDown(session, 'logged out');
      await this.deps.store.removeProfile(sessionId);
      session.me = undefined;
      await this.deps.saveDesiredState(session, 'stopped');
    });
    return session;
  }

  /** After it answers, nothing of the session exists on disk or in memory, whatever ran concurrently. */
  async delete(sessionId: string): Promise<void> {
    const session = this.deps.interrupt(sessionId);
    if (this.registry.deleting.has(sessionId)) throw beingDeleted(sessionId);
    this.registry.deleting.add(sessionId);
    try {
      await this.deps.locked(session, 'delete', async () => {
        await this.deps.bringDown(session, 'deleted');
        await this.deps.beforeRemove?.(sessionId);
        await session.release?.();
        session.release = undefined;
        await this.deps.store.remove(sessionId);
        this.registry.remove(sessionId);
      });
    } finally {
      this.registry.deleting.delete(sessionId);
    }
  }
}
