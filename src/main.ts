import { availableMemoryMib } from './shared/available-memory.js';
import { createRequire } from 'node:module';
import os from 'node:os';
import { ConfigError, loadConfig, type AppConfig } from './config/config.js';
import { createLogger } from './shared/logger.js';
import { describeError } from './shared/errors.js';
import { SandboxHub } from './sandbox/sandbox-hub.js';
import { SessionEvents } from './sessions/session-events.js';
import { SessionManager } from './sessions/session-manager.js';
import { SessionMaintenance } from './sessions/session-maintenance.js';
import { restoreSessions } from './sessions/restore.js';
import { Hibernation } from './sessions/hibernation.js';
import { MemorySweeper } from './sessions/memory-sweeper.js';
import { browserMemory, profileMemoryMib } from './browser/profile-processes.js';
import { SessionProbe } from './sessions/session-probe.js';
import { ServerMetrics } from './metrics/server-metrics.js';
import { storageProblems } from './storage/storage-health.js';
import { realTimers } from './shared/timers.js';
import { bootSessions } from './boot.js';
import { FileSessionStore } from './storage/file-session-store.js';
import { FileApiKeyStore } from './storage/file-api-key-store.js';
import { ApiKeys } from './auth/api-keys.js';
import { ProcfsProcessTable, isProcessAlive } from './browser/process-table.js';
import { resolveBrowserExecutable } from './browser/chromium.js';
import { createWwebjsClientFactory } from './wa/wwebjs-factory.js';
import { createApp } from './http/app.js';
import { createMediaPolicy } from './net/media-fetch.js';
import { EventPipeline } from './events/event-pipeline.js';
import { EventStream } from './events/event-stream.js';
import { EventRetention } from './events/event-retention.js';
import { isLoopbackHost } from './config/network-settings.js';
import { SessionChannels } from './events/session-channels.js';
import { collectTargets } from './events/webhook-targets.js';
import { checkWebhookTarget, createWebhookPolicy } from './events/webhooks/webhook-url.js';
import type { WebhookKey, WebhookTarget } from './events/webhooks/webhook-types.js';
import { openClusterOrExit, databaseSecrets } from './cluster/open-cluster.js';
import { handleShutdown, keepAliveOnStrayErrors } from './process-signals.js';
import { singleProcessView } from './cluster/single-process-view.js';

const require = createRequire(import.meta.url);
const VERSION: string = (require('../package.json') as { version: string }).version;
const WWEBJS_VERSION: string = (require('whatsapp-web.js/package.json') as { version: string }).version;

function readConfig(): AppConfig {
  try {
    return loadConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`wamux: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(
    config.logLevel,
    [config.apiKey, config.webhookSecret, config.databaseUrl, ...databaseSecrets(config.databaseUrl)].filter((secret): secret is string => secret !== undefined),
  );
  keepAliveOnStrayErrors(logger);
  const cluster = config.databaseUrl === undefined ? undefined : await openClusterOrExit(config, logger);

  const sandbox = await SandboxHub.create({ logger });
  const events = new SessionEvents();
  const processes = new ProcfsProcessTable();
  const store =
    cluster?.store ??
    new FileSessionStore(config.sessionsDir, {
      onOwnershipLost: (sessionId, error) =>
        logger.error('lost ownership of a session folder', { session: sessionId, error: describeError(error) }),
      isProcessAlive: (pid) => isProcessAlive(processes, pid),
    });
  const clientFactory = createWwebjsClientFactory({
    executablePath: resolveBrowserExecutable({ chromeBin: config.chromeBin, useChrome: config.useChrome }),
    webVersionCache: config.webVersionCache,
    leanChromium: config.leanChromium,
    chromiumLowEndMode: config.chromiumLowEndMode,
    logger,
    connectionArgs: async (options) =>
      options.sandbox ? (await sandbox.endpointFor(options.sessionId, { qrIntervalMs: options.qrIntervalMs })).chromiumArgs : [],
  });
  // what this process holds open for a session: its log and webhook dispatcher, and its sandbox phone
  const closeHere = async (sessionId: string) => {
    await channels.close(sessionId);
    await sandbox.remove(sessionId);
  };
  const manager = new SessionManager({
    store,
    clientFactory,
    processes,
    hostname: os.hostname(),
    logger,
    events,
    now: () => Date.now(),
    settings: {
      serverChromiumArgs: config.chromiumArgs,
      flagPolicy: { extraAllowed: config.allowChromiumFlags },
      stopDeadlineMs: config.stopDeadlineMs,
      stableAfterMs: config.restartCooldownMs,
    },
    managerSettings: {
      maxSessions: config.maxSessions,
      sandboxByDefault: config.sandbox,
      restart: {
        maxAttempts: config.maxRestartAttempts,
        windowMs: config.restartResetMs,
        cooldownMs: config.restartCooldownMs,
      },
      lockTimeoutMs: 120_000,
    },
    beforeRemove: async (sessionId) => {
      cluster?.store.markDeleting(sessionId);
      await closeHere(sessionId);
    },
    afterRelinquish: async (sessionId) => {
      cluster?.forget(sessionId);
      await closeHere(sessionId);
    },
  });
  const probe = new SessionProbe({
    sessions: () => manager.all(),
    browserMemory: (sessionIds) => browserMemory(processes, sessionIds.map((sessionId) => store.profileDir(sessionId))),
    onUnresponsive: (sessionId, client, reason) => manager.reportUnresponsive(sessionId, client, reason),
    settings: { intervalMs: config.probeIntervalMs, pingTimeoutMs: config.pagePingTimeoutMs, unresponsiveAfterMs: config.pageUnresponsiveMs },
    logger,
  });
  const metrics = new ServerMetrics({
    sessions: () => manager.all().map((session) => ({ id: session.id, status: session.status.status })),
    probe: (sessionId) => probe.sample(sessionId),
    recycles: (sessionId) => (manager.has(sessionId) ? memory.recyclesOf(manager.get(sessionId)) : 0),
    webhookQueue: (sessionId) => channels.queueStats(sessionId),
    instanceName: cluster?.instanceName,
  });
  metrics.follow(events);
  // a session that just linked has its login backed up at once, not at the next interval
  if (cluster) events.on('status', ({ sessionId, change }) => change.to === 'WORKING' && cluster.loginChanged(sessionId));
  const hibernation = new Hibernation({
    host: manager,
    events,
    timers: realTimers,
    logger,
    settings: { defaultHibernateAfterMinutes: config.hibernateAfterMinutes, scheduledWakeConcurrency: config.wakeConcurrency },
  });
  // before boot: sessions restored WORKING or HIBERNATED get their timers from their first status change
  hibernation.start();
  const webhookPolicy = createWebhookPolicy({ allowHosts: config.webhookAllowHosts, allowLinkLocal: config.webhookAllowLinkLocal });
  if (config.webhookHost) await refuseAtStartUnless(checkWebhookTarget(config.webhookHost, webhookPolicy), 'WEBHOOK_HOST (--webhook-host)');
  const globalWebhooks: WebhookTarget[] = config.webhookHost ? [{ url: config.webhookHost, secret: config.webhookSecret }] : [];
  const targetsOf = (sessionId: string) =>
    manager.has(sessionId) ? collectTargets(globalWebhooks, manager.get(sessionId).config) : new Map<WebhookKey, WebhookTarget>();
  const channels = new SessionChannels({
    folderOf: (sessionId) => store.profileParent(sessionId),
    assertUsable: (sessionId) => manager.assertUsableLog(sessionId),
    targetsOf,
    policy: {
      maxAttempts: config.webhookMaxAttempts,
      baseDelayMs: config.webhookBaseDelayMs,
      maxDelayMs: config.webhookMaxDelayMs,
      timeoutMs: config.webhookTimeoutMs,
    },
    outboundPolicy: webhookPolicy,
    logger,
    eventLogCacheKib: config.eventLogCacheKib,
    onDeliveryAttempt: (sessionId, outcome) => {
      metrics.deliveryAttempted(sessionId, outcome);
      cluster?.logChanged(sessionId);
    },
    deliverable: cluster && ((sessionId, eventId) => cluster.isCopied(sessionId, eventId)),
  });
  cluster?.copyLogsFrom(
    (sessionId) => channels.openLog(sessionId),
    (sessionId) => (channels.isOpen(sessionId) ? channels.get(sessionId).dispatcher.notify() : undefined),
  );
  const retention = new EventRetention({
    openLogs: () => channels.openLogs(),
    policy: { maxAgeMs: config.eventRetentionDays * 86_400_000, maxBytes: config.eventLogMaxMib * 1024 * 1024 },
    intervalMs: config.eventPruneIntervalMs,
    logger,
  });
  retention.start();
  const stream = new EventStream(logger, config.streamMaxBufferedBytes);
  new EventPipeline({
    sessionEvents: events,
    channels,
    targetsOf,
    stream,
    logger,
    isLoaded: (sessionId) => manager.hasUsableLog(sessionId),
    onAppended: (sessionId, seconds) => {
      metrics.eventAppended(sessionId, seconds);
      cluster?.logChanged(sessionId);
    },
  }).start();

  const memory = new MemorySweeper({
    sessions: () => manager.all(),
    browserMemoryMib: (sessionId) => profileMemoryMib(processes, store.profileDir(sessionId)),
    recycle: (sessionId, reason) => hibernation.recycle(sessionId, reason),
    settings: {
      limits: { keep: config.pageMessagesKept, minAgeSeconds: config.pageMessageMinAgeSeconds },
      intervalMs: config.memoryCheckIntervalMs,
      browserLimitMib: config.sessionMemoryLimitMib,
    },
    logger,
  });
  memory.start();
  probe.start();
  let restored = false;
  const readiness = async () => [
    ...(restored ? [] : ['restoring the sessions that were running']),
    ...(await storageProblems(config.sessionsDir, config.readyMinFreeDiskMib)),
  ];
  const maintenance = new SessionMaintenance(manager, { store: cluster?.localStore ?? store, processes, hostname: os.hostname(), logger, now: () => Date.now() });
  const { loaded, restore, hibernated } = await bootSessions({ manager, channels, maintenance, logger });

  const apiKeys = new ApiKeys(cluster?.apiKeyStore ?? new FileApiKeyStore(config.sessionsDir));
  await apiKeys.load();
  const app = createApp({
    manager,
    hibernation,
    maintenance,
    channels,
    stream,
    webhookPolicy,
    sandbox,
    logger,
    apiKey: config.apiKey,
    apiKeys,
    rateLimit: { max: config.rateLimitMax, windowMs: config.rateLimitWindowMs },
    trustProxy: config.trustProxy,
    media: { maxBytes: config.maxMediaBytes, policy: createMediaPolicy(config.mediaAllowHosts), fetchTimeoutMs: config.mediaFetchTimeoutMs },
    info: { version: VERSION, whatsappWebJs: WWEBJS_VERSION, startedAt: Date.now(), sandboxByDefault: config.sandbox },
    readiness,
    metrics,
    metricsPublic: config.metricsPublic,
    accessLog: config.accessLog,
    dashboard: config.dashboard,
    crossSiteGuard: config.apiKey === undefined ? { loopbackOnly: isLoopbackHost(config.host) } : undefined,
    cluster: cluster
      ? {
          forwarding: cluster.forwarding((sessionId) => manager.has(sessionId)),
          view: () => cluster.view(),
          otherSessions: (headers) => cluster.otherSessions(headers),
          streamCatchUp: cluster.streamCatchUp(),
          instanceName: cluster.instanceName,
        }
      : { view: async () => singleProcessView(config.instanceName) },
  });
  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info('wamux listening', { url: `http://${config.host}:${port}`, sessions: loaded.length, sandbox: config.sandbox });
  await cluster?.join(
    {
      heldIds: () => manager.all().map((session) => session.id),
      adopt: (sessionId, reason) => manager.adopt(sessionId, reason),
      relinquish: (sessionId, reason) => manager.relinquish(sessionId, reason),
      memoryMib: async () =>
        (await browserMemory(processes, manager.all().map((session) => store.profileDir(session.id)))).reduce((sum, used) => sum + used.pssKib / 1024, 0),
      availableMib: () => availableMemoryMib(),
      // other instances' sessions' events, for this instance's live stream
      publish: (envelope) => stream.publish(envelope),
      // a key revoked through another instance is refused here too, and its open streams end
      onTick: async () => {
        for (const keyId of await apiKeys.reload()) stream.closeForKey(keyId);
      },
    },
    config.advertisedUrl ?? `http://${config.host === '0.0.0.0' ? os.hostname() : config.host}:${port}`,
  );
  if (!config.apiKey && config.insecureNoApiKey) {
    logger.warn('INSECURE: no API_KEY and --insecure-no-api-key: anyone who can reach this address can read and send messages', {
      host: config.host,
    });
  } else if (!config.apiKey) {
    logger.warn('API_KEY is not set: the API answers this machine only (loopback); set API_KEY to listen wider');
  }

  handleShutdown(server, logger, async () => {
    // no more takeovers here; each session below is backed up and its lease released, so others take it at once
    await cluster?.beginLeaving();
    stream.close();
    hibernation.close();
    memory.close();
    probe.close();
    retention.close();
    await manager.shutdown();
    await channels.closeAll();
    await sandbox.close();
    await cluster?.close();
  });
  if (config.recoverSessions) {
    // asleep when the server stopped: asleep again, with no browser (a request or the schedule wakes them)
    manager.markHibernated(hibernated);
    await restoreSessions(manager, restore, config.restoreConcurrency);
  }
  restored = true;
}

/** A setting that fails its check stops start-up with the reason, as an invalid setting does (exit 2). */
async function refuseAtStartUnless(check: Promise<unknown>, setting: string): Promise<void> {
  try {
    await check;
  } catch (error) {
    process.stderr.write(`wamux: Invalid setting ${setting}: ${describeError(error)}\n`);
    process.exit(2);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`wamux failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
