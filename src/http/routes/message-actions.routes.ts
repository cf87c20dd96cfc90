import { Router } from 'express';
import type { MessageActions } from '../../sessions/message-actions.js';
import { ChatParamsSchema, DeleteMessageQuerySchema, EditSchema, MessageParamsSchema, PresenceSchema, ReactSchema } from '../message-schemas.js';
import { parseInput } from '../middleware/validate.js';

/** Acting on a message (react, edit, delete) or a chat (read receipts, typing). */
export function messageActionsRouter(actions: MessageActions): Router {
  const router = Router();

  router.post('/sessions/:id/messages/:messageId/react', async (request, response) => {
    const { id, messageId } = parseInput(MessageParamsSchema, request.params, 'path');
    const { emoji } = parseInput(ReactSchema, request.body, 'request body');
    await actions.react(id, messageId, emoji);
    response.json({ id, messageId, reaction: emoji });
  });

  router.post('/sessions/:id/messages/:messageId/edit', async (request, response) => {
    const { id, messageId } = parseInput(MessageParamsSchema, request.params, 'path');
    const { content } = parseInput(EditSchema, request.body, 'request body');
    response.json({ id, message: await actions.edit(id, messageId, content) });
  });

  router.delete('/sessions/:id/messages/:messageId', async (request, response) => {
    const { id, messageId } = parseInput(MessageParamsSchema, request.params, 'path');
    const { forEveryone } = parseInput(DeleteMessageQuerySchema, request.query, 'query');
    const deleted = await actions.delete(id, messageId, forEveryone);
    // forEveryone says what happened: WhatsApp deletes only here what this account may not revoke
    response.json({ id, messageId, deleted: true, forEveryone: deleted.forEveryone });
  });

  router.post('/sessions/:id/chats/:chatId/seen', async (request, response) => {
    const { id, chatId } = parseInput(ChatParamsSchema, request.params, 'path');
    await actions.markSeen(id, chatId);
    response.json({ id, chatId, seen: true });
  });

  router.post('/sessions/:id/chats/:chatId/presence', async (request, response) => {
    const { id, chatId } = parseInput(ChatParamsSchema, request.params, 'path');
    const { state } = parseInput(PresenceSchema, request.body, 'request body');
    await actions.setPresence(id, chatId, state);
    response.json({ id, chatId, state });
  });

  return router;
}
