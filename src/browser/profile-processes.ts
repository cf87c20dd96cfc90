import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { TimeoutError } from '../shared/errors.js';
import type { ProcessInfo, ProcessTable } from './process-table.js';

const USER_DATA_DIR = '--user-data-dir';
const CHROMIUM_BINARY = /chrom(e|ium)/i;

/**
 * Chromium rewrites the title of the processes it forks (zygote, renderers, utilities): their cmdline becomes ONE
 * string of space-joined arguments, so a profile path with spaces can no longer be split on spaces. Splitting on
 * " --" keeps every switch value whole (Chromium passes only switches to its children).
 */
export function chromiumArgs(args: readonly string[]): string[] {
  const [first] = args;
  if (args.length !== 1 || first === undefined || !first.includes(' --')) return [...args];
  const [program = '', ...switches] = first.trimEnd().split(' --');
  return [program, ...switches.map((item) => `--${item}`)];
}

/** The profile a Chromium command line uses, resolved; the last occurrence wins, as in Chromium. */
export function userDataDirOf(args: readonly string[]): string | undefined {
  const normalized = chromiumArgs(args);
  let found: string | undefined;
  for (let index = 0; index < normalized.length; index += 1) {
    const arg = normalized[index] ?? '';
    if (arg.startsWith(`${USER_DATA_DIR}=`)) found = arg.slice(USER_DATA_DIR.length + 1);
    else if (arg === USER_DATA_DIR) found = normalized[index + 1];
    else if (arg.startsWith(`${USER_DATA_DIR} `)) found = arg.slice(USER_DATA_DIR.length + 1); // "--user-data-dir X" in a rewritten title
  }
  return found ? path.resolve(found) : undefined;
}

/** A browser's main process; its children carry --type=renderer, --type=zygote... */
export function isMainBrowser(info: ProcessInfo): boolean {
  return !chromiumArgs(info.args).some((arg) => arg.startsWith('--type='));
}

/** The profile a live (not zombie) Chromium/Chrome process, main or child, uses; undefined for any other process. */
export function browserProfileOf(info: ProcessInfo): string | undefined {
  if (info.state === 'Z') return undefined;
  const args = chromiumArgs(info.args);
  const program = args[0];
  if (!program || !CHROMIUM_BINARY.test(path.basename(program))) return undefined;
  return userDataDirOf(args);
}

/** A live (not zombie) Chromium/Chrome process, main or child, whose --user-data-dir is this profile. */
export function isBrowserForProfile(info: ProcessInfo, profileDir: string): boolean {
  return browserProfileOf(info) === path.resolve(profileDir);
}

export async function processesForProfile(table: ProcessTable, profileDir: string): Promise<ProcessInfo[]> {
  return (await table.list()).filter((info) => isBrowserForProfile(info, profileDir));
}

/** PSS of every process of the profile's browser together, in MiB (0 when none runs). */
export async function profileMemoryMib(table: ProcessTable, profileDir: string): Promise<number> {
  const [memory] = await browserMemory(table, [profileDir]);
  return (memory?.pssKib ?? 0) / 1024;
}

/** What one profile's browser holds: its processes (main and children) and their summed memory. */
export interface BrowserMemory {
  processes: number;
  /** Whether the browser's main process is among them. */
  mainAlive: boolean;
  pssKib: number;
  pssAnonKib: number;
}

/** The browser memory of each profile, in the order given, from one read of the process table. */
export async function browserMemory(table: ProcessTable, profileDirs: readonly string[]): Promise<BrowserMemory[]> {
  const wanted = new Map(profileDirs.map((dir) => [path.resolve(dir), { processes: 0, mainAlive: false, pssKib: 0, pssAnonKib: 0 }]));
  for (const info of await table.list()) {
    const profile = browserProfileOf(info);
    const memory = profile === undefined ? undefined : wanted.get(profile);
    if (!memory) continue;
    const used = await table.memoryKib(info.pid);
    if (!used) continue; // exited since the listing
    memory.processes += 1;
    memory.mainAlive ||= isMainBrowser(info);
    memory.pssKib += used.pssKib;
    memory.pssAnonKib += used.pssAnonKib;
  }
  return profileDirs.map((dir) => wanted.get(path.resolve(dir))!);
}

export interface KillProfileOptions {
  deadlineMs: number;
  pollMs?: number;
  /** PIDs to leave alive (an owned browser); their descendants in this profile are spared too. */
  spare?: (pid: number) => boolean;
}

/**
 * The profile's browser processes that are not spared. A child is spared when its chain of parents within this
 * profile reaches a spared PID, so the renderers of an owned browser are never mistaken for orphans.
 */
function targetsAmong(all: ProcessInfo[], profileDir: string, spare: ((pid: number) => boolean) | undefined): ProcessInfo[] {
  const ours = all.filter((info) => isBrowserForProfile(info, profileDir));
  if (!spare) return ours;
  const byPid = new Map(ours.map((info) => [info.pid, info]));
  const isSpared = (info: ProcessInfo): boolean => {
    const seen = new Set<number>();
    for (let current: ProcessInfo | undefined = info; current && !seen.has(current.pid); current = byPid.get(current.ppid)) {
      if (spare(current.pid)) return true;
      seen.add(current.pid);
    }
    return false;
  };
  return ours.filter((info) => !isSpared(info));
}

/**
 * SIGKILLs the profile's browser processes (the group of each main browser that leads its own group, then every
 * remaining process) and polls until none is alive; processes that appear meanwhile are killed too.
 * Resolves with the PIDs it signalled; rejects with TimeoutError when some outlive the deadline.
 */
export async function killProfileProcesses(table: ProcessTable, profileDir: string, options: KillProfileOptions): Promise<number[]> {
  const pollMs = options.pollMs ?? 50;
  const deadline = Date.now() + options.deadlineMs;
  const killed = new Set<number>();
  for (let round = 0; ; round += 1) {
    const targets = targetsAmong(await table.list(), profileDir, options.spare);
    if (targets.length === 0) return [...killed];
    if (round > 0 && Date.now() >= deadline) {
      const survivors = targets.map((info) => `${info.pid} (${info.state})`).join(', ');
      throw new TimeoutError(`Browser processes of ${path.resolve(profileDir)} still alive after ${options.deadlineMs} ms: ${survivors}`);
    }
    for (const info of targets) {
      // Only a browser that leads its own group (puppeteer launches it detached) gets a group kill: a browser
      // started without its own group shares the group of whoever started it, possibly this server.
      if (isMainBrowser(info) && info.pgid === info.pid) table.signalGroup(info.pgid, 'SIGKILL');
    }
    for (const info of targets) {
      table.signal(info.pid, 'SIGKILL');
      killed.add(info.pid);
    }
    await delay(Math.max(0, Math.min(pollMs, deadline - Date.now())));
  }
}
