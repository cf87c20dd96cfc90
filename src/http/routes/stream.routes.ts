import { Router } from 'express';
import { AppError, InvalidInputError, SessionNotFoundError } from '../../shared/errors.js';
import type { SqliteEventLog } from '../../events/event-log.js';
import type { EventStream } from '../../events/event-stream.js';
import { mergedBacklog, type Backlog, type OtherInstancesCatchUp } from '../../events/event-backlog.js';
import { eventIdAt, eventIdTime } from '../../events/event-envelope.js';

/** An all-sessions resume id may be this far ahead of the server's clock (ids carry the time they were made). */
const CLOCK_SKEW_MS = 60_000;
import { StreamQuerySchema } from '../api-schemas.js';
import { mayLink, principalFrom } from '../middleware/access-control.js';
import { canSee } from '../../auth/principal.js';
import { parseInput } from '../middleware/validate.js';

export interface StreamRouterDeps {
  stream: EventStream;
  /** The session's log; throws SessionNotFoundError for a session that does not exist or is being deleted. */
  logOf: (sessionId: string) => SqliteEventLog;
  /** Every session whose events are being logged (loaded, not being deleted). */
  activeSessionIds: () => string[];
  /** Events read from a log per page of the catch-up. */
  pageSize?: number;
  /** A cluster: an all-sessions catch-up also reads other instances' sessions (see OtherInstancesBacklog). */
  otherInstances?: OtherInstancesCatchUp;
}


/**
 * `GET /events/stream`: Server-Sent Events of the same envelopes webhooks get. Browsers' EventSource cannot set
 * headers, so the key may also come as ?apiKey=. With an event id (`after`, or the Last-Event-ID header a
 * reconnecting EventSource sends, which wins), the stream starts with every event after it, of the session or of
 * all sessions, then goes live: nothing lost, and nothing replayed but, in a cluster, the resume margin of an
 * all-sessions stream (see OtherInstancesCatchUp).
 */
export function streamRouter(deps: StreamRouterDeps): Router {
  const { stream, logOf, activeSessionIds } = deps;
  const router = Router();
  router.get('/events/stream', (request, response) => {
    const query = parseInput(StreamQuerySchema, request.query, 'query');
    const principal = principalFrom(response);
    const lastEventId = request.header('last-event-id')?.trim();
    const after = lastEventId ? parseInput(StreamQuerySchema.shape.after, lastEventId, 'Last-Event-ID header') : query.after;
    const session = query.session;
    // 404 for an unknown session, and for one outside a scoped key's list
    if (session !== undefined && !canSee(principal, session)) throw new SessionNotFoundError(session);
    if (session !== undefined) logOf(session);
    const sessionIds = session !== undefined ? () => [session] : () => activeSessionIds().filter((id) => canSee(principal, id));
    let backlog: Backlog | undefined;
    if (after !== undefined) {
      // one session: the id must be in its log (or pruned from it). All sessions: ids sort across sessions, so resuming after an id
      // is well defined even when its session has been deleted since (a reconnecting EventSource stops for good
      // on a 400); only an id from the future cannot be a position in the stream.
      const known =
        session !== undefined
          ? openLog(logOf, session)?.knows(after) === true
          : eventIdTime(after) <= Date.now() + CLOCK_SKEW_MS;
      if (!known) {
        const where = session !== undefined ? `session '${session}''s log` : 'the stream (it is newer than any event)';
        throw new InvalidInputError(
          `Unknown event id '${after}': it is not in ${where}, so the stream cannot resume after it. ` +
            'To start over from live events, connect without after and without a Last-Event-ID header.',
        );
      }
      const others = session === undefined ? deps.otherInstances : undefined;
      const afterId = others ? eventIdAt(eventIdTime(after) - others.resumeMarginMs) : after;
      backlog = mergedBacklog({
        afterId,
        sessionIds,
        logOf: (sessionId) => openLog(logOf, sessionId),
        events: query.events,
        pageSize: deps.pageSize,
        others: others?.source,
        visible: (sessionId) => canSee(principal, sessionId),
      });
    }
    const scoped = principal.kind === 'scoped' ? principal : undefined;
    void stream.subscribe(response, { session, events: query.events, sessions: scoped?.sessions, withoutCodes: !mayLink(principal), keyId: scoped?.keyId }, backlog);
  });
  return router;
}

/**
 * The session's log, or undefined if the session is gone (deleted since it was listed) or its log cannot be used:
 * one broken session must not keep every other session's stream from resuming.
 */
function openLog(logOf: (sessionId: string) => SqliteEventLog, sessionId: string): SqliteEventLog | undefined {
  try {
    return logOf(sessionId);
  } catch (error) {
    if (error instanceof SessionNotFoundError || (error instanceof AppError && error.status === 409)) return undefined;
    throw error;
  }
}
