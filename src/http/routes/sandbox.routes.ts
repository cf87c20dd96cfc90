import { Router } from 'express';
import { ConflictError } from '../../shared/errors.js';
import type { SessionManager } from '../../sessions/session-manager.js';
import type { SandboxHub } from '../../sandbox/sandbox-hub.js';
import { SandboxIncomingSchema, SandboxScanSchema } from '../api-schemas.js';
import { parseInput } from '../middleware/validate.js';
import { decodeMediaData } from '../media-schemas.js';

/** The phone's own media: bounded by the body limit of the route; this only guards decoding. */
const MAX_PHONE_MEDIA_BYTES = 1024 * 1024 * 1024;
import { sessionIdOf } from './sessions.routes.js';

/** The simulated phone of a sandbox session: scan its QR, write to it, read what it sent, unlink it. */
export function sandboxRouter(manager: SessionManager, hub: SandboxHub): Router {
  const router = Router();

  const sandboxSessionId = (params: unknown): string => {
    const session = manager.get(sessionIdOf(params));
    if (!session.config.sandbox) {
      throw new ConflictError('NOT_A_SANDBOX_SESSION', `Session '${session.id}' talks to WhatsApp, not to the sandbox`);
    }
    return session.id;
  };

  router.post('/sessions/:id/sandbox/scan', async (request, response) => {
    const sessionId = sandboxSessionId(request.params);
    const input = parseInput(SandboxScanSchema, request.body, 'request body');
    response.json({ account: await hub.scan(sessionId, input) });
  });

  router.post('/sessions/:id/sandbox/incoming', async (request, response) => {
    const sessionId = sandboxSessionId(request.params);
    const { from, body, media } = parseInput(SandboxIncomingSchema, request.body, 'request body');
    const decoded = media ? { ...media, data: decodeMediaData(media.data, MAX_PHONE_MEDIA_BYTES).bytes } : undefined;
    response.status(201).json(await hub.incoming(sessionId, { from, body, media: decoded }));
  });

  router.post('/sessions/:id/sandbox/expire-media', (request, response) => {
    const sessionId = sandboxSessionId(request.params);
    hub.expireMedia(sessionId);
    response.json({ id: sessionId, expired: true });
  });

  router.get('/sessions/:id/sandbox/outbox', (request, response) => {
    const sessionId = sandboxSessionId(request.params);
    response.json({ id: sessionId, messages: hub.outbox(sessionId) });
  });

  router.post('/sessions/:id/sandbox/logout', async (request, response) => {
    const sessionId = sandboxSessionId(request.params);
    await hub.logout(sessionId);
    response.json({ id: sessionId, loggedOut: true });
  });

  return router;
}
