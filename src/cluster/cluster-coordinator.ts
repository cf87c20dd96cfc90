import type { Logger } from '../shared/logger.js';
import { describeError } from '../shared/errors.js';
import type { ClusterInstances } from './cluster-instances.js';
import { placeSessions } from './cluster-instances.js';
import type { ClusterSessionStore } from './cluster-session-store.js';
import type { SessionLeases } from './session-leases.js';

/** What the coordinator needs of the sessions core. */
export interface ClusterHost {
  /** Ids of the sessions this process holds. */
  heldIds(): string[];
  adopt(sessionId: string, reason: string): Promise<{ loaded: boolean; settled: Promise<void> }>;
  relinquish(sessionId: string, reason: string): Promise<void>;
  /** PSS of this instance's browsers, MiB (reported, for operators). */
  memoryMib(): Promise<number>;
  /** Memory still available to this process (its host's, within its container's limit), MiB: placement weighs it. */
  availableMib(): Promise<number>;
}

export interface ClusterCoordinatorSettings {
  /** How often leases are renewed, the heartbeat sent and orphaned sessions looked for. */
  tickMs: number;
  /** How often each held session's login is backed up (when it changed). */
  backupIntervalMs: number;
  /** Sessions taken over at once. */
  adoptConcurrency: number;
}

export interface ClusterCoordinatorDeps {
  leases: SessionLeases;
  instances: ClusterInstances;
  store: ClusterSessionStore;
  host: ClusterHost;
  settings: ClusterCoordinatorSettings;
  logger: Logger;
  /** Anything else an instance re-reads from the database on each tick (the scoped keys). */
  onTick?: () => Promise<void>;
}

/**
 * One instance's part in the cluster: it renews its leases and gives up (closes the browser of) any session whose
 * lease it lost or could not renew in time, announces itself, takes over the sessions no live instance holds that
 * placement gives it, and backs its sessions' logins up.
 */
export class ClusterCoordinator {
  private tickTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private backupTimer: NodeJS.Timeout | undefined;
  private backupEvery: NodeJS.Timeout | undefined;
  private backingUp: Promise<void> | undefined;
  /** Sessions to back up at the next chance (they just linked): before the interval comes round. */
  private readonly backupSoon = new Set<string>();
  private stopping = false;
  /** Sessions being given up now. */
  private readonly givingUp = new Set<string>();
  /** Sessions being taken over now: not looked at again until that is over. */
  private readonly adopting = new Set<string>();

  constructor(private readonly deps: ClusterCoordinatorDeps) {}

  async start(): Promise<void> {
    await this.heartbeat();
    this.tickTimer = setInterval(() => void this.tick(), this.deps.settings.tickMs);
    // apart from the tick: a renewal that hangs on an unreachable database must not delay giving sessions up
    this.watchdog = setInterval(() => this.giveUp(this.deps.leases.expired(), 'its lease could not be renewed in time'), 250);
    // backups take their own loop: a large login's upload must not hold up the renewals
    this.backupTimer = setInterval(() => void this.backUp([...this.backupSoon]), 1_000);
    this.backupEvery = setInterval(() => void this.backUp(this.deps.leases.heldIds()), this.deps.settings.backupIntervalMs);
    void this.tick();
  }

  /** One pass; a pass still under way is joined. */
  tick(): Promise<void> {
    this.ticking ??= this.runTick().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  /**
   * Graceful leave: no more takeovers; the caller then shuts the sessions down (each backed up and its lease
   * released, so the others take them at once); close() ends the rest.
   */
  async beginLeaving(): Promise<void> {
    this.stopping = true;
    await this.ticking;
    await this.heartbeat().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.stopping = true;
    clearInterval(this.tickTimer);
    clearInterval(this.watchdog);
    clearInterval(this.backupTimer);
    clearInterval(this.backupEvery);
    await this.ticking;
    await this.backingUp;
    await this.deps.instances.leave().catch(() => undefined);
  }

  private async runTick(): Promise<void> {
    try {
      this.giveUp(await this.deps.leases.renew(), 'another instance holds its lease now');
    } catch (error) {
      this.deps.logger.warn('could not renew the session leases', { error: describeError(error) });
    }
    if (this.stopping) return;
    // a session loaded here without a lease (lost while it was being loaded) goes too
    this.giveUp(
      this.deps.host.heldIds().filter((sessionId) => this.deps.leases.tokenOf(sessionId) === undefined && !this.adopting.has(sessionId)),
      'this instance does not hold its lease',
    );
    try {
      await this.heartbeat();
      await this.deps.onTick?.();
      await this.adoptOrphans();
    } catch (error) {
      this.deps.logger.warn('cluster housekeeping failed', { error: describeError(error) });
    }
  }

  private giveUp(sessionIds: readonly string[], reason: string): void {
    for (const sessionId of sessionIds) {
      if (this.givingUp.has(sessionId)) continue;
      this.givingUp.add(sessionId);
      void this.deps.host
        .relinquish(sessionId, reason)
        .catch((error: unknown) => this.deps.logger.error('could not give a session up', { session: sessionId, error: describeError(error) }))
        .finally(() => this.givingUp.delete(sessionId));
    }
  }

  private async heartbeat(): Promise<void> {
    await this.deps.instances.heartbeat({
      sessions: this.deps.host.heldIds().length,
      memoryMib: await this.deps.host.memoryMib().catch(() => 0),
      availableMib: await this.deps.host.availableMib().catch(() => 0),
      stopping: this.stopping,
    });
  }

  /**
   * Sessions of the cluster without a live owner, placed over the live instances: this one takes its share, at
   * most adoptConcurrency at a time. The takeovers run beside the tick, which keeps renewing the leases meanwhile.
   */
  private async adoptOrphans(): Promise<void> {
    const room = this.deps.settings.adoptConcurrency - this.adopting.size;
    if (room <= 0) return;
    const [ids, holders, instances] = await Promise.all([
      this.deps.store.registryIds(),
      this.deps.leases.holders(),
      this.deps.instances.list(),
    ]);
    const orphans = ids.filter((id) => !holders.has(id) && !this.adopting.has(id));
    if (orphans.length === 0) return;
    const placement = placeSessions(orphans, instances);
    const mine = orphans.filter((id) => placement.get(id) === this.deps.instances.self.name).slice(0, room);
    for (const sessionId of mine) {
      this.adopting.add(sessionId);
      void this.adopt(sessionId).finally(() => this.adopting.delete(sessionId));
    }
  }

  private async adopt(sessionId: string): Promise<void> {
    try {
      const { loaded, settled } = await this.deps.host.adopt(sessionId, 'taken over: no live instance held it');
      if (loaded) this.deps.logger.info('session taken over', { session: sessionId, instance: this.deps.instances.self.name });
      await settled;
    } catch (error) {
      this.deps.logger.warn('could not take a session over', { session: sessionId, error: describeError(error) });
    }
  }

  /** The session just linked (or its login changed): back it up within a second rather than at the interval. */
  loginChanged(sessionId: string): void {
    this.backupSoon.add(sessionId);
  }

  /** Backs these sessions up one after the other (when their login changed); a pass under way is not doubled. */
  private backUp(sessionIds: readonly string[]): Promise<void> {
    if (this.backingUp || sessionIds.length === 0) return this.backingUp ?? Promise.resolve();
    this.backingUp = (async () => {
      for (const sessionId of sessionIds) {
        this.backupSoon.delete(sessionId);
        if (this.stopping) return;
        await this.deps.store.backUp(sessionId);
      }
    })().finally(() => {
      this.backingUp = undefined;
    });
    return this.backingUp;
  }
}
