import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueStats } from '../events/event-log.js';
import type { AttemptOutcome } from '../events/webhooks/webhook-types.js';
import type { SessionEvents } from '../sessions/session-events.js';
import { SESSION_STATUSES, type SessionStatus } from '../sessions/session-status.js';
import type { ProbeSample } from '../sessions/session-probe.js';

/** One session as the metrics see it. */
export interface SessionView {
  id: string;
  status: SessionStatus;
}

/** Where the metrics read what is sampled or stored, at scrape time. */
export interface MetricsSources {
  sessions: () => readonly SessionView[];
  /** The last probe of the session's browser and page. */
  probe: (sessionId: string) => ProbeSample | undefined;
  /** Browsers recycled for passing the memory limit since the server started. */
  recycles: (sessionId: string) => number;
  /** The session's undelivered webhook deliveries; undefined while its log is not open. */
  webhookQueue: (sessionId: string) => QueueStats | undefined;
  /** Cluster mode: this instance's name (its per-session series are the sessions it drives). */
  instanceName?: string;
  now?: () => number;
}

const MIB = 1024;

/**
 * The server's Prometheus metrics. Counters follow what sessions report as it happens; gauges are read from the
 * probe's samples and the event logs when scraped, so a scrape never reads /proc or pings a page itself. Only
 * session ids (bounded by --max-sessions), statuses, outcomes, methods and route patterns appear as labels.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly now: () => number;
  /** Epoch ms of each session's newest stored event. */
  private readonly lastEventAt = new Map<string, number>();
  /** Sessions that have per-session series, so that a deleted session's series go with it. */
  private readonly labelled = new Set<string>();
  private readonly perSession: { remove(labels: { session: string }): void }[] = [];
  private readonly queues = new Map<string, QueueStats | undefined>();

  private readonly messages: Counter<'session' | 'direction'>;
  private readonly crashes: Counter<'session'>;
  private readonly restarts: Counter<'session'>;
  private readonly deliveries: Counter<'session' | 'outcome'>;
  private readonly attempts: Counter<'session' | 'outcome'>;
  private readonly appendSeconds: Histogram;
  private readonly requestSeconds: Histogram<'method' | 'route' | 'status'>;

  constructor(private readonly sources: MetricsSources) {
    this.now = sources.now ?? Date.now;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });

    new Gauge({
      name: 'wamux_sessions',
      help: 'Sessions by status.',
      labelNames: ['status'],
      registers,
      collect() {
        const counts = new Map<SessionStatus, number>(SESSION_STATUSES.map((status) => [status, 0]));
        for (const session of sources.sessions()) counts.set(session.status, (counts.get(session.status) ?? 0) + 1);
        for (const [status, count] of counts) this.set({ status }, count);
      },
    });
    if (sources.instanceName !== undefined) {
      new Gauge({ name: 'wamux_cluster_instance_info', help: 'Cluster mode: 1, labelled with the instance that answered.', labelNames: ['instance'], registers }).set(
        { instance: sources.instanceName },
        1,
      );
    }
    this.sessionGauge('wamux_session_browser_pss_bytes', 'PSS of all the processes of the session\'s Chromium, in bytes (sampled).', (id) =>
      kib(sources.probe(id)?.browser?.pssKib),
    );
    this.sessionGauge('wamux_session_browser_anon_pss_bytes', 'Anonymous PSS (heaps) of the session\'s Chromium processes, in bytes (sampled).', (id) =>
      kib(sources.probe(id)?.browser?.pssAnonKib),
    );
    this.sessionGauge('wamux_session_browser_processes', 'Processes of the session\'s Chromium (sampled).', (id) => sources.probe(id)?.browser?.processes ?? 0);
    this.sessionGauge('wamux_session_browser_up', '1 while the session\'s Chromium main process runs (sampled).', (id) =>
      sources.probe(id)?.browser?.mainAlive ? 1 : 0,
    );
    this.sessionGauge('wamux_session_page_responsive', '1 when the WORKING page answered its last ping in time, 0 when not; absent when not WORKING.', (id) => {
      const responsive = sources.probe(id)?.responsive;
      return responsive === undefined ? undefined : responsive ? 1 : 0;
    });
    this.sessionGauge('wamux_session_seconds_since_last_event', 'Seconds since the session\'s newest stored event (absent before its first one).', (id) => {
      const at = this.lastEventAt.get(id);
      return at === undefined ? undefined : (this.now() - at) / 1000;
    });
    // counted by the sweeper: read at scrape time, reported as the counter it is
    const recycles = new Counter({
      name: 'wamux_session_memory_recycles_total',
      help: 'Browsers recycled for passing --session-memory-limit-mib since the server started.',
      labelNames: ['session'],
      registers,
      collect() {
        this.reset();
        for (const session of sources.sessions()) this.inc({ session: session.id }, sources.recycles(session.id));
      },
    });
    this.perSession.push(recycles);
    this.sessionGauge('wamux_webhook_queue_depth', 'Webhook deliveries not yet delivered nor given up (absent while the log is closed).', (id) =>
      this.queueOf(id)?.pending,
    );
    this.sessionGauge('wamux_webhook_oldest_pending_age_seconds', 'Age of the oldest undelivered webhook delivery (0 when none waits).', (id) => {
      const queue = this.queueOf(id);
      if (!queue) return undefined;
      return queue.oldestCreatedAt === undefined ? 0 : Math.max(0, (this.now() - queue.oldestCreatedAt) / 1000);
    });

    this.messages = this.sessionCounter('wamux_messages_total', 'Messages received (in) and sent (out, through the API or from the phone).', {
      label: 'direction',
      values: ['in', 'out'],
    });
    this.crashes = this.sessionCounter('wamux_session_crashes_total', 'Browser crashes and pages that stopped answering.');
    this.restarts = this.sessionCounter('wamux_session_restarts_total', 'Restarts after a crash.');
    this.deliveries = this.sessionCounter('wamux_webhook_deliveries_total', 'Webhook deliveries finished: delivered, or failed for good.', {
      label: 'outcome',
      values: ['delivered', 'failed'],
    });
    this.attempts = this.sessionCounter('wamux_webhook_attempts_total', 'Webhook delivery attempts by outcome (delivered, retry, failed).', {
      label: 'outcome',
      values: ['delivered', 'retry', 'failed'],
    });
    this.appendSeconds = new Histogram({
      name: 'wamux_event_log_append_seconds',
      help: 'Time to append one event (with its deliveries) to a session\'s event log.',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: 'wamux_http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
  }

  /** Counts what sessions report: messages both ways, crashes, crash restarts. */
  follow(events: SessionEvents): void {
    events.on('message', ({ sessionId }) => this.count(this.messages, sessionId, { direction: 'in' }));
    events.on('messageSent', ({ sessionId }) => this.count(this.messages, sessionId, { direction: 'out' }));
    events.on('crashed', ({ sessionId }) => this.count(this.crashes, sessionId, {}));
    events.on('restarting', ({ sessionId }) => this.count(this.restarts, sessionId, {}));
  }

  eventAppended(sessionId: string, seconds: number): void {
    this.lastEventAt.set(sessionId, this.now());
    this.appendSeconds.observe(seconds);
  }

  deliveryAttempted(sessionId: string, outcome: AttemptOutcome): void {
    this.count(this.attempts, sessionId, { outcome });
    if (outcome !== 'retry') this.count(this.deliveries, sessionId, { outcome });
  }

  requestFinished(method: string, route: string, status: number, seconds: number): void {
    this.requestSeconds.observe({ method, route, status: String(status) }, seconds);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    this.forgetGoneSessions();
    this.queues.clear();
    try {
      return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    } finally {
      this.queues.clear();
    }
  }

  /** The session's queue, read once per scrape (two gauges show it). */
  private queueOf(sessionId: string): QueueStats | undefined {
    if (!this.queues.has(sessionId)) this.queues.set(sessionId, this.sources.webhookQueue(sessionId));
    return this.queues.get(sessionId);
  }

  private sessionGauge(name: string, help: string, valueOf: (sessionId: string) => number | undefined): void {
    const { sources } = this;
    const gauge = new Gauge({
      name,
      help,
      labelNames: ['session'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const session of sources.sessions()) {
          const value = valueOf(session.id);
          if (value !== undefined) this.set({ session: session.id }, value);
        }
      },
    });
    this.perSession.push(gauge);
  }

  /** A counter per session, split by at most one more label whose values are known (so that removal finds them all). */
  private sessionCounter<L extends string = never>(name: string, help: string, split?: { label: L; values: readonly string[] }): Counter<'session' | L> {
    const counter = new Counter<string>({ name, help, labelNames: split ? ['session', split.label] : ['session'], registers: [this.registry] });
    this.perSession.push({
      remove: ({ session }) => {
        if (!split) return counter.remove({ session });
        for (const value of split.values) counter.remove({ session, [split.label]: value });
      },
    });
    return counter;
  }

  private count<L extends string>(counter: Counter<'session' | L>, sessionId: string, labels: Omit<Record<'session' | L, string>, 'session'>): void {
    this.labelled.add(sessionId);
    counter.inc({ ...labels, session: sessionId } as Record<'session' | L, string>);
  }

  /** A deleted session's counters and last event go, so that the series stay bounded by the sessions that exist. */
  private forgetGoneSessions(): void {
    const present = new Set(this.sources.sessions().map((session) => session.id));
    for (const sessionId of [...this.labelled, ...this.lastEventAt.keys()]) {
      if (present.has(sessionId)) continue;
      this.labelled.delete(sessionId);
      this.lastEventAt.delete(sessionId);
      for (const metric of this.perSession) metric.remove({ session: sessionId });
    }
  }
}

function kib(value: number | undefined): number | undefined {
  return value === undefined ? undefined : value * MIB;
}
