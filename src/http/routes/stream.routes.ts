import { Router } from 'express';
import { InvalidInputError, SessionNotFoundError, UnauthorizedError } from '../../shared/errors.js';
import type { SqliteEventLog } from '../../events/event-log.js';
import { mergedBacklog, type Backlog, type EventStream } from '../../events/event-stream.js';
import { StreamQuerySchema } from '../api-schemas.js';
import { apiKeyMatches } from '../middleware/api-key.js';
import { parseInput } from '../middleware/validate.js';

export interface StreamRouterDeps {
  stream: EventStream;
  /** The session's log; throws SessionNotFoundError for a session that does not exist or is being deleted. */
  logOf: (sessionId: string) => SqliteEventLog;
  /** Every session whose events are being logged (loaded, not being deleted). */
  activeSessionIds: () => string[];
  apiKey: string | undefined;
  /** Events read from a log per page of the catch-up. */
  pageSize?: number;
}

/**
 * `GET /events/stream`: Server-Sent Events of the same envelopes webhooks get. Browsers' EventSource cannot set
 * headers, so the key may also come as ?apiKey=. With an event id (`after`, or the Last-Event-ID header a
 * reconnecting EventSource sends, which wins), the stream starts with every event after it, of the session or of
 * all sessions, then goes live: nothing replayed, nothing lost.
 */
export function streamRouter(deps: StreamRouterDeps): Router {
  const { stream, logOf, activeSessionIds, apiKey } = deps;
  const router = Router();
  router.get('/events/stream', (request, response) => {
    const query = parseInput(StreamQuerySchema, request.query, 'query');
    if (apiKey !== undefined && !apiKeyMatches(apiKey, request.header('x-api-key') ?? query.apiKey)) {
      throw new UnauthorizedError('A valid x-api-key header or apiKey query parameter is required');
    }
    const lastEventId = request.header('last-event-id')?.trim();
    const after = lastEventId ? parseInput(StreamQuerySchema.shape.after, lastEventId, 'Last-Event-ID header') : query.after;
    const session = query.session;
    if (session !== undefined) logOf(session); // 404 for an unknown session
    const sessionIds = session !== undefined ? () => [session] : activeSessionIds;
    let backlog: Backlog | undefined;
    if (after !== undefined) {
      if (!sessionIds().some((sessionId) => openLog(logOf, sessionId)?.hasEvent(after))) {
        const where = session !== undefined ? `session '${session}''s log` : "any session's log";
        throw new InvalidInputError(
          `Unknown event id '${after}': it is not in ${where}, so the stream cannot resume after it. ` +
            'To start over from live events, connect without after and without a Last-Event-ID header.',
        );
      }
      backlog = mergedBacklog({
        afterId: after,
        sessionIds,
        logOf: (sessionId) => openLog(logOf, sessionId),
        events: query.events,
        pageSize: deps.pageSize,
      });
    }
    void stream.subscribe(response, { session, events: query.events }, backlog);
  });
  return router;
}

/** The session's log, or undefined if the session is gone (deleted since it was listed). */
function openLog(logOf: (sessionId: string) => SqliteEventLog, sessionId: string): SqliteEventLog | undefined {
  try {
    return logOf(sessionId);
  } catch (error) {
    if (error instanceof SessionNotFoundError) return undefined;
    throw error;
  }
}
