import { mayLink, principalFrom } from '../middleware/access-control.js';
import { canSee, type Principal } from '../../auth/principal.js';
import type { IncomingHttpHeaders } from 'node:http';
import { Router } from 'express';
import { ConflictError, ForbiddenError } from '../../shared/errors.js';
import type { SessionManager } from '../../sessions/session-manager.js';
import type { Session } from '../../sessions/session.js';
import type { Hibernation } from '../../sessions/hibernation.js';
import { CreateSessionSchema, LogsQuerySchema, SessionIdParamsSchema } from '../api-schemas.js';
import { parseInput } from '../middleware/validate.js';
import { SessionConfigPatchSchema } from '../../sessions/session-config.js';
import { applyConfigPatch } from '../../sessions/session-config-update.js';
import { checkWebhookTarget } from '../../events/webhooks/webhook-url.js';
import type { OutboundPolicy } from '../../net/outbound-policy.js';

/** Deadline of waitForQR beyond the session's own start timeout. */
const WAIT_MARGIN_MS = 5_000;

/**
 * The session as an answer shows it. A key that may not link a phone (no `control` role) sees no QR or pairing
 * code, and webhook URLs only as far as their origin (their paths and queries often hold a token).
 */
export function sessionView(session: Session, principal: Principal) {
  const snapshot = session.snapshot();
  if (!mayLink(principal)) {
    const { webhookUrl, webhooks, ...config } = snapshot.config;
    return {
      ...snapshot,
      config: { ...config, webhookUrl: webhookUrl === undefined ? undefined : originOf(webhookUrl), webhooks: webhooks.map((webhook) => ({ ...webhook, url: originOf(webhook.url) })) },
    };
  }
  const waiting = session.status.status === 'SCAN_QR_CODE';
  return { ...snapshot, qr: waiting ? session.qr : undefined, pairingCode: waiting ? session.pairingCode : undefined };
}

/**
 * A proxy (where the server opens connections, and what it learns about them) and Chromium flags are the
 * operator's to set: a scoped key could otherwise probe the server's network through the proxy check.
 */
function refuseServerSettings(principal: Principal, config: { proxyServerCredentials?: unknown; chromiumArgs?: unknown }): void {
  if (principal.kind !== 'scoped') return;
  if (config.proxyServerCredentials !== undefined || config.chromiumArgs !== undefined) {
    throw new ForbiddenError("proxyServerCredentials and chromiumArgs are set with the server's key only");
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

export function sessionIdOf(params: unknown): string {
  return parseInput(SessionIdParamsSchema, params, 'session id').id;
}

export interface SessionsRouterDeps {
  manager: SessionManager;
  webhookPolicy: OutboundPolicy;
  hibernation: Pick<Hibernation, 'beginUse' | 'wake' | 'configChanged'>;
  /** The session's webhooks changed: deliveries queued for a removed one settle now. */
  webhooksChanged: (sessionId: string) => void;
  /** A cluster's sessions on its other instances, as they list them for the caller's key. */
  otherSessions?: (headers: IncomingHttpHeaders) => Promise<Record<string, unknown>[]>;
  /** Cluster mode: this instance's name, shown on each of its sessions. */
  instanceName?: string;
}

export function sessionsRouter({ manager, webhookPolicy, hibernation, webhooksChanged, otherSessions, instanceName }: SessionsRouterDeps): Router {
  const router = Router();
  // in a cluster, each session says which instance drives it
  const view = (session: Session, principal: Principal) => ({ ...sessionView(session, principal), ...(instanceName === undefined ? {} : { instance: instanceName }) });

  router.post('/sessions', async (request, response) => {
    const body = parseInput(CreateSessionSchema, request.body, 'request body');
    if (!canSee(principalFrom(response), body.sessionId)) throw new ForbiddenError(`This key may not create session '${body.sessionId}'`);
    refuseServerSettings(principalFrom(response), body.config ?? {});
    // the same address checks as PUT .../webhooks: a webhook given at creation is no way around them
    const webhookUrls = [body.config?.webhookUrl, ...(body.config?.webhooks ?? []).map((webhook) => webhook.url)];
    for (const url of webhookUrls) if (url !== undefined) await checkWebhookTarget(url, webhookPolicy);
    const session = await manager.create(body.sessionId, body.config ?? {}, { start: body.start ?? true });
    if (body.start ?? true) {
      manager.start(session.id, 'created');
      if (body.waitForQR) await manager.waitUntilSettled(session, session.config.authTimeout * 1000 + WAIT_MARGIN_MS);
    }
    response.status(201).json(view(session, principalFrom(response)));
  });

  router.get('/sessions', async (request, response) => {
    const principal = principalFrom(response);
    const visible = manager.list().filter((snapshot) => canSee(principal, snapshot.id));
    const here = visible.map((snapshot) => view(manager.get(snapshot.id), principal));
    const elsewhere = (await otherSessions?.(request.headers)) ?? [];
    response.json({ sessions: [...here, ...elsewhere] });
  });

  router.get('/sessions/:id', (request, response) => {
    response.json(view(manager.get(sessionIdOf(request.params)), principalFrom(response)));
  });

  router.get('/sessions/:id/status', (request, response) => {
    const { id, status, reason, me, restartAt, history } = manager.get(sessionIdOf(request.params)).snapshot();
    response.json({ id, status, reason, me, restartAt, history });
  });

  router.get('/sessions/:id/qr', async (request, response) => {
    const qr = currentQr(manager.get(sessionIdOf(request.params)));
    response.json({ qr, image: await (await qrCodes()).toDataURL(qr) });
  });

  router.get('/sessions/:id/qr/image', async (request, response) => {
    const qr = currentQr(manager.get(sessionIdOf(request.params)));
    response.type('png').send(await (await qrCodes()).toBuffer(qr, { type: 'png', margin: 2, width: 320 }));
  });

  router.post('/sessions/:id/start', (request, response) => {
    const { session } = manager.start(sessionIdOf(request.params));
    response.status(202).json(view(session, principalFrom(response)));
  });

  router.post('/sessions/:id/restart', async (request, response) => {
    const { session } = await manager.restart(sessionIdOf(request.params));
    response.status(202).json(view(session, principalFrom(response)));
  });

  router.post('/sessions/:id/stop', async (request, response) => {
    response.json(view(await manager.stop(sessionIdOf(request.params)), principalFrom(response)));
  });

  router.post('/sessions/:id/wake', async (request, response) => {
    response.json(view(await hibernation.wake(sessionIdOf(request.params)), principalFrom(response)));
  });

  router.post('/sessions/:id/logout', async (request, response) => {
    const sessionId = sessionIdOf(request.params);
    // logging out unlinks the device on the phone, which only a running page can do: a sleeping session wakes for it
    // (if it cannot, the login is deleted here all the same)
    await hibernation.beginUse(sessionId).then((end) => end(), () => undefined);
    response.json(view(await manager.logout(sessionId), principalFrom(response)));
  });

  /** Changes the config without touching the login; what the running browser was launched with applies at its next start. */
  router.patch('/sessions/:id', async (request, response) => {
    const sessionId = sessionIdOf(request.params);
    const patch = parseInput(SessionConfigPatchSchema, request.body, 'request body');
    refuseServerSettings(principalFrom(response), patch);
    for (const url of [patch.webhookUrl, ...(patch.webhooks ?? []).map((webhook) => webhook.url)]) {
      if (typeof url === 'string') await checkWebhookTarget(url, webhookPolicy);
    }
    const flagPolicy = manager.flagPolicy();
    const { session, result } = await manager.updateConfig(sessionId, (config) => {
      const update = applyConfigPatch(config, patch, flagPolicy);
      return { config: update.config, result: update };
    });
    if (result.changed.some((field) => field === 'hibernateAfterMinutes' || field === 'wakeEveryMinutes')) hibernation.configChanged(session.id);
    if (result.changed.some((field) => field === 'webhooks' || field === 'webhookUrl')) webhooksChanged(session.id);
    response.json({
      ...view(session, principalFrom(response)),
      changed: result.changed,
      // a browser runs with the old values until the session starts again (restart, or a stop and start)
      appliesAtNextStart: session.client ? result.atNextStart : [],
    });
  });

  router.delete('/sessions/:id', async (request, response) => {
    const sessionId = sessionIdOf(request.params);
    await manager.delete(sessionId);
    response.json({ id: sessionId, deleted: true });
  });

  router.get('/sessions/:id/logs', (request, response) => {
    const session = manager.get(sessionIdOf(request.params));
    const { limit } = parseInput(LogsQuerySchema, request.query, 'query');
    response.json({ id: session.id, logs: session.recentLogs(limit) });
  });

  return router;
}

function currentQr(session: Session): string {
  if (session.status.status !== 'SCAN_QR_CODE' || !session.qr) {
    throw new ConflictError('QR_NOT_AVAILABLE', `Session '${session.id}' is ${session.status.status}: no QR code to scan`, {
      status: session.status.status,
    });
  }
  return session.qr;
}

/** The QR image library, loaded when a QR image is first asked for rather than at start-up. */
async function qrCodes(): Promise<typeof import('qrcode')> {
  return (await import('qrcode')).default;
}
