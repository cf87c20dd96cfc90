import { performance } from 'node:perf_hooks';
import type { ClusterDatabase } from './cluster-database.js';

export interface LeaseSettings {
  /** How long a lease lasts without renewal (Postgres's clock decides when it expired). */
  leaseMs: number;
  /**
   * This instance gives a session up this long before its lease could have expired without a renewal it saw
   * succeed: its browser is stopped while no other instance may yet take the session.
   */
  safetyMarginMs: number;
}

/** Who drives this instance's sessions: its name, and this run of it (a restart is a new owner). */
export interface LeaseOwner {
  instance: string;
  runId: string;
}

export interface HeldLease {
  token: string;
  /** performance.now() after which this instance must no longer drive the session. */
  validUntil: number;
}

export interface LeaseHolder {
  instance: string;
  token: string;
  expiresAt: Date;
}

/**
 * Ownership leases, one row per session: taken only when free or expired, renewed together, released on hand-over.
 * Each acquisition draws a new fencing token. Validity is counted on this process's monotonic clock from the
 * moment a renewal was sent, so it ends before Postgres's expiry, never after it.
 */
export class SessionLeases {
  private readonly held = new Map<string, HeldLease>();

  constructor(
    private readonly database: ClusterDatabase,
    readonly owner: LeaseOwner,
    readonly settings: LeaseSettings,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** The token of a lease this instance holds and may still act on; undefined otherwise. */
  tokenOf(sessionId: string): string | undefined {
    const lease = this.held.get(sessionId);
    return lease !== undefined && this.clock() < lease.validUntil ? lease.token : undefined;
  }

  heldIds(): string[] {
    return [...this.held.keys()];
  }

  /** Takes the session's lease if no live owner holds it; resolves with the new token, or undefined when held. */
  async acquire(sessionId: string): Promise<string | undefined> {
    const sentAt = this.clock();
    const result = await this.database.query<{ token: string }>(
      `INSERT INTO wamux_leases (session_id, instance, run_id, token, expires_at)
       VALUES ($1, $2, $3, nextval('wamux_fencing_tokens'), now() + $4 * interval '1 millisecond')
       ON CONFLICT (session_id) DO UPDATE
         SET instance = EXCLUDED.instance, run_id = EXCLUDED.run_id, token = EXCLUDED.token,
             acquired_at = now(), expires_at = EXCLUDED.expires_at
         WHERE wamux_leases.expires_at < now()
       RETURNING token`,
      [sessionId, this.owner.instance, this.owner.runId, this.settings.leaseMs],
    );
    const token = result.rows[0]?.token;
    if (token === undefined) return undefined;
    this.held.set(sessionId, { token, validUntil: sentAt + this.settings.leaseMs - this.settings.safetyMarginMs });
    return token;
  }

  /**
   * Extends every lease this run holds. Resolves with the sessions whose lease is gone (another instance took it
   * after it expired, or it was deleted); they are no longer held. A failed renewal changes nothing: expired()
   * tells when to give the sessions up.
   */
  async renew(): Promise<string[]> {
    if (this.held.size === 0) return [];
    const sentAt = this.clock();
    // only the leases held when the renewal is sent, judged against what they were then: a lease given up
    // meanwhile is not kept alive (its row expires), and one taken meanwhile is not taken for lost
    const asked = new Map([...this.held].map(([sessionId, lease]) => [sessionId, lease.token]));
    const result = await this.database.query<{ session_id: string; token: string }>(
      `UPDATE wamux_leases SET expires_at = now() + $2 * interval '1 millisecond'
       WHERE run_id = $1 AND session_id = ANY($3::text[]) AND expires_at >= now() RETURNING session_id, token`,
      [this.owner.runId, this.settings.leaseMs, [...asked.keys()]],
    );
    const renewed = new Map(result.rows.map((row) => [row.session_id, row.token]));
    const lost: string[] = [];
    for (const [sessionId, token] of asked) {
      const lease = this.held.get(sessionId);
      if (lease === undefined || lease.token !== token) continue;
      if (renewed.get(sessionId) === token) lease.validUntil = sentAt + this.settings.leaseMs - this.settings.safetyMarginMs;
      else {
        this.held.delete(sessionId);
        lost.push(sessionId);
      }
    }
    return lost;
  }

  /** Held sessions whose validity ran out (no renewal got through in time); they are no longer held. */
  expired(): string[] {
    const now = this.clock();
    const gone = [...this.held].filter(([, lease]) => now >= lease.validUntil).map(([sessionId]) => sessionId);
    for (const sessionId of gone) this.held.delete(sessionId);
    return gone;
  }

  /** Hands the session over at once: the lease row goes, if it is still this owner's. */
  async release(sessionId: string): Promise<void> {
    const lease = this.held.get(sessionId);
    if (!lease) return;
    this.held.delete(sessionId);
    await this.database.query('DELETE FROM wamux_leases WHERE session_id = $1 AND token = $2', [sessionId, lease.token]);
  }

  /** Forgets a lease without touching the database (it was deleted with its session). */
  forget(sessionId: string): void {
    this.held.delete(sessionId);
  }

  /** Who holds each live lease, by session. */
  async holders(): Promise<Map<string, LeaseHolder>> {
    const result = await this.database.query<{ session_id: string; instance: string; token: string; expires_at: Date }>(
      'SELECT session_id, instance, token, expires_at FROM wamux_leases WHERE expires_at >= now()',
    );
    return new Map(result.rows.map((row) => [row.session_id, { instance: row.instance, token: row.token, expiresAt: row.expires_at }]));
  }
}
