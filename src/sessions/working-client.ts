import type { WaClient } from '../wa/wa-client.js';
import { notReady } from './session-errors.js';
import type { SessionManager } from './session-manager.js';

/**
 * Runs a read or a command on the session's client: 409 with the status unless WORKING, and a 409 too (rather
 * than the library's error) when the session stopped being WORKING while the call ran.
 */
export async function withWorkingClient<T>(manager: SessionManager, sessionId: string, use: (client: WaClient) => Promise<T>): Promise<T> {
  const session = manager.get(sessionId);
  const client = session.client;
  if (!client || session.status.status !== 'WORKING') throw notReady(session);
  try {
    return await use(client);
  } catch (error) {
    if (session.client !== client || session.status.status !== 'WORKING') throw notReady(session);
    throw error;
  }
}
