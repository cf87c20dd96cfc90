import { mayLink, principalFrom } from '../middleware/access-control.js';
import { isLinkingCode } from '../../events/event-stream.js';
import { Router } from 'express';
import type { SessionManager } from '../../sessions/session-manager.js';
import type { SessionMessaging } from '../../sessions/session-messaging.js';
import type { SessionChannels } from '../../events/session-channels.js';
import { EventsQuerySchema, HistoryQuerySchema } from '../api-schemas.js';
import { SendContactSchema, SendLocationSchema, SendPollSchema, SendTextSchema } from '../message-schemas.js';
import { parseInput } from '../middleware/validate.js';
import { InvalidInputError } from '../../shared/errors.js';
import { sessionIdOf } from './sessions.routes.js';
import { logHistoryPage } from './pages.js';

export function messagesRouter(manager: SessionManager, messaging: SessionMessaging, channels: SessionChannels): Router {
  const router = Router();

  router.post('/sessions/:id/send-text', async (request, response) => {
    const sessionId = sessionIdOf(request.params);
    const { chatId, content, ...options } = parseInput(SendTextSchema, request.body, 'request body');
    const message = await messaging.sendText(sessionId, chatId, content, options);
    response.status(201).json({ id: message.id, message });
  });

  router.post('/sessions/:id/send-location', async (request, response) => {
    const sessionId = sessionIdOf(request.params);
    const { chatId, quotedMessageId, mentions, markSeen, ...location } = parseInput(SendLocationSchema, request.body, 'request body');
    const message = await messaging.sendLocation(sessionId, chatId, location, { quotedMessageId, mentions, markSeen });
    response.status(201).json({ id: message.id, message });
  });

  router.post('/sessions/:id/send-contact', async (request, response) => {
    const sessionId = sessionIdOf(request.params);
    const { chatId, contacts, ...options } = parseInput(SendContactSchema, request.body, 'request body');
    const message = await messaging.sendContacts(sessionId, chatId, contacts, options);
    response.status(201).json({ id: message.id, message });
  });

  router.post('/sessions/:id/send-poll', async (request, response) => {
    const sessionId = sessionIdOf(request.params);
    const { chatId, name, options, multipleAnswers, ...sendOptions } = parseInput(SendPollSchema, request.body, 'request body');
    const message = await messaging.sendPoll(sessionId, chatId, { name, options, multipleAnswers }, sendOptions);
    response.status(201).json({ id: message.id, message });
  });

  /** Message history from the session's durable log: newest first; page with before=<eventId>. */
  router.get('/sessions/:id/messages', (request, response) => {
    const session = manager.get(sessionIdOf(request.params));
    const { chatId, limit, before } = parseInput(HistoryQuerySchema, request.query, 'query');
    response.json({ id: session.id, ...logHistoryPage(channels.get(session.id).log, { chatId, before, limit }) });
  });

  /** Everything the session reported after an event id, oldest first: how a client catches up. */
  router.get('/sessions/:id/events', (request, response) => {
    const session = manager.get(sessionIdOf(request.params));
    const { after, before, newest, events: types, limit } = parseInput(EventsQuerySchema, request.query, 'query');
    const log = channels.get(session.id).log;
    if (after !== undefined && !log.knows(after)) {
      throw new InvalidInputError(`Unknown event id '${after}' in session '${session.id}'; omit after to read from the start`);
    }
    // an id retention pruned is a position still: ids sort by creation
    const events =
      before !== undefined || newest === true
        ? log.eventsBeforeId(before, limit, types)
        : types !== undefined || (after !== undefined && !log.hasEvent(after))
          ? log.eventsAfterId(after ?? '', limit, types)
          : log.eventsAfter(after, limit);
    const linking = mayLink(principalFrom(response));
    response.json({ id: session.id, events: linking ? events : events.filter((envelope) => !isLinkingCode(envelope.event)) });
  });

  return router;
}
