import { AppError, ConflictError } from '../shared/errors.js';
import type { Session } from './session.js';

/** The 409s a session operation answers with; each names the session and, where it helps, its status. */

export function beingDeleted(sessionId: string): ConflictError {
  return new ConflictError('SESSION_BEING_DELETED', `Session '${sessionId}' is being deleted`);
}

export function unusable(session: Session): ConflictError {
  return new ConflictError('SESSION_UNUSABLE', `Session '${session.id}' cannot be used: ${session.unusableReason}; delete it`, {
    status: session.status.status,
  });
}

export function notReady(session: Session): ConflictError {
  return new ConflictError('SESSION_NOT_READY', `Session '${session.id}' is ${session.status.status}, not WORKING`, {
    status: session.status.status,
  });
}

/** A sleeping session could not be woken for a request: 503, with what became of it. */
export function wakeFailed(session: Session): AppError {
  const status = session.status.status;
  const why =
    status === 'SCAN_QR_CODE'
      ? 'its login is gone: it shows a QR code to scan'
      : `it is ${status}${session.status.lastReason ? ` (${session.status.lastReason})` : ''}`;
  return new AppError('WAKE_FAILED', 503, `Session '${session.id}' was HIBERNATED and could not wake: ${why}`, {
    details: { status, reason: session.status.lastReason },
  });
}

export function wakeTimedOut(session: Session, timeoutMs: number): AppError {
  return new AppError('WAKE_TIMEOUT', 503, `Session '${session.id}' did not wake within ${Math.round(timeoutMs / 1000)} s`, {
    details: { status: session.status.status },
  });
}
