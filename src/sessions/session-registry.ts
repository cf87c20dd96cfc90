import { SessionNotFoundError } from '../shared/errors.js';
import type { Session, SessionSnapshot } from './session.js';

/**
 * Which sessions this process has, and which ids are busy: being created, starting, or being deleted. Only the
 * manager changes it; everything else asks.
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();
  /** Ids with a create or a start under way: a second one is refused at once. */
  readonly pending = new Set<string>();
  /** Ids whose delete is under way: no start, and no create of the same id, until the folder is gone. */
  readonly deleting = new Set<string>();
  /** Ids being created: they count against --max-sessions before they are in the Map. */
  readonly creating = new Set<string>();

  add(session: Session): void {
    this.sessions.set(session.id, session);
  }

  remove(sessionId: string): void {
    this.sessions.delete(sessionId);
  }

  get(sessionId: string): Session {
    const session = this.sessions.get(sessionId);
    if (!session) throw new SessionNotFoundError(sessionId);
    return session;
  }

  has(sessionId: string): boolean {
    return this.sessions.has(sessionId);
  }

  /** Whether this object is still the loaded session of its id (a delete and a re-create replace it). */
  isCurrent(session: Session): boolean {
    return this.sessions.get(session.id) === session;
  }

  all(): Session[] {
    return [...this.sessions.values()];
  }

  list(): SessionSnapshot[] {
    return this.all().map((session) => session.snapshot());
  }

  /** Sessions that exist or are being created: what --max-sessions counts. */
  get countWithCreates(): number {
    return this.sessions.size + this.creating.size;
  }

  /** Loaded and not on its way out: its events belong in its log. */
  isActive(sessionId: string): boolean {
    return this.sessions.has(sessionId) && !this.deleting.has(sessionId);
  }

  /** Whether this process is using the id: loaded, being created, or being deleted. */
  isInUse(sessionId: string): boolean {
    return this.sessions.has(sessionId) || this.pending.has(sessionId) || this.deleting.has(sessionId);
  }

  /** PIDs of the browsers that loaded sessions drive. */
  ownedBrowserPids(): Set<number> {
    const pids = new Set<number>();
    for (const session of this.sessions.values()) {
      const pid = session.client?.browserPid();
      if (pid !== undefined) pids.add(pid);
    }
    return pids;
  }
}
