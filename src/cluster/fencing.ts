import { ConflictError } from '../shared/errors.js';

/**
 * The condition every write on behalf of a session adds ($1 the session, $2 the writer's fencing token): the
 * writer still holds the session's unexpired lease. A paused old owner's write matches no row and is refused.
 */
export const LEASE_IS_HELD = 'session_id = $1 AND token = $2 AND expires_at >= now()';

/** This instance no longer owns the session (another took it over, or it was deleted). */
export class LeaseLostError extends ConflictError {
  constructor(sessionId: string) {
    super('SESSION_OWNED_ELSEWHERE', `This instance no longer holds session '${sessionId}'; another instance drives it now`);
  }
}
