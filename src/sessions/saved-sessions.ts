import { describeError } from '../shared/errors.js';
import { describeZodError } from '../shared/zod.js';
import type { OwnershipRelease, SessionStore, StoredSession } from '../storage/session-store.js';
import { SessionConfigInputSchema, resolveSessionConfig, type SessionConfig, type SessionConfigDefaults } from './session-config.js';
import type { Session } from './session.js';

export interface SavedSessionsDeps {
  store: SessionStore;
  /** Puts a loaded session (STOPPED) into the registry. */
  add: (sessionId: string, config: SessionConfig, createdAt: string) => Session;
  defaults: SessionConfigDefaults;
}

export interface LoadResult {
  loaded: string[];
  skipped: { sessionId: string; reason: string }[];
}

/**
 * Loads every saved session (STOPPED) this process can own; sessions owned elsewhere are skipped. A session whose
 * saved config cannot be read is listed FAILED with the reason and its files are left as they are.
 */
export async function loadSavedSessions(deps: SavedSessionsDeps): Promise<LoadResult> {
  const result: LoadResult = { loaded: [], skipped: [] };
  for (const sessionId of await deps.store.listIds()) await loadSavedSession(deps, sessionId, result);
  return result;
}

/** Loads one saved session if this process can own it, noting in result whether it was loaded or skipped (and why). */
export async function loadSavedSession(deps: SavedSessionsDeps, sessionId: string, result: LoadResult): Promise<void> {
  let release: OwnershipRelease | undefined;
  try {
    const stored = await deps.store.read(sessionId).then(checkStoredShape, (error: unknown) => new UnreadableConfig(error));
    if (!stored) return;
    release = await deps.store.claim(sessionId);
    if (stored instanceof UnreadableConfig) {
      const session = deps.add(sessionId, resolveSessionConfig({}, deps.defaults), new Date().toISOString());
      session.release = release;
      markUnusable(session, `its saved config could not be read (${stored.reason}); the files are kept as they are`);
    } else {
      const session = deps.add(sessionId, resolveSessionConfig(stored.config, deps.defaults), stored.createdAt);
      session.release = release;
    }
    result.loaded.push(sessionId);
  } catch (error) {
    await release?.();
    result.skipped.push({ sessionId, reason: describeError(error) });
  }
}

/**
 * A loaded session whose files cannot be used (unreadable config or event log): FAILED with the reason, and
 * nothing may start it or write to its folder until it is deleted, so nothing stored is overwritten.
 */
export function markUnusable(session: Session, reason: string): void {
  session.unusableReason = reason;
  if (session.status.status === 'STOPPED') session.status.moveTo('FAILED', reason);
}

/**
 * Ids of the sessions whose saved state says the user wants them running (and that boot did not fail): those to
 * start, and those that were asleep (HIBERNATED) when the server stopped, which are listed asleep, not started.
 */
export async function sessionsWantedRunning(
  store: SessionStore,
  sessions: readonly Session[],
): Promise<{ running: string[]; hibernated: string[] }> {
  const wanted = { running: [] as string[], hibernated: [] as string[] };
  for (const session of sessions) {
    if (session.unusableReason !== undefined || session.status.status !== 'STOPPED') continue;
    const stored = await store.read(session.id).catch(() => undefined);
    if (stored?.desiredState === 'running') wanted.running.push(session.id);
    if (stored?.desiredState === 'hibernated') wanted.hibernated.push(session.id);
  }
  return wanted;
}

/** A saved config that parses as JSON but is not a session's config (hand-edited, cut off) is unreadable too. */
function checkStoredShape(stored: StoredSession | undefined): StoredSession | UnreadableConfig | undefined {
  if (stored === undefined) return undefined;
  const config = SessionConfigInputSchema.safeParse(stored?.config);
  if (typeof stored !== 'object' || stored === null || typeof stored.createdAt !== 'string' || !config.success) {
    return new UnreadableConfig(config.success ? 'createdAt is missing' : `config: ${describeZodError(config.error)}`);
  }
  return stored;
}

/** What a failed read of a saved config leaves, so that boot can list the session instead of dying. */
class UnreadableConfig {
  readonly reason: string;
  constructor(error: unknown) {
    this.reason = describeError(error);
  }
}
