import { Router } from 'express';
import type { SessionLinking } from '../../sessions/session-linking.js';
import { PairingCodeRequestSchema } from '../api-schemas.js';
import { parseInput } from '../middleware/validate.js';
import { sessionIdOf } from './sessions.routes.js';

/** Linking without a camera: the code to type on the phone, while the session waits for a QR scan. */
export function pairingRouter(linking: SessionLinking): Router {
  const router = Router();
  router.post('/sessions/:id/pairing-code', async (request, response) => {
    const sessionId = sessionIdOf(request.params);
    const { phone } = parseInput(PairingCodeRequestSchema, request.body, 'request body');
    response.json({ id: sessionId, code: await linking.requestPairingCode(sessionId, phone) });
  });
  return router;
}
