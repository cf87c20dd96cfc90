import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from '../shared/logger.js';
import { describeError } from '../shared/errors.js';
import { FileSessionStore } from '../storage/file-session-store.js';
import type { ClusterView } from '../http/cluster-schemas.js';
import { ClusterDatabase } from './cluster-database.js';
import { ClusterInstances, placeSessions } from './cluster-instances.js';
import { ClusterSessionStore } from './cluster-session-store.js';
import { ClusterCoordinator, type ClusterHost } from './cluster-coordinator.js';
import { FORWARDED_BY, clusterForwarding, type SessionPlace } from './forwarding.js';
import { undici } from '../net/undici-module.js';
import { LoginBackups } from './login-backups.js';
import { PgApiKeyStore } from './pg-api-key-store.js';
import { ClusterEventFeed } from './cluster-event-feed.js';
import type { EventEnvelope } from '../events/event-envelope.js';
import type { OtherInstancesCatchUp } from '../events/event-backlog.js';
import { otherInstancesSource } from './other-instances-source.js';
import { EventLogCopies } from './event-log-copies.js';
import { EventLogShipper } from './event-log-shipper.js';
import type { SqliteEventLog } from '../events/event-log.js';
import { SessionLeases } from './session-leases.js';

/**
 * How long an event of one instance may take to reach another's live stream (copied at once or within 250 ms, then
 * announced): a client that moves between instances resumes this much before its last event, to miss none.
 */
const STREAM_RESUME_MARGIN_MS = 10_000;
const STREAM_READ_CONNECTIONS = 2;
const STREAM_READ_TIMEOUT_MS = 15_000;

interface LogHooks {
  source?: (sessionId: string) => SqliteEventLog | undefined;
  onCopied?: (sessionId: string) => void;
}

export interface ClusterSettings {
  databaseUrl: string;
  instanceName: string;
  sessionsDir: string;
  maxSessions: number;
  leaseMs: number;
  loginBackupIntervalMs: number;
  adoptConcurrency: number;
  /** Forwarded requests wait this long for the owner's answer. */
  forwardTimeoutMs: number;
}

/** What an instance needs to take part in a cluster, made once at start-up (see main.ts). */
export class ClusterMode {
  private coordinator: ClusterCoordinator | undefined;
  private feed: ClusterEventFeed | undefined;
  /** The feed once started: a live stream's catch-up reads other instances' sessions up to what it published. */
  private startedFeed: ClusterEventFeed | undefined;
  private markFeedStarted: () => void = () => undefined;
  private readonly feedStarted = new Promise<void>((resolve) => (this.markFeedStarted = resolve));
  /** Catch-ups of live streams read through a pool of their own: a reconnecting crowd cannot hold up lease renewals. */
  private streamReads: ClusterDatabase | undefined;
  private instances: ClusterInstances | undefined;

  private constructor(
    private readonly database: ClusterDatabase,
    readonly store: ClusterSessionStore,
    /** This instance's own folders, for maintenance: what it reaps or deletes there is never the cluster's. */
    readonly localStore: FileSessionStore,
    readonly apiKeyStore: PgApiKeyStore,
    private readonly leases: SessionLeases,
    private readonly backups: LoginBackups,
    private readonly shipper: EventLogShipper,
    private readonly logs: LogHooks,
    private readonly settings: ClusterSettings,
    private readonly logger: Logger,
  ) {}

  static async open(settings: ClusterSettings, logger: Logger): Promise<ClusterMode> {
    const database = await ClusterDatabase.open(settings.databaseUrl, { queryTimeoutMs: Math.min(5_000, Math.floor(settings.leaseMs / 3)) });
    // a third of the lease: two renewals may fail before this instance gives its sessions up, and it does so a
    // third of the lease before any other instance may take them
    const leases = new SessionLeases(
      database,
      { instance: settings.instanceName, runId: randomUUID() },
      { leaseMs: settings.leaseMs, safetyMarginMs: Math.floor(settings.leaseMs / 3) },
    );
    const backups = new LoginBackups(database);
    const copies = new EventLogCopies(database);
    const logs: LogHooks = {};
    const shipper = new EventLogShipper({
      copies,
      tokenOf: (sessionId) => leases.tokenOf(sessionId),
      logOf: (sessionId) => logs.source?.(sessionId),
      intervalMs: 250,
      logger,
      onCopied: (sessionId) => logs.onCopied?.(sessionId),
    });
    const localStore = new FileSessionStore(settings.sessionsDir);
    const store = new ClusterSessionStore(database, leases, backups, localStore, { copies, shipper }, logger);
    return new ClusterMode(database, store, localStore, new PgApiKeyStore(database), leases, backups, shipper, logs, settings, logger);
  }

  /**
   * Where the sessions' open event logs are (made after the store): their changes are copied to the database at
   * once (logChanged) and every quarter second; onCopied is told when new events got there.
   */
  copyLogsFrom(source: (sessionId: string) => SqliteEventLog | undefined, onCopied: (sessionId: string) => void): void {
    this.logs.source = source;
    this.logs.onCopied = onCopied;
    this.shipper.start();
  }

  /** The session just linked: its login is backed up within a second. */
  loginChanged(sessionId: string): void {
    this.coordinator?.loginChanged(sessionId);
  }

  /** Another instance holds the session now: nothing more of it is copied from here. */
  forget(sessionId: string): void {
    this.shipper.forget(sessionId);
  }

  /** The session's log was written to (an event, a delivery attempt): copy it now. */
  logChanged(sessionId: string): void {
    void this.shipper.flush(sessionId);
  }

  /** Whether the database has the event, so that no failover can lose it: only then do its webhooks go out. */
  isCopied(sessionId: string, eventSeq: number): boolean {
    // an instance that lost the session delivers nothing more for it: the new owner does
    return this.leases.tokenOf(sessionId) !== undefined && this.shipper.isCopied(sessionId, eventSeq);
  }

  get instanceName(): string {
    return this.settings.instanceName;
  }

  /** Joins the cluster once this instance listens at url: heartbeats, lease renewals, takeovers, others' events. */
  async join(host: ClusterHost & { onTick?: () => Promise<void>; publish: (envelope: EventEnvelope) => void }, url: string): Promise<void> {
    this.feed = new ClusterEventFeed({
      database: this.database,
      url: this.settings.databaseUrl,
      isHere: (sessionId) => this.leases.tokenOf(sessionId) !== undefined,
      publish: host.publish,
      logger: this.logger,
    });
    await this.feed.start();
    this.startedFeed = this.feed;
    this.markFeedStarted();
    this.instances = new ClusterInstances(
      this.database,
      { name: this.settings.instanceName, runId: this.leases.owner.runId, url, maxSessions: this.settings.maxSessions },
      this.settings.leaseMs,
    );
    this.coordinator = new ClusterCoordinator({
      leases: this.leases,
      instances: this.instances,
      store: this.store,
      host,
      settings: { tickMs: Math.max(500, Math.floor(this.settings.leaseMs / 5)), backupIntervalMs: this.settings.loginBackupIntervalMs, adoptConcurrency: this.settings.adoptConcurrency },
      logger: this.logger,
      onTick: host.onTick,
    });
    await this.coordinator.start();
    this.logger.info('joined the cluster', { instance: this.settings.instanceName, url });
  }

  /** An all-sessions live stream resumed here also replays other instances' sessions, from the database. */
  streamCatchUp(): OtherInstancesCatchUp {
    this.streamReads ??= ClusterDatabase.pool(this.settings.databaseUrl, {
      maxConnections: STREAM_READ_CONNECTIONS,
      queryTimeoutMs: STREAM_READ_TIMEOUT_MS,
      applicationName: 'wamux-stream-reads',
    });
    return {
      resumeMarginMs: STREAM_RESUME_MARGIN_MS,
      source: otherInstancesSource({ database: this.streamReads, feed: () => this.startedFeed, joined: this.feedStarted }),
    };
  }

  /** Shutdown, first step: no more takeovers, and the others stop placing sessions here. */
  async beginLeaving(): Promise<void> {
    await this.coordinator?.beginLeaving();
  }

  /** Shutdown, last step (after the sessions were handed over). */
  async close(): Promise<void> {
    this.shipper.close();
    await this.feed?.close();
    await this.streamReads?.close();
    await this.coordinator?.close();
    await this.database.close().catch((error: unknown) => this.logger.warn('closing the database pool failed', { error: describeError(error) }));
  }

  /** Passes requests for sessions other instances drive to them, and new sessions to the instance with the most room. */
  forwarding(isHere: (sessionId: string) => boolean): RequestHandler {
    return clusterForwarding({
      self: this.settings.instanceName,
      timeoutMs: this.settings.forwardTimeoutMs,
      placeOf: (sessionId) => (isHere(sessionId) ? Promise.resolve({ kind: 'here' }) : this.placeOf(sessionId)),
      placeForNew: () => this.placeForNew(),
    });
  }

  private async placeOf(sessionId: string): Promise<SessionPlace> {
    // the listing names the sessions each instance holds a live lease of
    const owner = (await this.listInstances()).find((instance) => instance.sessions.includes(sessionId));
    if (owner === undefined) return (await this.store.read(sessionId)) === undefined ? { kind: 'unknown' } : { kind: 'moving' };
    // held here but not loaded yet (a takeover by this instance is under way), or by an owner whose heartbeat
    // stopped (dead, or hung: the request would wait on it): the session is moving
    if (owner.name === this.settings.instanceName || !owner.live) return { kind: 'moving' };
    return { kind: 'instance', name: owner.name, url: owner.url };
  }

  private async placeForNew(): Promise<SessionPlace> {
    const instances = await this.listInstances();
    const chosen = placeSessions(['new'], instances).get('new');
    const target = instances.find((instance) => instance.name === chosen);
    return target === undefined || target.name === this.settings.instanceName ? { kind: 'here' } : { kind: 'instance', name: target.name, url: target.url };
  }

  private listInstances() {
    if (!this.instances) throw new Error('the cluster is not joined yet');
    return this.instances.list();
  }

  /**
   * GET /api/v1/sessions of every other live instance, asked with the caller's own key (so each filters for that
   * key as it would); each session named with its instance. An instance that does not answer is left out.
   */
  async otherSessions(headers: IncomingHttpHeaders): Promise<Record<string, unknown>[]> {
    // an instance asking for this one's part of its own list
    if (headers[FORWARDED_BY] !== undefined) return [];
    const others = (await this.listInstances()).filter((instance) => instance.live && instance.name !== this.settings.instanceName);
    const asked: Record<string, string> = { [FORWARDED_BY]: this.settings.instanceName };
    if (typeof headers['x-api-key'] === 'string') asked['x-api-key'] = headers['x-api-key'];
    const lists = await Promise.all(
      others.map(async (instance) => {
        try {
          const answer = await undici().request(new URL('/api/v1/sessions', instance.url), { headers: asked, headersTimeout: 5_000, bodyTimeout: 5_000 });
          const body = (await answer.body.json()) as { sessions?: Record<string, unknown>[] };
          return answer.statusCode === 200 ? (body.sessions ?? []) : [];
        } catch (error) {
          this.logger.warn('an instance did not list its sessions', { instance: instance.name, error: describeError(error) });
          return [];
        }
      }),
    );
    return lists.flat();
  }

  async view(): Promise<ClusterView> {
    const [instances, ids, holders, backups] = await Promise.all([this.listInstances(), this.store.registryIds(), this.leases.holders(), this.backups.list()]);
    return {
      mode: 'cluster',
      instance: this.settings.instanceName,
      instances,
      sessions: ids.map((id) => {
        const backup = backups.get(id);
        return { id, instance: holders.get(id)?.instance ?? null, loginBackup: backup ? { bytes: backup.bytes, savedAt: backup.savedAt.toISOString() } : null };
      }),
    };
  }
}
