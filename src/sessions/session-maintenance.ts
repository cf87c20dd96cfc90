import type { Logger } from '../shared/logger.js';
import { describeError } from '../shared/errors.js';
import type { ProcessTable } from '../browser/process-table.js';
import { reapProfile } from '../browser/orphan-reaper.js';
import type { SessionStore } from '../storage/session-store.js';
import type { SessionManager } from './session-manager.js';
import type { SessionStatus } from './session-status.js';

export interface TerminateInactiveOptions {
  /** Also terminate WORKING (and HIBERNATED) sessions with no message sent or received for longer than this. */
  idleMinutes?: number;
  /** delete: the session and its data go; stop: its browser closes and its login stays. */
  mode: 'delete' | 'stop';
  dryRun: boolean;
}

export interface TerminateInactiveReport {
  dryRun: boolean;
  mode: 'delete' | 'stop';
  terminated: { id: string; status: SessionStatus | 'ON_DISK_ONLY'; reason: string }[];
  kept: { id: string; status: SessionStatus | 'OWNED_ELSEWHERE'; reason: string }[];
  orphansKilled: number[];
}

export interface MaintenanceDeps {
  store: SessionStore;
  processes: ProcessTable;
  hostname: string;
  logger: Logger;
  now: () => number;
}

/** Sessions that are mid-change are left alone: they settle on their own within their start or stop deadline. */
const IN_TRANSITION: ReadonlySet<SessionStatus> = new Set(['STARTING', 'STOPPING', 'CRASHED']);

/** Orphan sweeps and the terminateInactive clean-up, over loaded sessions and folders no session owns. */
export class SessionMaintenance {
  constructor(
    private readonly manager: SessionManager,
    private readonly deps: MaintenanceDeps,
  ) {}

  /**
   * Kills browsers no live session of this process drives, on every profile this process can own. A profile whose
   * browser will not die is reported, not thrown: one stuck process must not keep the server from serving the rest.
   */
  async sweepOrphans(): Promise<{ killed: number[]; failed: { sessionId: string; reason: string }[] }> {
    const killed: number[] = [];
    const failed: { sessionId: string; reason: string }[] = [];
    for (const sessionId of await this.deps.store.listIds()) {
      try {
        killed.push(...(await this.sweepOne(sessionId)));
      } catch (error) {
        failed.push({ sessionId, reason: `an old browser on its profile would not die: ${describeError(error)}` });
        this.deps.logger.error('could not kill an orphan browser', { session: sessionId, error: describeError(error) });
      }
    }
    if (killed.length > 0) this.deps.logger.warn('killed orphan browsers', { pids: killed });
    return { killed, failed };
  }

  private async sweepOne(sessionId: string): Promise<number[]> {
    if (this.manager.has(sessionId)) return this.reap(sessionId);
    if (this.manager.isInUse(sessionId)) return []; // being created or deleted right now
    const release = await this.deps.store.claim(sessionId).catch(() => undefined);
    if (!release) return []; // another wamux process drives it
    try {
      return await this.reap(sessionId);
    } finally {
      await release();
    }
  }

  async terminateInactive(options: TerminateInactiveOptions): Promise<TerminateInactiveReport> {
    const report: TerminateInactiveReport = { dryRun: options.dryRun, mode: options.mode, terminated: [], kept: [], orphansKilled: [] };
    const idleMs = options.idleMinutes === undefined ? undefined : options.idleMinutes * 60_000;
    for (const session of this.manager.all()) {
      const status = session.status.status;
      const idleFor = this.deps.now() - session.lastActivityAt;
      let reason: string | undefined;
      // a HIBERNATED session is linked and only asleep: it counts as WORKING here
      if (status === 'WORKING' || status === 'HIBERNATED') {
        if (idleMs !== undefined && idleFor > idleMs) reason = `idle for ${Math.floor(idleFor / 60_000)} minutes`;
      } else if (!IN_TRANSITION.has(status)) {
        reason = `not WORKING (${status}${session.status.lastReason ? `: ${session.status.lastReason}` : ''})`;
      }
      if (!reason) {
        const linked = status === 'WORKING' || status === 'HIBERNATED';
        report.kept.push({ id: session.id, status, reason: linked ? status : 'changing state' });
        continue;
      }
      report.terminated.push({ id: session.id, status, reason });
      if (options.dryRun) continue;
      try {
        if (options.mode === 'delete') await this.manager.delete(session.id);
        else await this.manager.stop(session.id);
      } catch (error) {
        this.deps.logger.error('terminateInactive failed for a session', { session: session.id, error: describeError(error) });
      }
    }
    await this.terminateUnowned(options, report);
    return report;
  }

  /** Folders on disk that no loaded session owns: their browsers are orphans by definition. */
  private async terminateUnowned(options: TerminateInactiveOptions, report: TerminateInactiveReport): Promise<void> {
    for (const sessionId of await this.deps.store.listIds()) {
      if (this.manager.isInUse(sessionId)) continue;
      const release = await this.deps.store.claim(sessionId).catch(() => undefined);
      if (!release) {
        report.kept.push({ id: sessionId, status: 'OWNED_ELSEWHERE', reason: 'driven by another wamux process' });
        continue;
      }
      report.terminated.push({ id: sessionId, status: 'ON_DISK_ONLY', reason: 'on disk, but no loaded session owns it' });
      try {
        if (!options.dryRun) report.orphansKilled.push(...(await this.reap(sessionId)));
      } finally {
        await release();
      }
      if (!options.dryRun && options.mode === 'delete') await this.deps.store.remove(sessionId);
    }
  }

  private async reap(sessionId: string): Promise<number[]> {
    const result = await reapProfile(this.deps.store.profileDir(sessionId), {
      table: this.deps.processes,
      hostname: this.deps.hostname,
      isOwned: (pid) => this.manager.ownedBrowserPids().has(pid),
    });
    return result.killedPids;
  }
}
