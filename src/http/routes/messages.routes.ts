import { Router } from 'express';
import type { SessionManager } from '../../sessions/session-manager.js';
import { MessagesQuerySchema, SendTextSchema } from '../api-schemas.js';
import { parseInput } from '../middleware/validate.js';
import { sessionIdOf } from './sessions.routes.js';

export function messagesRouter(manager: SessionManager): Router {
  const router = Router();

  router.post('/sessions/:id/send-text', async (request, response) => {
    const sessionId = sessionIdOf(request.params);
    const { chatId, content } = parseInput(SendTextSchema, request.body, 'request body');
    const message = await manager.sendText(sessionId, chatId, content);
    response.status(201).json({ id: message.id, message });
  });

  router.get('/sessions/:id/messages', (request, response) => {
    const session = manager.get(sessionIdOf(request.params));
    const { chatId, limit } = parseInput(MessagesQuerySchema, request.query, 'query');
    response.json({ id: session.id, messages: session.recentMessages(limit, chatId) });
  });

  return router;
}
