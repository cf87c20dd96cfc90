import { Router, type RequestHandler } from 'express';
import { canSee, type Principal } from '../../auth/principal.js';
import { principalFrom } from '../middleware/access-control.js';

export interface MetricsRenderer {
  render(): Promise<{ contentType: string; body: string }>;
}

/** GET /metrics in Prometheus's text format, behind `guard` (the API key) unless --metrics-public. */
export function metricsRouter(metrics: MetricsRenderer, guard: RequestHandler[]): Router {
  const router = Router();
  router.get('/metrics', ...guard, async (_request, response) => {
    const { contentType, body } = await metrics.render();
    response.type(contentType).send(scopedTo(principalFrom(response), body));
  });
  return router;
}

const SESSION_LABEL = /[{,]session="([^"]*)"/;

/** A scoped key sees only its sessions' series: nothing server-wide, nothing of other sessions. */
export function scopedTo(principal: Principal, text: string): string {
  if (principal.kind === 'admin') return text;
  return text
    .split('\n')
    .filter((line) => {
      if (line.startsWith('#') || line === '') return true;
      const session = SESSION_LABEL.exec(line)?.[1];
      return session !== undefined && canSee(principal, session);
    })
    .join('\n');
}
