import { ConflictError } from '../shared/errors.js';
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
