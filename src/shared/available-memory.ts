import { readFile } from 'node:fs/promises';
import os from 'node:os';

const CGROUP = '/sys/fs/cgroup';
const MIB = 1024 * 1024;

export type ReadText = (file: string) => Promise<string>;

/**
 * Memory still available to this process, MiB: the host's (libuv reads MemAvailable, which counts reclaimable cache
 * as available) and, in a container with a cgroup v2 memory limit, at most that limit less what the container uses
 * besides file cache it can drop. libuv's own cgroup figure (process.availableMemory) counts that cache as used, so
 * a container that writes many files would look full.
 */
export async function availableMemoryMib(readText: ReadText = (file) => readFile(file, 'utf8'), hostFreeBytes = os.freemem()): Promise<number> {
  let available = hostFreeBytes;
  try {
    const limit = (await readText(`${CGROUP}/memory.max`)).trim();
    if (limit !== 'max') {
      const current = Number((await readText(`${CGROUP}/memory.current`)).trim());
      const inactiveFile = Number(/^inactive_file (\d+)$/m.exec(await readText(`${CGROUP}/memory.stat`))?.[1] ?? 0);
      const inContainer = Number(limit) - (current - inactiveFile);
      if (Number.isFinite(inContainer)) available = Math.min(available, inContainer);
    }
  } catch {
    // no cgroup v2 memory files (cgroup v1, not Linux): the host's figure
  }
  return Math.max(0, available) / MIB;
}
