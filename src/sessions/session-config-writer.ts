import type { DesiredState, SessionStore } from '../storage/session-store.js';
import type { SessionConfig } from './session-config.js';
import { unusable } from './session-errors.js';
import type { SessionRegistry } from './session-registry.js';
import type { Session } from './session.js';

export interface SessionConfigWriterDeps {
  store: SessionStore;
  /** Runs under the session's lock; 404/409 if a delete queued before it removed the session meanwhile. */
  lockedLive: <T>(session: Session, label: string, task: () => Promise<T>) => Promise<T>;
}

/** What is saved of a session besides its login: its config and whether the user wants it running. */
export class SessionConfigWriter {
  constructor(
    private readonly registry: SessionRegistry,
    private readonly deps: SessionConfigWriterDeps,
  ) {}

  /**
   * Changes the saved config (under the session's lock, so never halfway through a start); the login stays. What
   * a running browser was launched with applies at its next start. `update` may throw to refuse the change.
   */
  async updateConfig<T>(sessionId: string, update: (config: SessionConfig) => { config: SessionConfig; result: T }): Promise<{ session: Session; result: T }> {
    const session = this.registry.get(sessionId);
    if (session.unusableReason !== undefined) throw unusable(session);
    const result = await this.deps.lockedLive(session, 'config', async () => {
      const updated = update(session.config);
      const stored = await this.deps.store.read(sessionId);
      // saved first: a change that could not be saved is not in force either
      await this.deps.store.write({
        sessionId,
        createdAt: session.createdAt,
        config: updated.config,
        desiredState: stored?.desiredState ?? 'stopped',
      });
      session.config = updated.config;
      return updated.result;
    });
    return { session, result };
  }

  /** Replaces the session's webhooks; they apply to events from now on and are saved with the config. */
  async setWebhooks(sessionId: string, webhooks: Session['config']['webhooks']): Promise<Session> {
    return (await this.updateConfig(sessionId, (config) => ({ config: { ...config, webhooks }, result: undefined }))).session;
  }

  /** Saves whether the session should run after a restart of the server; nothing for a session deleted or unusable. */
  async saveDesiredState(session: Session, desiredState: DesiredState): Promise<void> {
    if (!this.registry.isCurrent(session) || session.unusableReason !== undefined) return;
    await this.deps.store.write({ sessionId: session.id, createdAt: session.createdAt, config: session.config, desiredState });
  }
}
