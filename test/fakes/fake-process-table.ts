import type { ProcessInfo, ProcessMemory, ProcessTable } from '../../src/browser/process-table.js';

export interface SignalRecord {
  kind: 'pid' | 'group';
  target: number;
  signal: NodeJS.Signals;
}

export interface FakeProcessOptions {
  /** Ignores SIGKILL (stands in for a process stuck in the kernel). */
  survivesKill?: boolean;
}

/** An in-memory process table: SIGKILL removes the process (or its whole group); every signal is recorded. */
export class FakeProcessTable implements ProcessTable {
  readonly signals: SignalRecord[] = [];
  private readonly processes = new Map<number, ProcessInfo>();
  private readonly unkillable = new Set<number>();

  /** PSS per pid in KiB, as memoryKib answers it (0 for a process given none); the anonymous part is half of it. */
  readonly pss = new Map<number, number>();

  async memoryKib(pid: number): Promise<ProcessMemory | undefined> {
    if (!this.processes.has(pid)) return undefined;
    const pssKib = this.pss.get(pid) ?? 0;
    return { pssKib, pssAnonKib: pssKib / 2 };
  }

  add(info: ProcessInfo, options: FakeProcessOptions = {}): this {
    this.processes.set(info.pid, { ...info, args: [...info.args] });
    if (options.survivesKill) this.unkillable.add(info.pid);
    return this;
  }

  /** Removes a process as if it exited and was reaped. */
  exit(pid: number): void {
    this.processes.delete(pid);
  }

  has(pid: number): boolean {
    return this.processes.has(pid);
  }

  pids(): number[] {
    return [...this.processes.keys()].sort((a, b) => a - b);
  }

  killedPids(): number[] {
    return this.signals.filter((s) => s.kind === 'pid' && s.signal === 'SIGKILL').map((s) => s.target);
  }

  async list(): Promise<ProcessInfo[]> {
    return [...this.processes.values()].map((info) => ({ ...info, args: [...info.args] }));
  }

  async get(pid: number): Promise<ProcessInfo | undefined> {
    const info = this.processes.get(pid);
    return info ? { ...info, args: [...info.args] } : undefined;
  }

  signal(pid: number, signal: NodeJS.Signals): boolean {
    this.signals.push({ kind: 'pid', target: pid, signal });
    if (!this.processes.has(pid)) return false;
    if (signal === 'SIGKILL') this.kill(pid);
    return true;
  }

  signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
    this.signals.push({ kind: 'group', target: pgid, signal });
    const members = [...this.processes.values()].filter((info) => info.pgid === pgid);
    if (members.length === 0) return false;
    if (signal === 'SIGKILL') for (const info of members) this.kill(info.pid);
    return true;
  }

  private kill(pid: number): void {
    if (!this.unkillable.has(pid)) this.processes.delete(pid);
  }
}
