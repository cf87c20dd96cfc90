import type { WaClient } from '../wa/wa-client.js';
import { notReady } from './session-errors.js';
import type { Session } from './session.js';

/** What the session services need of the sessions core: a session by id (404 when unknown), and waking it. */
export interface SessionLookup {
  get(sessionId: string): Session;
  /**
   * Called before a request uses the session's page: a HIBERNATED session is woken first (see hibernation.ts).
   * Returns what the request calls when it is done. Absent: nothing sleeps.
   */
  beginUse?(sessionId: string): Promise<() => void>;
}

/** The session's client, or 409 with the status unless the session is WORKING (404 for an unknown one). */
export function workingClientOf(sessions: SessionLookup, sessionId: string): { session: Session; client: WaClient } {
  const session = sessions.get(sessionId);
  const client = session.client;
  if (!client || session.status.status !== 'WORKING') throw notReady(session);
  return { session, client };
}

/**
 * Runs a read or a command on the session's client, waking a sleeping session first: 409 with the status unless
 * WORKING, and a 409 too (rather than the library's error) when the session stopped being WORKING while the call
 * ran. With `activityAt`, a command that succeeded counts as activity (terminateInactive's idle time starts again).
 */
export async function withWorkingClient<T>(
  sessions: SessionLookup,
  sessionId: string,
  use: (client: WaClient) => Promise<T>,
  activityAt?: () => number,
): Promise<T> {
  const endUse = await sessions.beginUse?.(sessionId);
  try {
    const { session, client } = workingClientOf(sessions, sessionId);
    try {
      const result = await use(client);
      if (activityAt) session.lastActivityAt = activityAt();
      return result;
    } catch (error) {
      if (session.client !== client || session.status.status !== 'WORKING') throw notReady(session);
      throw error;
    }
  } finally {
    endUse?.();
  }
}
