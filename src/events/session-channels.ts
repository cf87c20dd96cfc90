import { chmodSync, closeSync, openSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../shared/logger.js';
import type { OutboundPolicy } from '../net/outbound-policy.js';
import { ConflictError, describeError } from '../shared/errors.js';
import { SqliteEventLog, type QueueStats } from './event-log.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import type { AttemptOutcome, DeliveryQueue, RetryPolicy, WebhookKey, WebhookTarget } from './webhooks/webhook-types.js';

export interface SessionChannel {
  log: SqliteEventLog;
  dispatcher: WebhookDispatcher;
}

export interface SessionChannelsDeps {
  /** The session's own folder: its log lives (and dies) with it. */
  folderOf: (sessionId: string) => string;
  /**
   * Throws (SessionNotFoundError, or a ConflictError for a session whose files are unusable) unless the session's
   * log may be opened: opening creates the file and resumes its webhook deliveries.
   */
  assertUsable: (sessionId: string) => void;
  targetsOf: (sessionId: string) => Map<WebhookKey, WebhookTarget>;
  policy: RetryPolicy;
  outboundPolicy: OutboundPolicy;
  logger: Logger;
  /** --event-log-cache-kib: SQLite's page cache per log (the default when unset). */
  eventLogCacheKib?: number;
  /** Told the outcome of every delivery attempt (metrics). */
  onDeliveryAttempt?: (sessionId: string, outcome: AttemptOutcome) => void;
  /**
   * When set, a delivery goes out only once this says its event may be delivered (a cluster: once the event is
   * in the shared database); notify the session's dispatcher when that changes.
   */
  deliverable?: (sessionId: string, eventSeq: number) => boolean;
}

export const EVENT_LOG_FILE = 'events.db';

/** Per session: its durable event log and the webhook dispatcher that delivers from it, opened on first use. */
export class SessionChannels {
  private readonly channels = new Map<string, SessionChannel>();

  constructor(private readonly deps: SessionChannelsDeps) {}

  /** The session's channel, opened on first use; throws what assertUsable throws for a session that is gone, going or unusable. */
  get(sessionId: string): SessionChannel {
    this.deps.assertUsable(sessionId);
    let channel = this.channels.get(sessionId);
    if (!channel) {
      const log = openLog(sessionId, path.join(this.deps.folderOf(sessionId), EVENT_LOG_FILE), this.deps.eventLogCacheKib);
      const deliverable = this.deps.deliverable;
      const dispatcher = new WebhookDispatcher(sessionId, {
        queue: deliverable ? gatedQueue(log, (eventSeq) => deliverable(sessionId, eventSeq)) : log,
        targets: () => this.deps.targetsOf(sessionId),
        policy: this.deps.policy,
        outboundPolicy: this.deps.outboundPolicy,
        logger: this.deps.logger,
        onAttempt: this.deps.onDeliveryAttempt && ((outcome) => this.deps.onDeliveryAttempt?.(sessionId, outcome)),
      });
      // the dispatcher resumes, on construction, deliveries a previous run (or a SIGKILL) left pending
      channel = { log, dispatcher };
      this.channels.set(sessionId, channel);
    }
    return channel;
  }

  /** Before the session's folder is deleted: stop delivering and close the log file. */
  async close(sessionId: string): Promise<void> {
    const channel = this.channels.get(sessionId);
    if (!channel) return;
    this.channels.delete(sessionId);
    await channel.dispatcher.close();
    channel.log.close();
  }

  /** The session's undelivered webhook deliveries; undefined while its log is not open (asking never opens it). */
  queueStats(sessionId: string): QueueStats | undefined {
    return this.channels.get(sessionId)?.log.queueStats();
  }

  /** The logs open now, by session (asking never opens one). */
  *openLogs(): Iterable<[string, SqliteEventLog]> {
    for (const [sessionId, channel] of this.channels) yield [sessionId, channel.log];
  }

  /** The session's log if it is open (asking never opens it). */
  openLog(sessionId: string): SqliteEventLog | undefined {
    return this.channels.get(sessionId)?.log;
  }

  /** Whether the session's log is open (a read or an event opened it). */
  isOpen(sessionId: string): boolean {
    return this.channels.has(sessionId);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.channels.keys()].map((sessionId) => this.close(sessionId)));
  }
}

/** The log as the dispatcher sees it when deliveries wait for their event to be deliverable: not pending yet. */
function gatedQueue(log: SqliteEventLog, deliverable: (eventSeq: number) => boolean): DeliveryQueue {
  return {
    nextPending: (webhookKey) => {
      const next = log.nextPending(webhookKey);
      const seq = next === undefined ? undefined : log.seqOf(next.eventId);
      return next !== undefined && seq !== undefined && deliverable(seq) ? next : undefined;
    },
    markDelivered: (...args) => log.markDelivered(...args),
    markRetry: (...args) => log.markRetry(...args),
    markFailed: (...args) => log.markFailed(...args),
    pendingWebhookKeys: () => log.pendingWebhookKeys(),
  };
}

function openLog(sessionId: string, file: string, cacheKib: number | undefined): SqliteEventLog {
  try {
    return new SqliteEventLog(privateFile(file), { cacheKib });
  } catch (error) {
    throw new ConflictError('EVENT_LOG_UNREADABLE', `The event log of session '${sessionId}' cannot be opened: ${describeError(error)}`);
  }
}

/**
 * The log holds every message body: it is created readable by the server's user only (SQLite gives its -wal and
 * -shm files the mode of the database), and a log made by an older version is narrowed to that too. The session's
 * folder must exist: opening never re-creates the folder of a deleted session.
 */
function privateFile(file: string): string {
  closeSync(openSync(file, 'a', 0o600));
  for (const part of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      chmodSync(part, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return file;
}
