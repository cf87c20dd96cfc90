import path from 'node:path';
import { ConflictError } from '../../src/shared/errors.js';
import type { OwnershipRelease, SessionStore, StoredSession } from '../../src/storage/session-store.js';

export class InMemorySessionStore implements SessionStore {
  readonly saved = new Map<string, StoredSession>();
  readonly folders = new Set<string>();
  readonly profiles = new Set<string>();
  readonly owned = new Set<string>();
  /** Session ids another process owns. */
  readonly ownedElsewhere = new Set<string>();
  /** Session ids whose saved config cannot be read (a corrupt config.json). */
  readonly unreadable = new Set<string>();

  constructor(private readonly root = '/fake/sessions') {}

  async listIds(): Promise<string[]> {
    return [...this.folders];
  }

  async read(sessionId: string): Promise<StoredSession | undefined> {
    if (this.unreadable.has(sessionId)) throw new SyntaxError(`Unexpected token in JSON of ${sessionId}`);
    const stored = this.saved.get(sessionId);
    return stored && structuredClone(stored);
  }

  /** Like the file store: the folder must exist (claim makes it); a write never brings a deleted one back. */
  async write(session: StoredSession): Promise<void> {
    if (!this.folders.has(session.sessionId)) throw Object.assign(new Error(`ENOENT: no folder for ${session.sessionId}`), { code: 'ENOENT' });
    this.saved.set(session.sessionId, structuredClone(session));
  }

  async remove(sessionId: string): Promise<void> {
    this.folders.delete(sessionId);
    this.saved.delete(sessionId);
    this.profiles.delete(sessionId);
  }

  async removeProfile(sessionId: string): Promise<void> {
    this.profiles.delete(sessionId);
  }

  profileParent(sessionId: string): string {
    return path.join(this.root, sessionId);
  }

  profileDir(sessionId: string): string {
    return path.join(this.root, sessionId, `session-${sessionId}`);
  }

  async claim(sessionId: string): Promise<OwnershipRelease> {
    if (this.ownedElsewhere.has(sessionId) || this.owned.has(sessionId)) {
      throw new ConflictError('SESSION_OWNED_ELSEWHERE', `Session '${sessionId}' is owned elsewhere`);
    }
    this.owned.add(sessionId);
    this.folders.add(sessionId);
    return async () => {
      this.owned.delete(sessionId);
    };
  }
}
