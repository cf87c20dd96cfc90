import { constants } from 'node:fs';
import { access, statfs } from 'node:fs/promises';
import { describeError } from '../shared/errors.js';

/**
 * Why the sessions folder cannot take writes now: not writable (a read-only mount, wrong owner), or less free space
 * than minFreeMib (SQLite and Chromium fail in odd ways on a full disk). Empty when it can.
 */
export async function storageProblems(folder: string, minFreeMib: number): Promise<string[]> {
  try {
    await access(folder, constants.W_OK);
  } catch (error) {
    return [`the sessions folder is not writable: ${describeError(error)}`];
  }
  try {
    const disk = await statfs(folder);
    // bavail: what an unprivileged writer may still use
    const freeMib = (disk.bavail * disk.bsize) / (1024 * 1024);
    if (freeMib < minFreeMib) return [`the disk of the sessions folder is nearly full: ${Math.floor(freeMib)} MiB free, under ${minFreeMib} MiB`];
  } catch (error) {
    return [`the free space of the sessions folder cannot be read: ${describeError(error)}`];
  }
  return [];
}
