import type { IncomingHttpHeaders } from 'node:http';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { Logger } from '../shared/logger.js';
import type { SessionManager } from '../sessions/session-manager.js';
import type { SandboxHub } from '../sandbox/sandbox-hub.js';
import type { SessionMaintenance } from '../sessions/session-maintenance.js';
import { asAdmin, authorize, type KeyChecker } from './middleware/access-control.js';
import { routeRules } from './route-access.js';
import { keysRouter } from './routes/keys.routes.js';
import type { ApiKeys } from '../auth/api-keys.js';
import { createRateLimiter, type RateLimitSettings } from './middleware/rate-limit.js';
import type { TrustProxySetting } from '../config/network-settings.js';
import type { OutboundPolicy } from '../net/outbound-policy.js';
import { errorHandler, notFoundHandler } from './middleware/error-handler.js';
import { crossSiteGuard } from './middleware/cross-site-guard.js';
import { buildOpenApiDocument } from './openapi.js';
import { dashboardRouter } from './routes/dashboard.routes.js';
import { healthRouter, type ReadinessCheck, type ServerInfo } from './routes/health.routes.js';
import { metricsRouter, type MetricsRenderer } from './routes/metrics.routes.js';
import { rememberMount, requestLog } from './middleware/request-log.js';
import { legacyMaintenanceRouter, maintenanceRouter } from './routes/maintenance.routes.js';
import { messagesRouter } from './routes/messages.routes.js';
import { MEDIA_BODY_PATHS, mediaRouter } from './routes/media.routes.js';
import { DEFAULT_MAX_MEDIA_BYTES } from './media-schemas.js';
import { SessionMessaging } from '../sessions/session-messaging.js';
import { createMediaFetcher, createMediaPolicy } from '../net/media-fetch.js';
import { streamRouter } from './routes/stream.routes.js';
import { webhooksRouter } from './routes/webhooks.routes.js';
import type { SessionChannels } from '../events/session-channels.js';
import type { EventStream } from '../events/event-stream.js';
import type { OtherInstancesCatchUp } from '../events/event-backlog.js';
import { sandboxRouter } from './routes/sandbox.routes.js';
import { sessionsRouter } from './routes/sessions.routes.js';
import { pairingRouter } from './routes/pairing.routes.js';
import { chatsRouter, contactsRouter } from './routes/chats.routes.js';
import { messageActionsRouter } from './routes/message-actions.routes.js';
import { MessageActions } from '../sessions/message-actions.js';
import { AccountDirectory } from '../sessions/account-directory.js';
import { SessionLinking } from '../sessions/session-linking.js';
import { groupsRouter } from './routes/groups.routes.js';
import { clusterRouter } from './routes/cluster.routes.js';
import type { ClusterView } from './cluster-schemas.js';
import { SessionGroups } from '../sessions/session-groups.js';
import type { Hibernation } from '../sessions/hibernation.js';
import type { SessionLookup } from '../sessions/working-client.js';

export interface AppDeps {
  manager: SessionManager;
  /** Wakes a HIBERNATED session for a request that needs its page, and for POST .../wake. */
  hibernation: Pick<Hibernation, 'beginUse' | 'wake' | 'configChanged'>;
  maintenance: SessionMaintenance;
  channels: SessionChannels;
  stream: EventStream;
  /** Where webhook URLs may point (loopback and private networks refused unless allowed). */
  webhookPolicy: OutboundPolicy;
  sandbox: SandboxHub;
  logger: Logger;
  info: ServerInfo;
  apiKey?: string;
  /** Scoped keys (POST /api/v1/keys), checked beside the server's own key. */
  apiKeys: ApiKeys;
  rateLimit: RateLimitSettings;
  trustProxy: TrustProxySetting;
  /** Media sends: size limit, where media URLs may point, fetch timeout (defaults: 16 MiB, public hosts only, 30 s). */
  media?: { maxBytes: number; policy: OutboundPolicy; fetchTimeoutMs: number };
  /** GET /ready: why the server should not get traffic now. */
  readiness: ReadinessCheck;
  metrics: MetricsRenderer & { requestFinished(method: string, route: string, status: number, seconds: number): void };
  /** --metrics-public: GET /metrics answers without the API key. */
  metricsPublic: boolean;
  /** --access-log: one log line per request. */
  accessLog: boolean;
  /** --dashboard: serve the web dashboard at /. */
  dashboard: boolean;
  /** Set on a server without a key: its API refuses requests other sites' pages make (see cross-site-guard.ts). */
  crossSiteGuard?: { loopbackOnly: boolean };
  /** GET /api/v1/cluster; in a cluster also the forwarding of other instances' sessions and their part of the list. */
  cluster: {
    view: () => Promise<ClusterView>;
    forwarding?: RequestHandler;
    otherSessions?: (headers: IncomingHttpHeaders) => Promise<Record<string, unknown>[]>;
    /** An all-sessions stream resumed here also replays other instances' sessions. */
    streamCatchUp?: OtherInstancesCatchUp;
    instanceName?: string;
  };
}

/** Room in a media request's JSON body for the other fields beside the base64 (which is 4/3 of the bytes). */
const MEDIA_BODY_OVERHEAD = 256 * 1024;

/** Routing and middleware only: the order matters (limit, then key, then body parsing), the logic lives elsewhere. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // answers are live state, never revalidated by clients: hashing every body for an ETag was wasted work
  app.set('etag', false);
  app.set('trust proxy', deps.trustProxy);

  app.use(
    requestLog({
      logger: deps.logger,
      accessLog: deps.accessLog,
      onFinished: (method, route, status, seconds) => deps.metrics.requestFinished(method, route, status, seconds),
    }),
  );
  app.use(healthRouter(deps.manager, deps.info, deps.readiness));
  if (deps.dashboard) app.use(dashboardRouter());
  // generated once, when first asked for: it does not change while the server runs, and start-up need not wait for it
  let openApiDocument: ReturnType<typeof buildOpenApiDocument> | undefined;
  const documentOnce = () => (openApiDocument ??= buildOpenApiDocument(deps.info.version));
  // setup() also fills the swagger-ui-init.js that serve answers with: it runs before serve on any /api-docs path
  let docsPage: RequestHandler | undefined;
  const docsOnce = () => (docsPage ??= swaggerUi.setup(documentOnce()));
  app.use(
    '/api-docs',
    (_request: Request, _response: Response, next: NextFunction) => {
      docsOnce();
      next();
    },
    swaggerUi.serve,
    (request: Request, response: Response, next: NextFunction) => docsOnce()(request, response, next),
  );
  app.get('/openapi.json', (_request, response) => {
    response.json(documentOnce());
  });

  // before the rate limit and the key: on a server without a key, other sites' pages get nothing from the API
  const sameSite: RequestHandler[] = deps.crossSiteGuard ? [crossSiteGuard(deps.crossSiteGuard)] : [];
  const keys: KeyChecker = { adminKey: deps.apiKey, scoped: (presented) => deps.apiKeys.principalOf(presented) };
  const rules = routeRules();
  const limiter = createRateLimiter(deps.rateLimit, keys);
  // the key is checked before any body is parsed, so unauthenticated clients cannot make the server parse megabytes
  const guarded = [limiter, authorize(keys, rules), express.json({ limit: '1mb' })];
  const media = deps.media ?? { maxBytes: DEFAULT_MAX_MEDIA_BYTES, policy: createMediaPolicy([]), fetchTimeoutMs: 30_000 };
  // base64 is 4/3 of the bytes, and may be wrapped in lines of 76 characters (MIME style), which the decoder accepts
  const mediaBodyLimit = Math.ceil((Math.ceil(media.maxBytes / 3) * 4 * 78) / 76) + MEDIA_BODY_OVERHEAD;

  app.use(metricsRouter(deps.metrics, deps.metricsPublic ? [asAdmin] : [...sameSite, limiter, authorize(keys, rules)]));

  const api = express.Router();
  api.use(rememberMount('/api/v1'));
  if (sameSite.length > 0) api.use(sameSite);
  api.use(limiter);
  // browsers' EventSource cannot set headers: the live stream alone takes the key as ?apiKey= too
  api.use('/events/stream', authorize(keys, rules, { allowQueryKey: true }));
  // a cluster: one session's stream comes from the instance that drives it
  if (deps.cluster.forwarding) api.use('/events/stream', deps.cluster.forwarding);
  api.use(
    streamRouter({
      stream: deps.stream,
      logOf: (sessionId) => deps.channels.get(sessionId).log,
      activeSessionIds: () => deps.manager.all().map((session) => session.id).filter((id) => deps.manager.hasUsableLog(id)),
      otherInstances: deps.cluster.streamCatchUp,
    }),
  );
  api.use(authorize(keys, rules));
  // after the key check and before any body is parsed: a request for another instance's session goes there as it came
  if (deps.cluster.forwarding) api.use(deps.cluster.forwarding);
  api.use(clusterRouter(deps.cluster.view));
  // after the key check: only routes that carry media (and the sandbox phone sending some) parse bodies that large
  api.use([...MEDIA_BODY_PATHS, '/sessions/:id/sandbox/incoming'], express.json({ limit: mediaBodyLimit }));
  api.use(express.json({ limit: '1mb' }));
  api.use(
    sessionsRouter({
      manager: deps.manager,
      webhookPolicy: deps.webhookPolicy,
      hibernation: deps.hibernation,
      webhooksChanged: (sessionId) => deps.channels.get(sessionId).dispatcher.notify(),
      otherSessions: deps.cluster.otherSessions,
      instanceName: deps.cluster.instanceName,
    }),
  );
  api.use(keysRouter(deps.apiKeys, (keyId) => deps.stream.closeForKey(keyId)));
  // what the services that use a session's page see: a sleeping session wakes for them
  const sessions: SessionLookup = {
    get: (sessionId) => deps.manager.get(sessionId),
    beginUse: (sessionId) => deps.hibernation.beginUse(sessionId),
  };
  const messaging = new SessionMessaging(sessions);
  api.use(messagesRouter(deps.manager, messaging, deps.channels));
  api.use(groupsRouter(new SessionGroups(sessions)));
  api.use(
    mediaRouter({
      messaging,
      maxBytes: media.maxBytes,
      fetchMedia: createMediaFetcher({ policy: media.policy, maxBytes: media.maxBytes, timeoutMs: media.fetchTimeoutMs }),
    }),
  );
  api.use(webhooksRouter(deps.manager, deps.channels, deps.webhookPolicy));
  api.use(pairingRouter(new SessionLinking(deps.manager)));
  const directory = new AccountDirectory(sessions);
  api.use(chatsRouter(deps.manager, directory, deps.channels));
  api.use(contactsRouter(directory));
  api.use(messageActionsRouter(new MessageActions(sessions)));
  api.use(sandboxRouter(deps.manager, deps.sandbox));
  api.use(maintenanceRouter(deps.maintenance));
  app.use('/api/v1', api);
  app.use('/session', rememberMount('/session'), ...sameSite, ...guarded, legacyMaintenanceRouter(deps.maintenance));

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
