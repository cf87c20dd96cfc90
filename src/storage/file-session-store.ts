import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { ConflictError } from '../shared/errors.js';
import { isValidSessionId } from '../sessions/session-config.js';
import type { OwnershipRelease, SessionStore, StoredSession } from './session-store.js';

const CONFIG_FILE = 'config.json';
const OWNER_LOCK = 'owner.lock';
const OWNER_FILE = 'owner.json';

export interface FileSessionStoreOptions {
  onOwnershipLost?: (sessionId: string, error: Error) => void;
  /** Whether a process with this PID is alive on this host. */
  isProcessAlive?: (pid: number) => Promise<boolean>;
}

interface Owner {
  pid: number;
  hostname: string;
}

/** Sessions as folders: `<root>/<id>/config.json` and the LocalAuth profile `<root>/<id>/session-<id>`. */
export class FileSessionStore implements SessionStore {
  /** Folders this process holds the lock of. */
  private readonly held = new Set<string>();
  private readonly onOwnershipLost: (sessionId: string, error: Error) => void;
  private readonly isProcessAlive: (pid: number) => Promise<boolean>;

  constructor(
    private readonly root: string,
    options: FileSessionStoreOptions = {},
  ) {
    this.onOwnershipLost = options.onOwnershipLost ?? (() => {});
    this.isProcessAlive = options.isProcessAlive ?? (async () => true);
  }

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

  /** Saves the config into the session's folder, which claim() made: a write never brings back a deleted folder. */
  async write(session: StoredSession): Promise<void> {
    const folder = this.folder(session.sessionId);
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
    // the folder holds the WhatsApp login and every message: the server's user only
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const lockOptions = {
      lockfilePath: path.join(folder, OWNER_LOCK),
      realpath: false,
      stale: 15_000,
      update: 5_000,
      onCompromised: (error: Error) => this.onOwnershipLost(sessionId, error),
    };
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(folder, lockOptions);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      // proper-lockfile only calls a lock stale after 15 s without updates; a crashed wamux on this host left
      // its PID behind, so its lock can be taken over at once instead of leaving the session unloaded
      if (!(await this.ownerIsGone(folder))) {
        throw new ConflictError(
          'SESSION_OWNED_ELSEWHERE',
          `Session '${sessionId}' is driven by another wamux process on the same sessions folder`,
        );
      }
      // proper-lockfile's lock is a directory and its unlock() only releases locks of this process
      await rm(lockOptions.lockfilePath, { recursive: true, force: true });
      release = await lockfile.lock(folder, lockOptions);
    }
    this.held.add(folder);
    const owner: Owner = { pid: process.pid, hostname: os.hostname() };
    await writeFile(path.join(folder, OWNER_FILE), JSON.stringify(owner));
    return async () => {
      this.held.delete(folder);
      await release().catch(() => undefined);
    };
  }

  private async ownerIsGone(folder: string): Promise<boolean> {
    let owner: Owner;
    try {
      owner = JSON.parse(await readFile(path.join(folder, OWNER_FILE), 'utf8')) as Owner;
    } catch {
      return false;
    }
    if (owner.hostname !== os.hostname()) return false;
    // our own PID on a lock we do not hold is a previous life of this PID (a restarted container)
    if (owner.pid === process.pid) return !this.held.has(folder);
    return !(await this.isProcessAlive(owner.pid));
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
