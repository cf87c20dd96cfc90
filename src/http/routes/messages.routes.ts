import { Router } from 'express';
import type { SessionManager } from '../../sessions/session-manager.js';
import type { SessionChannels } from '../../events/session-channels.js';
import { EventsQuerySchema, HistoryQuerySchema, SendTextSchema } from '../api-schemas.js';
import { parseInput } from '../middleware/validate.js';
import { InvalidInputError } from '../../shared/errors.js';
import { sessionIdOf } from './sessions.routes.js';

export function messagesRouter(manager: SessionManager, channels: SessionChannels): Router {
  const router = Router();

  router.post('/sessions/:id/send-text', async (request, response) => {
    const sessionId = sessionIdOf(request.params);
    const { chatId, content } = parseInput(SendTextSchema, request.body, 'request body');
    const message = await manager.sendText(sessionId, chatId, content);
    response.status(201).json({ id: message.id, message });
  });

  /** Message history from the session's durable log: newest first; page with before=<eventId>. */
  router.get('/sessions/:id/messages', (request, response) => {
    const session = manager.get(sessionIdOf(request.params));
    const { chatId, limit, before } = parseInput(HistoryQuerySchema, request.query, 'query');
    const envelopes = channels.get(session.id).log.messages({ chatId, beforeId: before, limit });
    const messages = envelopes.map((envelope) => ({ eventId: envelope.id, ...envelope.payload }));
    response.json({ id: session.id, messages, nextBefore: envelopes.length === limit ? envelopes.at(-1)?.id : undefined });
  });

  /** Everything the session reported after an event id, oldest first: how a client catches up. */
  router.get('/sessions/:id/events', (request, response) => {
    const session = manager.get(sessionIdOf(request.params));
    const { after, limit } = parseInput(EventsQuerySchema, request.query, 'query');
    const log = channels.get(session.id).log;
    if (after !== undefined && !log.hasEvent(after)) {
      throw new InvalidInputError(`Unknown event id '${after}' in session '${session.id}'; omit after to read from the start`);
    }
    response.json({ id: session.id, events: log.eventsAfter(after, limit) });
  });

  return router;
}
