import { Router } from 'express';
import { InvalidInputError, UnauthorizedError } from '../../shared/errors.js';
import type { SessionManager } from '../../sessions/session-manager.js';
import type { SessionChannels } from '../../events/session-channels.js';
import type { EventStream } from '../../events/event-stream.js';
import { StreamQuerySchema } from '../api-schemas.js';
import { apiKeyMatches } from '../middleware/api-key.js';
import { parseInput } from '../middleware/validate.js';

/**
 * `GET /events/stream`: Server-Sent Events of the same envelopes webhooks get. Browsers' EventSource cannot set
 * headers, so the key may also come as ?apiKey=. With session and after, missed events are sent first.
 */
export function streamRouter(manager: SessionManager, channels: SessionChannels, stream: EventStream, apiKey: string | undefined): Router {
  const router = Router();
  router.get('/events/stream', (request, response) => {
    const query = parseInput(StreamQuerySchema, request.query, 'query');
    if (apiKey !== undefined && !apiKeyMatches(apiKey, request.header('x-api-key') ?? query.apiKey)) {
      throw new UnauthorizedError('A valid x-api-key header or apiKey query parameter is required');
    }
    if (query.after && !query.session) throw new InvalidInputError('after needs session: event ids are per session');
    if (query.session) manager.get(query.session);
    const backlog = query.session && query.after ? channels.get(query.session).log.eventsAfter(query.after, 1000) : [];
    stream.subscribe(response, { session: query.session, events: query.events }, backlog);
  });
  return router;
}
