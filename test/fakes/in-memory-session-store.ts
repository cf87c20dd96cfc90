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

  constructor(private readonly root = '/fake/sessions') {}

  async listIds(): Promise<string[]> {
    return [...this.folders];
  }

  async read(sessionId: string): Promise<StoredSession | undefined> {
    const stored = this.saved.get(sessionId);
    return stored && structuredClone(stored);
  }

  async write(session: StoredSession): Promise<void> {
    this.folders.add(session.sessionId);
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
