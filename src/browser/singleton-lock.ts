import path from 'node:path';
import { readlink, unlink } from 'node:fs/promises';

/** The files Chromium keeps in a profile while a browser runs on it (all symlinks on Linux). */
export const SINGLETON_FILES = ['SingletonLock', 'SingletonSocket', 'SingletonCookie'] as const;

export interface SingletonLockOwner {
  host: string;
  pid: number;
}

/** SingletonLock points at "<hostname>-<pid>"; hostnames may contain '-', so the PID follows the LAST '-'. */
export function parseSingletonLockTarget(target: string): SingletonLockOwner | undefined {
  const dash = target.lastIndexOf('-');
  if (dash <= 0) return undefined;
  const digits = target.slice(dash + 1);
  if (!/^\d+$/.test(digits)) return undefined;
  const pid = Number(digits);
  return Number.isSafeInteger(pid) && pid > 0 ? { host: target.slice(0, dash), pid } : undefined;
}

function errnoCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** undefined when there is no lock, or it is not a symlink naming "<host>-<pid>". */
export async function readSingletonLock(profileDir: string): Promise<SingletonLockOwner | undefined> {
  let target: string;
  try {
    target = await readlink(path.join(profileDir, 'SingletonLock'));
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'EINVAL' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  return parseSingletonLockTarget(target);
}

/** unlink, not rm: it removes the symlinks themselves and never follows them to their targets. */
export async function removeSingletonFiles(profileDir: string): Promise<void> {
  for (const name of SINGLETON_FILES) {
    try {
      await unlink(path.join(profileDir, name));
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
  }
}
