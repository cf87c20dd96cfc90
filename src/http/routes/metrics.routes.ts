import { Router, type RequestHandler } from 'express';

export interface MetricsRenderer {
  render(): Promise<{ contentType: string; body: string }>;
}

/** GET /metrics in Prometheus's text format, behind `guard` (the API key) unless --metrics-public. */
export function metricsRouter(metrics: MetricsRenderer, guard: RequestHandler[]): Router {
  const router = Router();
  router.get('/metrics', ...guard, async (_request, response) => {
    const { contentType, body } = await metrics.render();
    response.type(contentType).send(body);
  });
  return router;
}
