import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { ConflictError } from '../shared/errors.js';
import { isValidSessionId } from '../sessions/session-config.js';
import type { OwnershipRelease, SessionStore, StoredSession } from './session-store.js';

const CONFIG_FILE = 'config.json';
const OWNER_LOCK = 'owner.lock';

/** Sessions as folders: `<root>/<id>/config.json` and the LocalAuth profile `<root>/<id>/session-<id>`. */
export class FileSessionStore implements SessionStore {
  constructor(
    private readonly root: string,
    private readonly onOwnershipLost: (sessionId: string, error: Error) => void = () => {},
  ) {}

  async listIds(): Promise<string[]> {
    await mkdir(this.root, { recursive: true });
    const entries = await readdir(this.root, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory() && isValidSessionId(entry.name)).map((entry) => entry.name);
  }

  async read(sessionId: string): Promise<StoredSession | undefined> {
    try {
      const text = await readFile(path.join(this.folder(sessionId), CONFIG_FILE), 'utf8');
      return JSON.parse(text) as StoredSession;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async write(session: StoredSession): Promise<void> {
    const folder = this.folder(session.sessionId);
    await mkdir(folder, { recursive: true });
    const target = path.join(folder, CONFIG_FILE);
    const temporary = `${target}.${process.pid}.tmp`;
    // the config holds proxy passwords: readable by the server's user only
    await writeFile(temporary, JSON.stringify(session, null, 2), { mode: 0o600 });
    await rename(temporary, target);
  }

  async remove(sessionId: string): Promise<void> {
    await rm(this.folder(sessionId), { recursive: true, force: true, maxRetries: 3 });
  }

  async removeProfile(sessionId: string): Promise<void> {
    await rm(this.profileDir(sessionId), { recursive: true, force: true, maxRetries: 3 });
  }

  profileParent(sessionId: string): string {
    return this.folder(sessionId);
  }

  profileDir(sessionId: string): string {
    return path.join(this.folder(sessionId), `session-${sessionId}`);
  }

  async claim(sessionId: string): Promise<OwnershipRelease> {
    const folder = this.folder(sessionId);
    await mkdir(folder, { recursive: true });
    try {
      const release = await lockfile.lock(folder, {
        lockfilePath: path.join(folder, OWNER_LOCK),
        realpath: false,
        stale: 15_000,
        update: 5_000,
        onCompromised: (error) => this.onOwnershipLost(sessionId, error),
      });
      return async () => {
        await release().catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
        throw new ConflictError(
          'SESSION_OWNED_ELSEWHERE',
          `Session '${sessionId}' is driven by another wamux process on the same sessions folder`,
        );
      }
      throw error;
    }
  }

  private folder(sessionId: string): string {
    // ids are validated at the API boundary; this guard keeps a bad id from ever reaching the file system
    if (!isValidSessionId(sessionId)) throw new Error(`invalid session id reached the store: ${sessionId}`);
    return path.join(this.root, sessionId);
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}
