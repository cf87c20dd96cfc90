import { EventEmitter } from 'node:events';
import type { WaActivityType, WaMe, WaMessage } from '../wa/wa-client.js';
import type { StatusChange } from './session-status.js';

/** Everything a session reports, from one place: logs, webhooks, the live stream and metrics all listen here. */
export interface SessionEventMap {
  status: [{ sessionId: string; change: StatusChange; me: WaMe | undefined }];
  qr: [{ sessionId: string; qr: string }];
  message: [{ sessionId: string; me: WaMe | undefined; message: WaMessage }];
  messageSent: [{ sessionId: string; me: WaMe | undefined; message: WaMessage }];
  activity: [{ sessionId: string; me: WaMe | undefined; type: WaActivityType; payload: Record<string, unknown> }];
}

export class SessionEvents extends EventEmitter<SessionEventMap> {}
