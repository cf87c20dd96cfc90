import type { SessionConfig } from '../sessions/session-config.js';

/** hibernated: the user wants it running, and it was asleep (HIBERNATED, no browser) when last saved. */
export type DesiredState = 'running' | 'stopped' | 'hibernated';

/** What survives a restart of the server: the session's config and whether the user wants it running. */
export interface StoredSession {
  sessionId: string;
  createdAt: string;
  desiredState: DesiredState;
  config: SessionConfig;
}

/** Releases this process's ownership of a session folder. */
export type OwnershipRelease = () => Promise<void>;

/** The port the sessions core uses for everything on disk. */
export interface SessionStore {
  /** Ids of every session folder on disk, with or without a saved config. */
  listIds(): Promise<string[]>;
  read(sessionId: string): Promise<StoredSession | undefined>;
  write(session: StoredSession): Promise<void>;
  /** Deletes the whole folder: config, login profile, logs. */
  remove(sessionId: string): Promise<void>;
  /** Removes only the login (LocalAuth profile), keeping the config. */
  removeProfile(sessionId: string): Promise<void>;
  /** Folder LocalAuth puts its profile in. */
  profileParent(sessionId: string): string;
  /** The Chromium --user-data-dir of the session. */
  profileDir(sessionId: string): string;
  /** Makes this process the only one driving the session; throws ConflictError when another live process owns it. */
  claim(sessionId: string): Promise<OwnershipRelease>;
}
