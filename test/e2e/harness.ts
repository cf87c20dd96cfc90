import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcfsProcessTable, isProcessAlive, type ProcessInfo } from '../../src/browser/process-table.js';
import { chromiumArgs, processesForProfile, userDataDirOf } from '../../src/browser/profile-processes.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const processes = new ProcfsProcessTable();

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/** A real wamux server process on a free loopback port, with its own sessions folder. */
export class ServerProcess {
  private output = '';
  private exitCode: number | null | undefined;
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly sessionsDir: string,
    readonly baseUrl: Promise<string>,
    readonly apiKey: string | undefined,
    /** The checkout the server runs from (its dist/main.js, and its working directory). */
    readonly root: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve((this.exitCode = code))));
  }

  /**
   * root: another checkout to run (its built dist/main.js, with its folder as working directory), e.g. an older
   * commit to compare against; this checkout by default.
   */
  static async start(options: { sessionsDir?: string; env?: Record<string, string>; args?: string[]; root?: string } = {}): Promise<ServerProcess> {
    const sessionsDir = options.sessionsDir ?? (await mkdtemp(path.join(os.tmpdir(), 'wamux-e2e-')));
    const root = path.resolve(options.root ?? ROOT);
    const child = spawn(
      process.execPath,
      [path.join(root, 'dist/main.js'), '--port', '0', '--host', '127.0.0.1', '--sessions-dir', sessionsDir, '--sandbox', ...(options.args ?? [])],
      { cwd: root, env: { ...process.env, LOG_LEVEL: 'info', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let announce: (url: string) => void = () => {};
    const baseUrl = new Promise<string>((resolve, reject) => {
      announce = resolve;
      child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening`)));
    });
    const server = new ServerProcess(child, sessionsDir, baseUrl, options.env?.API_KEY, root);
    const onData = (chunk: Buffer) => {
      server.output += chunk.toString();
      const match = /"url":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(server.output);
      if (match) announce(`http://127.0.0.1:${match[1]}`);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    try {
      await withDeadline(baseUrl, 30_000, () => 'server did not start listening');
    } catch (error) {
      await server.cleanup({ keepSessionsDir: options.sessionsDir !== undefined });
      throw new Error(`${(error as Error).message}\n${server.logs()}`);
    }
    return server;
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('server has no pid');
    return this.child.pid;
  }

  logs(): string {
    return this.output.slice(-20_000);
  }

  /** Everything the server printed since it started (logs() keeps only the tail). */
  fullLogs(): string {
    return this.output;
  }

  /** true until the server process has exited. */
  running(): boolean {
    return this.exitCode === undefined;
  }

  profileDir(sessionId: string): string {
    return path.join(this.sessionsDir, sessionId, `session-${sessionId}`);
  }

  async api<T = Record<string, unknown>>(method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const base = await this.baseUrl;
    const response = await fetch(`${base}${route}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.apiKey ? { 'x-api-key': this.apiKey } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const type = response.headers.get('content-type') ?? '';
    const parsed = type.includes('json') ? await response.json() : { raw: Buffer.from(await response.arrayBuffer()) };
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  /** SIGTERM and wait for the exit code (graceful shutdown). */
  async stop(deadlineMs = 30_000): Promise<number | null> {
    if (this.exitCode !== undefined) return this.exitCode;
    this.child.kill('SIGTERM');
    return withDeadline(this.exited, deadlineMs, () => `server did not exit after SIGTERM:\n${this.logs()}`);
  }

  /** SIGKILL: the server dies without cleaning up, as in a crash. */
  async kill(): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Kills the server and every browser left on its sessions folder (found by command line, killed by PID). */
  async cleanup(options: { keepSessionsDir?: boolean } = {}): Promise<void> {
    await this.kill();
    await killBrowsersUnder(this.sessionsDir);
    if (!options.keepSessionsDir) await rm(this.sessionsDir, { recursive: true, force: true });
  }
}

/** Live Chromium processes whose command line names this profile. */
export function browsersOf(profileDir: string): Promise<ProcessInfo[]> {
  return processesForProfile(processes, profileDir);
}

/**
 * A session's Chromium processes: those whose profile lies in the session's folder (whatever the layout inside it,
 * so it holds for any build's server), and every live descendant of those (helpers that name no profile).
 */
export async function sessionProcesses(server: ServerProcess, sessionId: string): Promise<ProcessInfo[]> {
  const folder = path.join(path.resolve(server.sessionsDir), sessionId) + path.sep;
  const all = (await processes.list()).filter((info) => info.state !== 'Z');
  const found = new Map<number, ProcessInfo>();
  for (const info of all) {
    const args = chromiumArgs(info.args);
    const profile = userDataDirOf(args);
    const chromium = /chrom(e|ium)/i.test(path.basename(args[0] ?? ''));
    if (chromium && profile !== undefined && (profile + path.sep).startsWith(folder)) found.set(info.pid, info);
  }
  for (let grown = true; grown; ) {
    grown = false;
    for (const info of all) {
      if (!found.has(info.pid) && found.has(info.ppid)) {
        found.set(info.pid, info);
        grown = true;
      }
    }
  }
  return [...found.values()];
}

/** Every live process whose command line mentions the folder (a test's sessions folder). */
export async function processesUnder(folder: string): Promise<ProcessInfo[]> {
  const all = await processes.list();
  return all.filter((info) => info.state !== 'Z' && info.args.some((arg) => arg.includes(folder)));
}

/** true while the PID is a live process (a zombie counts as gone). */
export function isAlive(pid: number): Promise<boolean> {
  return isProcessAlive(processes, pid);
}

/** Sends a signal by PID; false when the process is already gone. */
export function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  return processes.signal(pid, signal);
}

/** Zombie (<defunct>) processes whose parent is one of these PIDs. */
export async function zombiesOf(parents: ReadonlySet<number>): Promise<ProcessInfo[]> {
  return (await processes.list()).filter((info) => info.state === 'Z' && parents.has(info.ppid));
}

export async function killBrowsersUnder(folder: string): Promise<void> {
  for (const info of await processesUnder(folder)) processes.signal(info.pid, 'SIGKILL');
  await pollUntil(async () => (await processesUnder(folder)).length === 0, { what: `processes under ${folder} to exit`, timeoutMs: 10_000 });
}

export async function pollUntil(check: () => Promise<boolean> | boolean, options: { what: string; timeoutMs?: number; intervalMs?: number }): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

/** Polls a session until its status is the one wanted; fails with the last status and reason otherwise. */
export async function waitForStatus(server: ServerProcess, sessionId: string, status: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> = {};
  try {
    await pollUntil(
      async () => {
        last = (await server.api('GET', `/api/v1/sessions/${sessionId}/status`)).body;
        return last.status === status;
      },
      { what: `${sessionId} to be ${status}`, timeoutMs },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last seen ${JSON.stringify(last)}`);
  }
  return last;
}

function withDeadline<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message())), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Creates a sandbox session, scans its QR code with the given phone and waits until it is WORKING. */
export async function linkSession(server: ServerProcess, sessionId: string, phone: string, config: Record<string, unknown> = {}): Promise<void> {
  const created = await server.api('POST', '/api/v1/sessions', { sessionId, waitForQR: true, config });
  if (created.status !== 201 || created.body.status !== 'SCAN_QR_CODE') {
    throw new Error(`could not create ${sessionId}: ${created.status} ${JSON.stringify(created.body)}`);
  }
  const scan = await server.api('POST', `/api/v1/sessions/${sessionId}/sandbox/scan`, { phone, pushName: `Desk ${sessionId}` });
  if (scan.status !== 200) throw new Error(`could not scan ${sessionId}: ${scan.status} ${JSON.stringify(scan.body)}`);
  await waitForStatus(server, sessionId, 'WORKING');
}

export interface LoggedEvent {
  id: string;
  event: string;
  payload: Record<string, unknown> & { body?: unknown };
}

/** Every event in the session's durable log, oldest first, read a page of 1000 at a time. */
export async function loggedEvents(server: ServerProcess, sessionId: string): Promise<LoggedEvent[]> {
  const events: LoggedEvent[] = [];
  for (;;) {
    const after = events.at(-1)?.id;
    const query = after === undefined ? 'limit=1000' : `limit=1000&after=${after}`;
    const page = (await server.api<{ events: LoggedEvent[] }>('GET', `/api/v1/sessions/${sessionId}/events?${query}`)).body.events;
    events.push(...page);
    if (page.length < 1000) return events;
  }
}
