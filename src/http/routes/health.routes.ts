import { Router } from 'express';
import type { SessionManager } from '../../sessions/session-manager.js';
import { SESSION_STATUSES, type SessionStatus } from '../../sessions/session-status.js';

export interface ServerInfo {
  version: string;
  whatsappWebJs: string;
  startedAt: number;
  /** --sandbox: a new session is a sandbox session unless its config says otherwise. */
  sandboxByDefault: boolean;
}

/** Why the server should not get traffic now (restore still running, storage not writable...); empty when ready. */
export type ReadinessCheck = () => Promise<string[]>;

export function healthRouter(manager: SessionManager, info: ServerInfo, readiness: ReadinessCheck): Router {
  const router = Router();

  router.get('/health', (_request, response) => {
    response.json({ status: 'ok' });
  });

  router.get('/ready', async (_request, response) => {
    const reasons = await readiness();
    if (reasons.length === 0) {
      response.json({ status: 'ready' });
      return;
    }
    response.status(503).json({ status: 'not-ready', reasons });
  });

  router.get('/info', (_request, response) => {
    const sessions = Object.fromEntries(SESSION_STATUSES.map((status) => [status, 0])) as Record<SessionStatus, number>;
    for (const session of manager.list()) sessions[session.status]++;
    response.json({
      name: 'wamux',
      version: info.version,
      whatsappWebJs: info.whatsappWebJs,
      uptimeSeconds: Math.round((Date.now() - info.startedAt) / 1000),
      sandboxByDefault: info.sandboxByDefault,
      sessions,
    });
  });

  return router;
}
