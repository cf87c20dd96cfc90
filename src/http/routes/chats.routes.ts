import { Router } from 'express';
import type { SessionManager } from '../../sessions/session-manager.js';
import type { SessionChats } from '../../sessions/session-chats.js';
import type { SessionChannels } from '../../events/session-channels.js';
import { ChatHistoryQuerySchema, ChatParamsSchema, ChatsQuerySchema } from '../api-schemas.js';
import { parseInput } from '../middleware/validate.js';
import { sessionIdOf } from './sessions.routes.js';

export function chatsRouter(manager: SessionManager, chats: SessionChats, channels: SessionChannels): Router {
  const router = Router();

  /** The account's chats as WhatsApp Web lists them, newest activity first, with unread counts. */
  router.get('/sessions/:id/chats', async (request, response) => {
    const sessionId = sessionIdOf(request.params);
    const page = parseInput(ChatsQuerySchema, request.query, 'query');
    const { chats: listed, total } = await chats.list(sessionId, page);
    const nextOffset = page.offset + listed.length < total ? page.offset + listed.length : undefined;
    response.json({ id: sessionId, chats: listed, total, nextOffset });
  });

  /** One chat's messages, newest first, from the session's durable log (received and sent while wamux ran it). */
  router.get('/sessions/:id/chats/:chatId/messages', (request, response) => {
    const { id, chatId } = parseInput(ChatParamsSchema, request.params, 'path');
    const session = manager.get(id);
    const { limit, before } = parseInput(ChatHistoryQuerySchema, request.query, 'query');
    const envelopes = channels.get(session.id).log.messages({ chatId, beforeId: before, limit });
    const messages = envelopes.map((envelope) => ({ eventId: envelope.id, ...envelope.payload }));
    response.json({ id: session.id, chatId, messages, nextBefore: envelopes.length === limit ? envelopes.at(-1)?.id : undefined });
  });

  return router;
}
