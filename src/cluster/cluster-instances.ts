import type { ClusterDatabase } from './cluster-database.js';

export interface InstanceView {
  name: string;
  url: string;
  startedAt: string;
  heartbeatAt: string;
  /** Heartbeat within the lease time, and not shutting down: it may be given sessions. */
  live: boolean;
  stopping: boolean;
  maxSessions: number;
  /** Sessions it holds leases of. */
  sessions: string[];
  memoryMib: number;
  /** Memory its host (or container) had available at its last heartbeat, MiB; 0 when unknown. */
  availableMib: number;
}

export interface SelfDescription {
  name: string;
  runId: string;
  url: string;
  maxSessions: number;
}

interface InstanceRow {
  name: string;
  url: string;
  started_at: Date;
  heartbeat_at: Date;
  max_sessions: number;
  memory_mib: number;
  available_mib: number;
  stopping: boolean;
  live: boolean;
}

/** The instances of the cluster, each announcing itself with a heartbeat; who holds what comes from the leases. */
export class ClusterInstances {
  private readonly startedAt = new Date();

  constructor(
    private readonly database: ClusterDatabase,
    readonly self: SelfDescription,
    /** A heartbeat older than this: the instance is taken for dead. */
    private readonly liveWithinMs: number,
  ) {}

  /** Announces this instance (a restarted one with the same name replaces its old row). */
  async heartbeat(load: { sessions: number; memoryMib: number; availableMib: number; stopping: boolean }): Promise<void> {
    await this.database.query(
      `INSERT INTO wamux_instances (name, run_id, url, started_at, heartbeat_at, max_sessions, sessions, memory_mib, available_mib, stopping)
       VALUES ($1, $2, $3, $4, now(), $5, $6, $7, $8, $9)
       ON CONFLICT (name) DO UPDATE SET run_id = $2, url = $3, started_at = $4, heartbeat_at = now(), max_sessions = $5,
         sessions = $6, memory_mib = $7, available_mib = $8, stopping = $9`,
      [
        this.self.name,
        this.self.runId,
        this.self.url,
        this.startedAt,
        this.self.maxSessions,
        load.sessions,
        Math.round(load.memoryMib),
        Math.round(load.availableMib),
        load.stopping,
      ],
    );
  }

  /** This instance leaves the cluster (graceful shutdown, after its sessions were handed over). */
  async leave(): Promise<void> {
    await this.database.query('DELETE FROM wamux_instances WHERE name = $1 AND run_id = $2', [this.self.name, this.self.runId]);
  }

  async list(): Promise<InstanceView[]> {
    const instances = await this.database.query<InstanceRow>(
      `SELECT name, url, started_at, heartbeat_at, max_sessions, memory_mib, available_mib, stopping,
         (heartbeat_at >= now() - $1 * interval '1 millisecond' AND NOT stopping) AS live
       FROM wamux_instances ORDER BY name`,
      [this.liveWithinMs],
    );
    const leases = await this.database.query<{ instance: string; session_id: string }>(
      'SELECT instance, session_id FROM wamux_leases WHERE expires_at >= now() ORDER BY session_id',
    );
    return instances.rows.map((row) => ({
      name: row.name,
      url: row.url,
      startedAt: row.started_at.toISOString(),
      heartbeatAt: row.heartbeat_at.toISOString(),
      live: row.live,
      stopping: row.stopping,
      maxSessions: row.max_sessions,
      sessions: leases.rows.filter((lease) => lease.instance === row.name).map((lease) => lease.session_id),
      memoryMib: row.memory_mib,
      availableMib: row.available_mib,
    }));
  }
}

/** What a placed session is counted to take of its instance's available memory until the next heartbeat says. */
export const PLACED_SESSION_MIB = 150;
/** An instance with less memory available than this gets sessions only when every other one is as short. */
export const LOW_MEMORY_MIB = 512;

type Candidate = InstanceView & { count: number };

/**
 * Where sessions go: each to the live instance with the most free room, counting the ones placed before it: first
 * those not short of memory, then the smallest share of its --max-sessions in use, then the most memory available,
 * then the fewest sessions, then the name. Every instance computes the same answer from the same snapshot, so they
 * take different sessions without talking to each other.
 */
export function placeSessions(sessionIds: readonly string[], instances: readonly InstanceView[]): Map<string, string> {
  const load = new Map(
    instances.filter((instance) => instance.live).map((instance): [string, Candidate] => [instance.name, { ...instance, count: instance.sessions.length }]),
  );
  const placed = new Map<string, string>();
  for (const sessionId of [...sessionIds].sort()) {
    let best: Candidate | undefined;
    for (const candidate of load.values()) {
      if (candidate.count >= candidate.maxSessions) continue;
      if (best === undefined || compareRoom(candidate, best) < 0) best = candidate;
    }
    if (best === undefined) break;
    placed.set(sessionId, best.name);
    best.count += 1;
    if (best.availableMib > 0) best.availableMib = Math.max(1, best.availableMib - PLACED_SESSION_MIB);
  }
  return placed;
}

function compareRoom(a: Candidate, b: Candidate): number {
  // 0 is unknown (an instance that does not report it): neither short nor roomy
  const short = (candidate: Candidate) => (candidate.availableMib > 0 && candidate.availableMib < LOW_MEMORY_MIB ? 1 : 0);
  return (
    short(a) - short(b) ||
    a.count / a.maxSessions - b.count / b.maxSessions ||
    b.availableMib - a.availableMib ||
    a.count - b.count ||
    a.name.localeCompare(b.name)
  );
}
