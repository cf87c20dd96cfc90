export const SESSION_STATUSES = ['STOPPED', 'STARTING', 'SCAN_QR_CODE', 'WORKING', 'CRASHED', 'FAILED', 'STOPPING', 'HIBERNATED'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** Which status may follow which. Anything not listed is a bug in the caller and throws. */
const ALLOWED: Readonly<Record<SessionStatus, readonly SessionStatus[]>> = {
  // FAILED from STOPPED: a saved session whose files cannot be read is listed, not started;
  // HIBERNATED from STOPPED: boot lists a session that was asleep when the server stopped as asleep again
  STOPPED: ['STARTING', 'FAILED', 'HIBERNATED'],
  STARTING: ['SCAN_QR_CODE', 'WORKING', 'CRASHED', 'FAILED', 'STOPPING'],
  // a scan may go straight to WORKING; a new QR (rotation) keeps SCAN_QR_CODE and is not a transition
  SCAN_QR_CODE: ['WORKING', 'CRASHED', 'FAILED', 'STOPPING', 'STARTING'],
  // STARTING from WORKING is an immediate crash recovery; CRASHED one that waits for the restart cooldown
  WORKING: ['CRASHED', 'FAILED', 'STOPPING', 'STARTING', 'SCAN_QR_CODE'],
  CRASHED: ['STARTING', 'FAILED', 'STOPPING'],
  FAILED: ['STARTING', 'STOPPING', 'STOPPED'],
  // HIBERNATED: a WORKING session idle long enough closed its browser (STOPPING meanwhile) and kept its login
  STOPPING: ['STOPPED', 'FAILED', 'HIBERNATED'],
  // STARTING: woken (by a request, a wake call or its schedule); STOPPING: stopped, logged out or deleted asleep
  HIBERNATED: ['STARTING', 'STOPPING', 'FAILED'],
};

export function canTransition(from: SessionStatus, to: SessionStatus): boolean {
  return ALLOWED[from].includes(to);
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: SessionStatus,
    readonly to: SessionStatus,
  ) {
    super(`Illegal session status change ${from} -> ${to}`);
  }
}

export interface StatusChange {
  from: SessionStatus;
  to: SessionStatus;
  reason: string;
  at: string;
}

const HISTORY_LIMIT = 20;

/** The status of one session and the last few changes, each with time and reason. */
export class StatusTracker {
  private current: SessionStatus = 'STOPPED';
  private readonly changes: StatusChange[] = [];

  constructor(private readonly onChange: (change: StatusChange) => void = () => {}) {}

  get status(): SessionStatus {
    return this.current;
  }

  get history(): readonly StatusChange[] {
    return this.changes;
  }

  /** The reason of the last change, e.g. why a session FAILED. */
  get lastReason(): string | undefined {
    return this.changes.at(-1)?.reason;
  }

  moveTo(to: SessionStatus, reason: string, now: Date = new Date()): StatusChange {
    if (!canTransition(this.current, to)) throw new IllegalTransitionError(this.current, to);
    const change: StatusChange = { from: this.current, to, reason, at: now.toISOString() };
    this.current = to;
    this.changes.push(change);
    if (this.changes.length > HISTORY_LIMIT) this.changes.shift();
    this.onChange(change);
    return change;
  }
}
