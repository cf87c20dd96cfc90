import { EventEmitter } from 'node:events';
import type { WaActivityType, WaMe, WaMessage } from '../wa/wa-client.js';
import type { SessionStatus, StatusChange } from './session-status.js';

/** Everything a session reports, from one place: logs, webhooks, the live stream and metrics all listen here. */
export interface SessionEventMap {
  status: [{ sessionId: string; change: StatusChange; me: WaMe | undefined }];
  qr: [{ sessionId: string; qr: string }];
  pairingCode: [{ sessionId: string; code: string }];
  message: [{ sessionId: string; me: WaMe | undefined; message: WaMessage }];
  messageSent: [{ sessionId: string; me: WaMe | undefined; message: WaMessage }];
  activity: [{ sessionId: string; me: WaMe | undefined; type: WaActivityType; payload: Record<string, unknown> }];
  /** The browser crashed or its page stopped answering (the status change that follows says what is done about it). */
  crashed: [{ sessionId: string; reason: string }];
  /** A restart after a crash begins. */
  restarting: [{ sessionId: string }];
}

export class SessionEvents extends EventEmitter<SessionEventMap> {
  constructor() {
    super();
    // every start and every wake under way waits on 'status' (nextStatusIn): many sessions waking at once are
    // many listeners, each removed when it is answered; a limit well above that still reports a real leak
    this.setMaxListeners(10_000);
  }
}

/**
 * Resolves with the first status in `wanted` that the session moves to, or undefined when the signal aborts first.
 * The caller checks the current status itself: only changes from now on count.
 */
export function nextStatusIn(
  events: SessionEvents,
  sessionId: string,
  wanted: ReadonlySet<SessionStatus>,
  signal: AbortSignal,
): Promise<SessionStatus | undefined> {
  return new Promise((resolve) => {
    const finish = (status: SessionStatus | undefined) => {
      events.off('status', onStatus);
      signal.removeEventListener('abort', onAbort);
      resolve(status);
    };
    const onStatus = ({ sessionId: changed, change }: SessionEventMap['status'][0]) => {
      if (changed === sessionId && wanted.has(change.to)) finish(change.to);
    };
    const onAbort = () => finish(undefined);
    if (signal.aborted) return finish(undefined);
    events.on('status', onStatus);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
