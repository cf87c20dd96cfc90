import { Router } from 'express';
import type { ClusterView } from '../cluster-schemas.js';

/** GET /api/v1/cluster: the instances, who drives which session, and the login backups (the server's key only). */
export function clusterRouter(view: () => Promise<ClusterView>): Router {
  const router = Router();
  router.get('/cluster', async (_request, response) => {
    response.json(await view());
  });
  return router;
}
