import type { Logger } from './shared/logger.js';
import { describeError } from './shared/errors.js';
import type { SessionManager } from './sessions/session-manager.js';
import type { SessionMaintenance } from './sessions/session-maintenance.js';
import type { SessionChannels } from './events/session-channels.js';

export interface BootDeps {
  manager: SessionManager;
  channels: SessionChannels;
  maintenance: SessionMaintenance;
  logger: Logger;
}

/**
 * Loads the saved sessions, opens their event logs (pending webhook deliveries resume) and kills orphan browsers.
 * Whatever cannot be read or cleaned is listed FAILED with the reason, its files untouched, and the others are
 * served: one corrupt session never keeps the server down. Returns the ids to restore: those to start, and those
 * that were asleep (restored HIBERNATED, without a browser).
 */
export async function bootSessions(
  { manager, channels, maintenance, logger }: BootDeps,
): Promise<{ loaded: string[]; restore: string[]; hibernated: string[] }> {
  const { loaded, skipped } = await manager.loadSaved();
  for (const { sessionId, reason } of skipped) logger.warn('session not loaded', { session: sessionId, reason });
  for (const sessionId of loaded) {
    const session = manager.get(sessionId);
    if (session.unusableReason !== undefined) {
      logger.error('session cannot be used', { session: sessionId, reason: session.unusableReason });
      continue;
    }
    try {
      // deliveries a previous run left pending resume now, whether or not their session starts
      channels.get(sessionId);
    } catch (error) {
      const reason = `its event log could not be opened (${describeError(error)}); the files are kept as they are`;
      manager.markUnusable(session, reason);
      logger.error('session cannot be used', { session: sessionId, reason });
    }
  }
  // browsers a killed wamux left behind (found through each profile's SingletonLock) go before anything starts
  const { failed } = await maintenance.sweepOrphans();
  for (const { sessionId, reason } of failed) if (manager.has(sessionId)) manager.failAtBoot(sessionId, reason);
  const { running, hibernated } = await manager.wantedRunning();
  return { loaded, restore: running, hibernated };
}
