import { Router } from 'express';
import type { ApiKeys } from '../../auth/api-keys.js';
import { CreateKeySchema, KeyParamsSchema } from '../keys-schemas.js';
import { parseInput } from '../middleware/validate.js';

/** Scoped API keys: the server's own key only (the access rules say so). */
export function keysRouter(keys: ApiKeys, revoked: (keyId: string) => void): Router {
  const router = Router();

  router.post('/keys', async (request, response) => {
    const input = parseInput(CreateKeySchema, request.body, 'request body');
    response.status(201).json(await keys.create(input));
  });

  router.get('/keys', (_request, response) => {
    response.json({ keys: keys.list() });
  });

  router.delete('/keys/:keyId', async (request, response) => {
    const { keyId } = parseInput(KeyParamsSchema, request.params, 'key id');
    await keys.revoke(keyId);
    // a live stream opened with it would otherwise go on for as long as its connection lasts
    revoked(keyId);
    response.json({ id: keyId, revoked: true });
  });

  return router;
}
