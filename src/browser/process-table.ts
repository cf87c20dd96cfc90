import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** One letter from /proc/<pid>/stat: R, S, D, Z (zombie), T... */
  state: string;
  /** The command line as the kernel reports it: NUL-separated, or one string when the process rewrote its title. */
  args: string[];
}

/** The port through which the browser code sees and signals OS processes; tests use an in-memory fake. */
export interface ProcessTable {
  list(): Promise<ProcessInfo[]>;
  get(pid: number): Promise<ProcessInfo | undefined>;
  /** false when the process is already gone (ESRCH) */
  signal(pid: number, signal: NodeJS.Signals): boolean;
  /** signals the whole process group -pgid; false when gone */
  signalGroup(pgid: number, signal: NodeJS.Signals): boolean;
  /** The process's memory from /proc/<pid>/smaps_rollup; undefined when the process is gone. */
  memoryKib(pid: number): Promise<ProcessMemory | undefined>;
}

export interface ProcessMemory {
  /** Proportional set size (shared pages split among their users), in KiB. */
  pssKib: number;
  /** The anonymous part of the PSS (heaps, not mapped files), in KiB: what grows when a process leaks. */
  pssAnonKib: number;
}

/** The Pss and Pss_Anon lines of /proc/<pid>/smaps_rollup, in KiB (Pss_Anon is 0 on kernels older than 5.8). */
export function parseSmapsRollup(text: string): ProcessMemory | undefined {
  const pss = /^Pss:\s+(\d+) kB$/m.exec(text);
  if (!pss) return undefined;
  const anon = /^Pss_Anon:\s+(\d+) kB$/m.exec(text);
  return { pssKib: Number(pss[1]), pssAnonKib: anon ? Number(anon[1]) : 0 };
}

/** Parses /proc/<pid>/stat. comm (field 2) may hold spaces and ')' itself, so fields are read after the LAST ')'. */
export function parseProcStat(text: string): Pick<ProcessInfo, 'pid' | 'ppid' | 'pgid' | 'state'> | undefined {
  const open = text.indexOf(' (');
  const close = text.lastIndexOf(')');
  if (open <= 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open));
  const [state, ppid, pgid] = text.slice(close + 2).split(' ');
  const info = { pid, ppid: Number(ppid), pgid: Number(pgid), state: state ?? '' };
  const valid = Number.isInteger(info.pid) && Number.isInteger(info.ppid) && Number.isInteger(info.pgid) && /^[A-Za-z]$/.test(info.state);
  return valid ? info : undefined;
}

/** Splits /proc/<pid>/cmdline; kernel threads and zombies have an empty one. */
export function parseProcCmdline(raw: Buffer): string[] {
  const text = raw.toString('utf8').replace(/\0+$/, '');
  return text === '' ? [] : text.split('\0');
}

function errnoCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

// A process can exit between readdir and read (ENOENT/ESRCH); one we may not read (EACCES) is as good as absent to us.
const VANISHED = new Set(['ENOENT', 'ESRCH', 'EACCES', 'EPERM']);

const LIST_BATCH = 64;

function assertPositivePid(value: number, what: string): void {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${what} must be a positive integer, got ${value}`);
}

/** A zombie has exited and only waits to be reaped: it counts as gone. */
export async function isProcessAlive(table: ProcessTable, pid: number): Promise<boolean> {
  const info = await table.get(pid);
  return info !== undefined && info.state !== 'Z';
}

export class ProcfsProcessTable implements ProcessTable {
  private ownPgid: number | undefined;

  constructor(private readonly procRoot = '/proc') {}

  async list(): Promise<ProcessInfo[]> {
    const entries = await readdir(this.procRoot);
    const pids = entries.filter((name) => /^\d+$/.test(name)).map(Number);
    const found: ProcessInfo[] = [];
    // In batches: hundreds of Chromium processes read all at once could exhaust file descriptors (EMFILE).
    for (let start = 0; start < pids.length; start += LIST_BATCH) {
      const infos = await Promise.all(pids.slice(start, start + LIST_BATCH).map((pid) => this.get(pid)));
      for (const info of infos) if (info) found.push(info);
    }
    return found;
  }

  async get(pid: number): Promise<ProcessInfo | undefined> {
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    try {
      const [stat, cmdline] = await Promise.all([
        readFile(`${this.procRoot}/${pid}/stat`, 'utf8'),
        readFile(`${this.procRoot}/${pid}/cmdline`),
      ]);
      const parsed = parseProcStat(stat);
      if (!parsed || parsed.pid !== pid) return undefined;
      return { ...parsed, args: parseProcCmdline(cmdline) };
    } catch (error) {
      if (VANISHED.has(errnoCode(error) ?? '')) return undefined;
      throw error;
    }
  }

  async memoryKib(pid: number): Promise<ProcessMemory | undefined> {
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    try {
      return parseSmapsRollup(await readFile(`${this.procRoot}/${pid}/smaps_rollup`, 'utf8'));
    } catch (error) {
      if (VANISHED.has(errnoCode(error) ?? '')) return undefined;
      throw error;
    }
  }

  signal(pid: number, signal: NodeJS.Signals): boolean {
    // process.kill(0 or negative) would signal whole groups: never let a bad PID get there.
    assertPositivePid(pid, 'pid');
    return this.kill(pid, signal);
  }

  signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
    assertPositivePid(pgid, 'pgid');
    // -1 means every process we may signal, and our own group would take the server down with the browser.
    if (pgid === 1) throw new RangeError('refusing to signal process group 1');
    if (pgid === this.ownProcessGroup()) throw new RangeError(`refusing to signal this server's own process group ${pgid}`);
    return this.kill(-pgid, signal);
  }

  private kill(target: number, signal: NodeJS.Signals): boolean {
    try {
      process.kill(target, signal);
      return true;
    } catch (error) {
      if (errnoCode(error) === 'ESRCH') return false;
      throw error;
    }
  }

  private ownProcessGroup(): number | undefined {
    if (this.ownPgid === undefined) {
      try {
        this.ownPgid = parseProcStat(readFileSync(`${this.procRoot}/self/stat`, 'utf8'))?.pgid;
      } catch {
        this.ownPgid = undefined;
      }
    }
    return this.ownPgid;
  }
}
