import { killProfileProcesses, processesForProfile, isBrowserForProfile } from './profile-processes.js';
import type { ProcessTable } from './process-table.js';
import { readSingletonLock, removeSingletonFiles, type SingletonLockOwner } from './singleton-lock.js';

export interface ReapResult {
  killedPids: number[];
  staleLockRemoved: boolean;
  /** The PID the SingletonLock named when it was a live browser of this profile on this host (owned or killed). */
  ownerPid?: number;
}

export interface ReapDeps {
  table: ProcessTable;
  /** This machine's hostname as Chromium writes it into the lock (os.hostname()). */
  hostname: string;
  /** true for a browser this server launched and still tracks. */
  isOwned: (pid: number) => boolean;
  deadlineMs?: number;
}

const DEFAULT_DEADLINE_MS = 5_000;

function sameOwner(a: SingletonLockOwner | undefined, b: SingletonLockOwner): boolean {
  return a !== undefined && a.host === b.host && a.pid === b.pid;
}

/**
 * Before a launch and in maintenance: if SingletonLock names a live Chromium on this host whose --user-data-dir is
 * this profile and isOwned(pid) is false, kill it (and its group/children); if the lock names another host or a dead
 * PID (or a PID whose cmdline is not that profile's browser: PIDs get reused, so nothing is killed on the lock's word
 * alone), remove the stale Singleton files. Also kills any other live browser process that names this profile and is
 * not owned (covers a lock already removed).
 */
export async function reapProfile(profileDir: string, deps: ReapDeps): Promise<ReapResult> {
  const { table, hostname, isOwned } = deps;
  const lock = await readSingletonLock(profileDir);

  let ownerPid: number | undefined;
  if (lock && lock.host === hostname) {
    const info = await table.get(lock.pid);
    if (info && isBrowserForProfile(info, profileDir)) ownerPid = lock.pid;
  }

  // Every unowned browser of the profile, the lock's owner included when it is one: the cmdline was checked.
  const killedPids = await killProfileProcesses(table, profileDir, {
    deadlineMs: deps.deadlineMs ?? DEFAULT_DEADLINE_MS,
    spare: isOwned,
  });

  // While an owned browser runs on the profile, the lock is its own business.
  const ownedAlive = (await processesForProfile(table, profileDir)).length > 0;
  let staleLockRemoved = false;
  if (lock && !ownedAlive) {
    // Re-read so that a lock written meanwhile by a launching browser is left alone.
    if (sameOwner(await readSingletonLock(profileDir), lock)) {
      await removeSingletonFiles(profileDir);
      staleLockRemoved = true;
    }
  }
  return ownerPid === undefined ? { killedPids, staleLockRemoved } : { killedPids, staleLockRemoved, ownerPid };
}
