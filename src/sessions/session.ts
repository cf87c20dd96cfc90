import type { WaClient, WaMe } from '../wa/wa-client.js';
import type { OwnershipRelease } from '../storage/session-store.js';
import { redactSessionConfig, type SessionConfig } from './session-config.js';
import { RingBuffer, type SessionLogLevel, type SessionLogLine } from './session-log.js';
import { StatusTracker, type StatusChange } from './session-status.js';
import type { RestartBudget } from './restart-policy.js';

const LOG_LINES_KEPT = 200;

/** One session's state in memory. The manager changes it; nothing here does I/O. */
export class Session {
  readonly status: StatusTracker;
  readonly createdAt: string;
  config: SessionConfig;
  client: WaClient | undefined;
  /** Bumped whenever a client is attached or dropped, so events of an old client are ignored. */
  generation = 0;
  /**
   * The client teardown is closing: until its browser is gone, what it still reports (a message the page took just
   * before it closed) is kept, though its generation is over. Lifecycle events of it are not.
   */
  closingClient: WaClient | undefined;
  qr: string | undefined;
  /** The pairing code the session shows, once one was asked for (it rotates). */
  pairingCode: string | undefined;
  qrCount = 0;
  me: WaMe | undefined;
  release: OwnershipRelease | undefined;
  /** Aborts a start that is in progress (stop or delete came in). */
  startAbort: AbortController | undefined;
  restartTimer: NodeJS.Timeout | undefined;
  /** When a crashed session waiting out the restart cooldown starts again (epoch ms). */
  restartAt: number | undefined;
  /** Set when the session's files cannot be used (unreadable config or event log): it is listed but never started. */
  unusableReason: string | undefined;
  /** Clears the restart budget once the session has stayed WORKING for a while. */
  stableTimer: NodeJS.Timeout | undefined;
  lastActivityAt: number;
  private readonly logLines = new RingBuffer<SessionLogLine>(LOG_LINES_KEPT);

  constructor(
    readonly id: string,
    config: SessionConfig,
    createdAt: string,
    readonly restartBudget: RestartBudget,
    onStatusChange: (session: Session, change: StatusChange) => void,
    now: number,
  ) {
    this.config = config;
    this.createdAt = createdAt;
    this.lastActivityAt = now;
    this.status = new StatusTracker((change) => onStatusChange(this, change));
  }

  log(level: SessionLogLevel, message: string): void {
    this.logLines.push({ at: new Date().toISOString(), level, message });
  }

  recentLogs(limit?: number): SessionLogLine[] {
    return this.logLines.newest(limit);
  }

  snapshot(): SessionSnapshot {
    return {
      id: this.id,
      status: this.status.status,
      reason: this.status.lastReason,
      me: this.me,
      createdAt: this.createdAt,
      browserPid: this.client?.browserPid(),
      restartAt: this.restartAt === undefined ? undefined : new Date(this.restartAt).toISOString(),
      config: redactSessionConfig(this.config),
      history: [...this.status.history],
    };
  }
}

export interface SessionSnapshot {
  id: string;
  status: StatusTracker['status'];
  reason: string | undefined;
  me: WaMe | undefined;
  createdAt: string;
  browserPid: number | undefined;
  /** Present while a crashed session waits for its restart (status CRASHED). */
  restartAt: string | undefined;
  config: ReturnType<typeof redactSessionConfig>;
  history: StatusChange[];
}
