import { Router } from 'express';
import type { SessionMaintenance } from '../../sessions/session-maintenance.js';
import { TerminateInactiveQuerySchema, TerminateInactiveSchema } from '../api-schemas.js';
import { parseInput } from '../middleware/validate.js';

export function maintenanceRouter(maintenance: SessionMaintenance): Router {
  const router = Router();
  router.post('/maintenance/terminate-inactive', async (request, response) => {
    const options = parseInput(TerminateInactiveSchema, request.body, 'request body');
    response.json(await maintenance.terminateInactive(options));
  });
  return router;
}

/** `GET /session/terminateInactive`, for users coming from the older wwebjs REST servers. */
export function legacyMaintenanceRouter(maintenance: SessionMaintenance): Router {
  const router = Router();
  router.get('/terminateInactive', async (request, response) => {
    const options = parseInput(TerminateInactiveQuerySchema, request.query, 'query');
    response.json(await maintenance.terminateInactive(options));
  });
  return router;
}
