import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../shared/logger.js';
import { ConflictError, describeError } from '../shared/errors.js';
import type { FileSessionStore } from '../storage/file-session-store.js';
import type { OwnershipRelease, SessionStore, StoredSession } from '../storage/session-store.js';
import type { SessionConfig } from '../sessions/session-config.js';
import type { ClusterDatabase } from './cluster-database.js';
import { LEASE_IS_HELD, LeaseLostError } from './fencing.js';
import type { LoginBackups } from './login-backups.js';
import type { SessionLeases } from './session-leases.js';
import type { EventLogCopies } from './event-log-copies.js';
import type { EventLogShipper } from './event-log-shipper.js';
import { EVENT_LOG_FILE } from '../events/session-channels.js';

/** In the session's folder here: the creation time of the session its files belong to. */
const LOCAL_MARKER = 'cluster-session.json';

interface SessionRow {
  session_id: string;
  created_at: string;
  desired_state: StoredSession['desiredState'];
  config: SessionConfig;
}

/**
 * The sessions of a cluster: configs and desired states in Postgres, shared by every instance; ownership is the
 * session's lease; the login travels through its Postgres backup. The profile, the event log and other files stay
 * in this instance's own folder, as in the single-process store it wraps.
 */
export class ClusterSessionStore implements SessionStore {
  private readonly deleting = new Set<string>();

  constructor(
    private readonly database: ClusterDatabase,
    private readonly leases: SessionLeases,
    private readonly backups: LoginBackups,
    private readonly local: FileSessionStore,
    private readonly logs: { copies: EventLogCopies; shipper: EventLogShipper } | undefined,
    private readonly logger: Logger,
  ) {}

  /** Sessions with files on this instance's disk (what maintenance and orphan sweeps look at). */
  listIds(): Promise<string[]> {
    return this.local.listIds();
  }

  /** Every session of the cluster. */
  async registryIds(): Promise<string[]> {
    const result = await this.database.query<{ session_id: string }>('SELECT session_id FROM wamux_sessions ORDER BY session_id');
    return result.rows.map((row) => row.session_id);
  }

  async read(sessionId: string): Promise<StoredSession | undefined> {
    const result = await this.database.query<SessionRow>(
      'SELECT session_id, created_at, desired_state, config FROM wamux_sessions WHERE session_id = $1',
      [sessionId],
    );
    const row = result.rows[0];
    return row && { sessionId: row.session_id, createdAt: row.created_at, desiredState: row.desired_state, config: row.config };
  }

  /**
   * Saves the session as its owner: refused unless this instance holds its lease (fencing token). A session of
   * the same id made elsewhere (another creation time) is not overwritten.
   */
  async write(session: StoredSession): Promise<void> {
    const token = this.leases.tokenOf(session.sessionId);
    if (token === undefined) throw new LeaseLostError(session.sessionId);
    const result = await this.database.query(
      `INSERT INTO wamux_sessions (session_id, created_at, desired_state, config, updated_at)
       SELECT $1::text, $3::text, $4::text, $5::jsonb, now() WHERE EXISTS (SELECT 1 FROM wamux_leases WHERE ${LEASE_IS_HELD})
       ON CONFLICT (session_id) DO UPDATE SET desired_state = EXCLUDED.desired_state, config = EXCLUDED.config, updated_at = now()
         WHERE wamux_sessions.created_at = EXCLUDED.created_at`,
      [session.sessionId, token, session.createdAt, session.desiredState, JSON.stringify(session.config)],
    );
    if (result.rowCount === 0) {
      if (this.leases.tokenOf(session.sessionId) !== token) throw new LeaseLostError(session.sessionId);
      throw new ConflictError('SESSION_EXISTS', `Session '${session.sessionId}' already exists`);
    }
    await writeFile(path.join(this.profileParent(session.sessionId), LOCAL_MARKER), JSON.stringify({ createdAt: session.createdAt }), { mode: 0o600 });
  }

  /** A delete under way: its claim's release hands nothing over (remove() takes the lease away with the rest). */
  markDeleting(sessionId: string): void {
    this.deleting.add(sessionId);
  }

  /**
   * Deletes the session everywhere in one transaction (its row, lease, login backup and log copy: no instance can
   * take it over halfway), then its folder here.
   */
  async remove(sessionId: string): Promise<void> {
    try {
      await this.database.transaction(async (client) => {
        for (const table of ['wamux_sessions', 'wamux_leases', 'wamux_login_backups', 'wamux_login_chunks', 'wamux_deliveries', 'wamux_events']) {
          await client.query(`DELETE FROM ${table} WHERE session_id = $1`, [sessionId]);
        }
      });
      this.leases.forget(sessionId);
      this.logs?.shipper.forget(sessionId);
      await this.local.remove(sessionId);
    } finally {
      this.deleting.delete(sessionId);
    }
  }

  async removeProfile(sessionId: string): Promise<void> {
    await this.backups.remove(sessionId, this.local.profileParent(sessionId));
    await this.local.removeProfile(sessionId);
  }

  profileParent(sessionId: string): string {
    return this.local.profileParent(sessionId);
  }

  profileDir(sessionId: string): string {
    return this.local.profileDir(sessionId);
  }

  /**
   * Takes the session's lease (refused while another live instance holds it) and brings its login here from the
   * backup when the local profile is not that backup. The release backs the login up, then hands the lease back.
   */
  async claim(sessionId: string): Promise<OwnershipRelease> {
    const token = await this.leases.acquire(sessionId);
    if (token === undefined) {
      throw new ConflictError('SESSION_OWNED_ELSEWHERE', `Session '${sessionId}' is driven by another instance of the cluster`);
    }
    try {
      await this.dropStaleFolder(sessionId);
      // the folder holds the WhatsApp login and every message: the server's user only
      await mkdir(this.profileParent(sessionId), { recursive: true, mode: 0o700 });
      const restored = await this.backups.restore(sessionId, this.profileParent(sessionId), this.profileDir(sessionId));
      if (restored.saved) this.logger.info('login restored from the cluster backup', { session: sessionId, bytes: restored.bytes, ms: Math.round(restored.ms) });
      if (this.logs) {
        const mark = await this.logs.copies.restore(sessionId, path.join(this.profileParent(sessionId), EVENT_LOG_FILE));
        this.logs.shipper.follow(sessionId, mark);
      }
    } catch (error) {
      await this.leases.release(sessionId).catch(() => undefined);
      throw error;
    }
    return async () => {
      if (this.deleting.has(sessionId)) return;
      // everything written so far goes out before another instance may take the session; if it cannot, the lease
      // is left to expire (an instance that takes the session then may find the copy short, but not sooner)
      const copied = (await this.logs?.shipper.flush(sessionId)) ?? true;
      this.logs?.shipper.forget(sessionId);
      if (!copied) {
        this.logger.warn('could not copy the event log before handing the session over; its lease expires instead', { session: sessionId });
        return;
      }
      await this.backUp(sessionId);
      await this.leases.release(sessionId).catch((error: unknown) =>
        this.logger.warn('could not hand the session over at once; its lease expires instead', { session: sessionId, error: describeError(error) }),
      );
    };
  }

  /**
   * Files here from another session of the same id (deleted since, and made again elsewhere) are not this one's:
   * its login, history and deliveries would come back with it. They go, unless they were written for this
   * session (the same creation time).
   */
  private async dropStaleFolder(sessionId: string): Promise<void> {
    const folder = this.profileParent(sessionId);
    const local = await readFile(path.join(folder, LOCAL_MARKER), 'utf8').then(
      (text) => (JSON.parse(text) as { createdAt?: string }).createdAt,
      () => undefined,
    );
    const stored = (await this.read(sessionId))?.createdAt;
    if (local !== undefined && local === stored) return;
    await rm(folder, { recursive: true, force: true, maxRetries: 3 });
  }

  /** Backs the session's login up if this instance holds it and it changed; failures are logged, not thrown. */
  async backUp(sessionId: string): Promise<void> {
    const token = this.leases.tokenOf(sessionId);
    if (token === undefined) return;
    try {
      const outcome = await this.backups.save(sessionId, token, this.profileParent(sessionId), this.profileDir(sessionId));
      if (outcome.saved) this.logger.info('login backed up', { session: sessionId, bytes: outcome.bytes, ms: Math.round(outcome.ms) });
    } catch (error) {
      this.logger.warn('could not back the login up', { session: sessionId, error: describeError(error) });
    }
  }
}
