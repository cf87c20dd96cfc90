import type { SessionManager } from './session-manager.js';

/** Starts the given sessions again, at most `concurrency` at a time, so a boot does not flood the CPU. */
export async function restoreSessions(manager: SessionManager, sessionIds: string[], concurrency: number): Promise<void> {
  const queue = [...sessionIds];
  const worker = async () => {
    for (let sessionId = queue.shift(); sessionId !== undefined; sessionId = queue.shift()) {
      try {
        await manager.start(sessionId, 'restored at boot').settled;
      } catch {
        // refused (already started by a user meanwhile): nothing to restore
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}
