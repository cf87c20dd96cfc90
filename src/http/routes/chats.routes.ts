import { Router } from 'express';
import type { SessionManager } from '../../sessions/session-manager.js';
import type { AccountDirectory } from '../../sessions/account-directory.js';
import type { SessionChannels } from '../../events/session-channels.js';
import { ChatHistoryQuerySchema, ChatParamsSchema, ChatsQuerySchema, ContactParamsSchema, NumberParamsSchema } from '../message-schemas.js';
import { parseInput } from '../middleware/validate.js';
import { InvalidInputError } from '../../shared/errors.js';
import { sessionIdOf } from './sessions.routes.js';
import { logHistoryPage, nextOffsetOf } from './pages.js';

export function chatsRouter(manager: SessionManager, chats: AccountDirectory, channels: SessionChannels): Router {
  const router = Router();

  /** The account's chats as WhatsApp Web lists them, newest activity first, with unread counts. */
  router.get('/sessions/:id/chats', async (request, response) => {
    const sessionId = sessionIdOf(request.params);
    const page = parseInput(ChatsQuerySchema, request.query, 'query');
    const { items: listed, total } = await chats.list(sessionId, page);
    response.json({ id: sessionId, chats: listed, total, nextOffset: nextOffsetOf(page, listed.length, total) });
  });

  /** One chat's messages, newest first, from the session's durable log (received and sent while wamux ran it). */
  router.get('/sessions/:id/chats/:chatId/messages', async (request, response) => {
    const { id, chatId } = parseInput(ChatParamsSchema, request.params, 'path');
    const session = manager.get(id);
    const { limit, before, source } = parseInput(ChatHistoryQuerySchema, request.query, 'query');
    if (source === 'phone') {
      if (before !== undefined) throw new InvalidInputError('before pages the log only: the phone answers its newest messages');
      response.json({ id: session.id, chatId, source, messages: await chats.chatHistory(session.id, chatId, limit) });
      return;
    }
    response.json({ id: session.id, chatId, source, ...logHistoryPage(channels.get(session.id).log, { chatId, before, limit }) });
  });

  return router;
}

/** Who the account knows, and whether a number is on WhatsApp. */
export function contactsRouter(directory: AccountDirectory): Router {
  const router = Router();

  router.get('/sessions/:id/contacts', async (request, response) => {
    const sessionId = sessionIdOf(request.params);
    const page = parseInput(ChatsQuerySchema, request.query, 'query');
    const { items, total } = await directory.contacts(sessionId, page);
    response.json({ id: sessionId, contacts: items, total, nextOffset: nextOffsetOf(page, items.length, total) });
  });

  router.get('/sessions/:id/contacts/:contactId', async (request, response) => {
    const { id, contactId } = parseInput(ContactParamsSchema, request.params, 'path');
    response.json(await directory.contact(id, contactId));
  });

  router.get('/sessions/:id/numbers/:phone', async (request, response) => {
    const { id, phone } = parseInput(NumberParamsSchema, request.params, 'path');
    response.json(await directory.lookupNumber(id, phone));
  });

  return router;
}
