import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../shared/logger.js';
import { SqliteEventLog } from './event-log.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import type { RetryPolicy, WebhookKey, WebhookTarget } from './webhooks/webhook-types.js';

export interface SessionChannel {
  log: SqliteEventLog;
  dispatcher: WebhookDispatcher;
}

export interface SessionChannelsDeps {
  /** The session's own folder: its log lives (and dies) with it. */
  folderOf: (sessionId: string) => string;
  targetsOf: (sessionId: string) => Map<WebhookKey, WebhookTarget>;
  policy: RetryPolicy;
  allowLinkLocal: boolean;
  logger: Logger;
}

export const EVENT_LOG_FILE = 'events.db';

/** Per session: its durable event log and the webhook dispatcher that delivers from it, opened on first use. */
export class SessionChannels {
  private readonly channels = new Map<string, SessionChannel>();

  constructor(private readonly deps: SessionChannelsDeps) {}

  get(sessionId: string): SessionChannel {
    let channel = this.channels.get(sessionId);
    if (!channel) {
      const folder = this.deps.folderOf(sessionId);
      mkdirSync(folder, { recursive: true });
      const log = new SqliteEventLog(path.join(folder, EVENT_LOG_FILE));
      const dispatcher = new WebhookDispatcher(sessionId, {
        queue: log,
        targets: () => this.deps.targetsOf(sessionId),
        policy: this.deps.policy,
        allowLinkLocal: this.deps.allowLinkLocal,
        logger: this.deps.logger,
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

  async closeAll(): Promise<void> {
    await Promise.all([...this.channels.keys()].map((sessionId) => this.close(sessionId)));
  }
}
