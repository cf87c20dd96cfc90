import type { Logger } from '../shared/logger.js';
import { describeError } from '../shared/errors.js';
import { withTimeout } from '../shared/timing.js';
import type { ProcessTable } from '../browser/process-table.js';
import { killProfileProcesses } from '../browser/profile-processes.js';
import { reapProfile } from '../browser/orphan-reaper.js';
import { describeRefusedFlags, refusedFlags, type ChromiumFlagPolicy } from '../browser/chromium-flags.js';
import type { WaClient, WaClientFactory } from '../wa/wa-client.js';
import type { SessionStore } from '../storage/session-store.js';
import type { Session } from './session.js';
import { nextStatusIn, type SessionEvents } from './session-events.js';
import type { SessionStatus } from './session-status.js';

export interface LifecycleSettings {
  serverChromiumArgs: readonly string[];
  /** Which Chromium flags a session's config may add (checked again at every launch: configs saved by older versions). */
  flagPolicy: ChromiumFlagPolicy;
  /** How long a graceful browser close may take before the process group is killed. */
  stopDeadlineMs: number;
  /** A session WORKING this long without a crash has recovered: its restart budget is cleared. */
  stableAfterMs: number;
}

export interface LifecycleDeps {
  store: SessionStore;
  clientFactory: WaClientFactory;
  processes: ProcessTable;
  hostname: string;
  logger: Logger;
  events: SessionEvents;
  settings: LifecycleSettings;
  now: () => number;
  /** PIDs of browsers that live sessions of this process drive. */
  ownedBrowserPids: () => Set<number>;
}

const QR_OR_LOGIN: ReadonlySet<SessionStatus> = new Set(['SCAN_QR_CODE', 'WORKING']);

export type ClientLoss = { kind: 'crashed' | 'disconnected'; reason: string };
export type StartOutcome = { kind: 'ready' } | { kind: 'failed'; reason: string } | ClientLoss | { kind: 'aborted' };

/** Drives one session's browser: launch and wait for a QR or a login, tear down, and report losses. */
export class SessionLifecycle {
  constructor(private readonly deps: LifecycleDeps) {}

  /** Launches the client and waits until it shows a QR code, is logged in, fails, or the deadline passes. */
  async launch(session: Session, signal: AbortSignal, onLoss: (generation: number, loss: ClientLoss) => void): Promise<StartOutcome> {
    const reaped = await reapProfile(this.deps.store.profileDir(session.id), {
      table: this.deps.processes,
      hostname: this.deps.hostname,
      isOwned: (pid) => this.deps.ownedBrowserPids().has(pid),
    });
    if (reaped.killedPids.length > 0) session.log('warn', `killed orphan browser(s) ${reaped.killedPids.join(', ')}`);
    if (reaped.staleLockRemoved) session.log('info', 'removed a stale Chromium profile lock');
    if (signal.aborted) return { kind: 'aborted' };
    const refused = refusedFlags(session.config.chromiumArgs, this.deps.settings.flagPolicy);
    if (refused.length > 0) return { kind: 'failed', reason: `config.chromiumArgs: ${describeRefusedFlags(refused)}` };

    const client = await this.deps.clientFactory({
      sessionId: session.id,
      profileParent: this.deps.store.profileParent(session.id),
      headless: session.config.headless,
      authTimeoutMs: session.config.authTimeout * 1000,
      qrMaxRetries: session.config.qrMaxRetries,
      chromiumArgs: [...this.deps.settings.serverChromiumArgs, ...session.config.chromiumArgs],
      proxy: session.config.proxyServerCredentials,
      sandbox: session.config.sandbox,
      qrIntervalMs: session.config.qrTimeout * 1000,
    });
    if (signal.aborted) {
      // a stop or delete came in while the client was being built: never launch its browser
      await client.destroy();
      return { kind: 'aborted' };
    }
    let reportLoss: (outcome: StartOutcome) => void = () => {};
    const lost = new Promise<StartOutcome>((resolve) => {
      reportLoss = resolve;
    });
    const generation = this.attach(session, client, (lostGeneration, loss) => {
      reportLoss(loss);
      onLoss(lostGeneration, loss);
    });
    let waiting = true;
    client.initialize().catch((error: unknown) => {
      if (session.generation !== generation) return;
      const reason = `start failed: ${describeError(error)}`;
      if (waiting) reportLoss({ kind: 'failed', reason });
      else onLoss(generation, { kind: 'crashed', reason });
    });
    const waitSignal = AbortSignal.any([signal, AbortSignal.timeout(session.config.authTimeout * 1000)]);
    const shown = nextStatusIn(this.deps.events, session.id, QR_OR_LOGIN, waitSignal).then(
      (status): StartOutcome => (status ? { kind: 'ready' } : { kind: 'aborted' }),
    );
    const outcome = await Promise.race([shown, lost]);
    waiting = false;
    if (outcome.kind === 'aborted' && !signal.aborted) {
      return { kind: 'failed', reason: `neither a QR code nor a login within ${session.config.authTimeout} s` };
    }
    return outcome;
  }

  /** Closes the browser (deadline, then SIGKILL of everything on the profile). Never throws. */
  async teardown(session: Session): Promise<void> {
    session.generation++;
    clearTimeout(session.stableTimer);
    const client = session.client;
    session.client = undefined;
    session.qr = undefined;
    session.pairingCode = undefined;
    if (client) {
      session.closingClient = client;
      try {
        await withTimeout(client.destroy(), this.deps.settings.stopDeadlineMs, 'browser close deadline');
      } catch (error) {
        session.log('warn', `graceful close failed (${describeError(error)}); killing the browser`);
      } finally {
        if (session.closingClient === client) session.closingClient = undefined;
      }
    }
    try {
      const killed = await killProfileProcesses(this.deps.processes, this.deps.store.profileDir(session.id), {
        deadlineMs: 5_000,
      });
      if (killed.length > 0) session.log('info', `killed browser process(es) ${killed.join(', ')}`);
    } catch (error) {
      session.log('error', `could not kill the browser: ${describeError(error)}`);
      this.deps.logger.error('browser survived SIGKILL', { session: session.id, error: describeError(error) });
    }
  }

  /** SIGKILL for every process on the session's profile, at once (its client is torn down after). */
  async killNow(session: Session): Promise<number[]> {
    return killProfileProcesses(this.deps.processes, this.deps.store.profileDir(session.id), { deadlineMs: 5_000 });
  }

  moveTo(session: Session, to: SessionStatus, reason: string): void {
    if (session.status.status === to) {
      session.log('info', reason);
      return;
    }
    session.status.moveTo(to, reason);
  }

  private attach(session: Session, client: WaClient, onLoss: (generation: number, loss: ClientLoss) => void): number {
    const generation = ++session.generation;
    session.client = client;
    session.qrCount = 0;
    const current = () => session.generation === generation;
    // messages and activity the page reported: also while teardown closes it (hibernating, stopping), or they are lost
    const reporting = () => current() || session.closingClient === client;
    client.on('qr', (qr) => {
      if (!current()) return;
      session.qr = qr;
      session.qrCount++;
      this.deps.events.emit('qr', { sessionId: session.id, qr });
      if (session.status.status !== 'SCAN_QR_CODE') this.moveTo(session, 'SCAN_QR_CODE', 'QR code shown: scan it with the phone');
    });
    client.on('pairingCode', (code) => {
      if (!current()) return;
      session.pairingCode = code;
      this.deps.events.emit('pairingCode', { sessionId: session.id, code });
    });
    client.on('authenticated', () => {
      if (current()) session.log('info', 'authenticated');
    });
    client.on('ready', (me) => {
      if (!current()) return;
      session.me = me;
      session.qr = undefined;
      session.pairingCode = undefined;
      clearTimeout(session.stableTimer);
      session.stableTimer = setTimeout(() => session.restartBudget.reset(), this.deps.settings.stableAfterMs).unref();
      session.lastActivityAt = this.deps.now();
      this.moveTo(session, 'WORKING', `logged in as ${me.id} (${me.pushName})`);
    });
    client.on('disconnected', (reason) => {
      if (current()) onLoss(generation, { kind: 'disconnected', reason });
    });
    client.on('crashed', (reason) => {
      if (current()) onLoss(generation, { kind: 'crashed', reason });
    });
    client.on('message', (message) => {
      if (!reporting()) return;
      session.lastActivityAt = this.deps.now();
      this.deps.events.emit('message', { sessionId: session.id, me: session.me, message });
    });
    client.on('messageSent', (message) => {
      if (!reporting()) return;
      session.lastActivityAt = this.deps.now();
      this.deps.events.emit('messageSent', { sessionId: session.id, me: session.me, message });
    });
    client.on('activity', (type, payload) => {
      if (reporting()) this.deps.events.emit('activity', { sessionId: session.id, me: session.me, type, payload });
    });
    return generation;
  }
}
