import type { Logger } from '../shared/logger.js';
import { describeError } from '../shared/errors.js';
import { withTimeout } from '../shared/timing.js';
import type { BrowserMemory } from '../browser/profile-processes.js';
import type { WaClient } from '../wa/wa-client.js';
import type { Session } from './session.js';

export interface SessionProbeSettings {
  /** How often every browser is measured and every WORKING page pinged. */
  intervalMs: number;
  /** A ping not answered within this counts as a page that does not answer. */
  pingTimeoutMs: number;
  /** A page that has not answered for this long while its browser lives is treated as crashed; 0 = never. */
  unresponsiveAfterMs: number;
}

/** What the last probe saw of one session. */
export interface ProbeSample {
  /** Epoch ms of the probe. */
  at: number;
  /** The browser's processes and memory; undefined when the session has no client. */
  browser: BrowserMemory | undefined;
  /** The last ping's answer; undefined when the page was not pinged (not WORKING). */
  responsive: boolean | undefined;
}

export interface SessionProbeDeps {
  sessions: () => readonly Session[];
  /** The browser memory of these sessions, in the same order. */
  browserMemory: (sessionIds: readonly string[]) => Promise<BrowserMemory[]>;
  /** This client's page has not answered for unresponsiveAfterMs while its browser lives. */
  onUnresponsive: (sessionId: string, client: WaClient, reason: string) => void;
  settings: SessionProbeSettings;
  logger: Logger;
  now?: () => number;
}

/** Per client: since when its page has not answered, and a ping still waiting for an answer. */
interface PingState {
  failingSince: number | undefined;
  outstanding: boolean;
  reported: boolean;
}

/**
 * Measures every session's browser (processes, memory) and pings every WORKING page, on an interval rather than on
 * every metrics scrape. A page that stays silent past the limit while its browser runs is reported: it cannot
 * send or receive, and only a new browser brings it back.
 */
export class SessionProbe {
  private timer: NodeJS.Timeout | undefined;
  private probing: Promise<void> | undefined;
  private readonly samples = new Map<string, ProbeSample>();
  private readonly pings = new WeakMap<WaClient, PingState>();
  private readonly now: () => number;

  constructor(private readonly deps: SessionProbeDeps) {
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.probe(), this.deps.settings.intervalMs).unref();
    void this.probe();
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  sample(sessionId: string): ProbeSample | undefined {
    return this.samples.get(sessionId);
  }

  /** One probe of every session; one under way is joined, not doubled. */
  probe(): Promise<void> {
    const probing =
      this.probing ??
      this.probeAll()
        .catch((error: unknown) => {
          this.deps.logger.warn('session probe failed', { error: describeError(error) });
        })
        .finally(() => {
          this.probing = undefined;
        });
    this.probing = probing;
    return probing;
  }

  private async probeAll(): Promise<void> {
    const sessions = this.deps.sessions();
    const at = this.now();
    const withClient = sessions.filter((session) => session.client !== undefined);
    const [memories, answers] = await Promise.all([
      // memory that cannot be read leaves the samples without it (not stale), and the pings still count
      this.deps.browserMemory(withClient.map((session) => session.id)).catch((error: unknown) => {
        this.deps.logger.warn('could not measure the browsers', { error: describeError(error) });
        return [] as BrowserMemory[];
      }),
      Promise.all(sessions.map((session) => this.ping(session))),
    ]);
    const memoryOf = new Map(withClient.map((session, index) => [session.id, memories[index]]));
    this.samples.clear();
    sessions.forEach((session, index) => {
      const browser = memoryOf.get(session.id);
      this.samples.set(session.id, { at, browser, responsive: answers[index] });
      this.reportIfSilentTooLong(session, browser);
    });
  }

  /** Whether the session's WORKING page answered within the deadline; undefined when it is not WORKING. */
  private async ping(session: Session): Promise<boolean | undefined> {
    const client = session.client;
    if (!client || session.status.status !== 'WORKING') return undefined;
    let state = this.pings.get(client);
    if (!state) {
      state = { failingSince: undefined, outstanding: false, reported: false };
      this.pings.set(client, state);
    }
    const sentAt = this.now();
    // a page that has not answered the last ping gets no second one: a hung renderer would only queue them
    if (state.outstanding) return false;
    state.outstanding = true;
    const ping = client.ping().then(
      () => true,
      () => false,
    );
    void ping.then((answered) => {
      state.outstanding = false;
      // a late answer still shows the page lives: the silence is over
      if (answered) state.failingSince = undefined;
    });
    const answered = await withTimeout(ping, this.deps.settings.pingTimeoutMs, 'no answer').catch(() => false);
    if (answered) state.failingSince = undefined;
    else state.failingSince ??= sentAt;
    return answered;
  }

  private reportIfSilentTooLong(session: Session, browser: BrowserMemory | undefined): void {
    const limitMs = this.deps.settings.unresponsiveAfterMs;
    const client = session.client;
    const state = client && this.pings.get(client);
    if (limitMs === 0 || !client || !state || state.reported || state.failingSince === undefined) return;
    if (session.status.status !== 'WORKING' || !browser?.mainAlive) return;
    const silentMs = this.now() - state.failingSince;
    if (silentMs < limitMs) return;
    state.reported = true;
    const reason = `the page has not answered for ${Math.round(silentMs / 1000)} s while its browser runs`;
    this.deps.logger.warn('page not answering: treated as a crash', { session: session.id, silentSeconds: Math.round(silentMs / 1000) });
    this.deps.onUnresponsive(session.id, client, reason);
  }
}
