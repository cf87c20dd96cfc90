/** Servers of a build for the bench, and what the blocks read from them: statuses, processes, memory. */
import { readFile } from 'node:fs/promises';
import { ServerProcess, pollUntil, sessionProcesses } from '../../test/e2e/harness.js';
import type { ProcessInfo } from '../../src/browser/process-table.js';
import { isMainBrowser } from '../../src/browser/profile-processes.js';
import type { Build } from './builds.js';
import { onExit } from './cleanup.js';
import { since } from './stats.js';

/** No rate limit in the way of the throughput figures, room for the fleet, webhooks to the loopback receiver. */
export const SERVER_ENV = { RATE_LIMIT_MAX: '1000000', MAX_SESSIONS: '1000', WEBHOOK_ALLOW_HOSTS: '127.0.0.1' };

export interface BenchServer {
  server: ServerProcess;
  /** Kills the server and its browsers (by PID) and removes its sessions folder; runs at exit otherwise. */
  dispose: () => Promise<void>;
}

export async function startServer(build: Build): Promise<BenchServer> {
  const server = await ServerProcess.start({ env: SERVER_ENV, root: build.root });
  const dispose = onExit(`stopping the ${build.label} server ${server.pid}`, () => server.cleanup());
  return { server, dispose };
}

interface StatusBody {
  status?: string;
  history?: { to: string; at: string }[];
}

/** Polls the status every 10 ms (the resolution of the times measured with it) until it is the one wanted. */
export async function timeUntilStatus(server: ServerProcess, sessionId: string, status: string, start: number, timeoutMs = 60_000): Promise<number> {
  await pollUntil(async () => (await server.api<StatusBody>('GET', `/api/v1/sessions/${sessionId}/status`)).body.status === status, {
    what: `${sessionId} ${status}`,
    intervalMs: 10,
    timeoutMs,
  });
  return since(start);
}

/**
 * Time from start until the session is WORKING through a change made after `after` (epoch ms): a session that is
 * still WORKING because the server has not yet noticed a crash does not count.
 */
export async function timeUntilWorkingAgain(server: ServerProcess, sessionId: string, after: number, start: number, timeoutMs = 120_000): Promise<number> {
  let last: StatusBody = {};
  try {
    await pollUntil(
      async () => {
        last = (await server.api<StatusBody>('GET', `/api/v1/sessions/${sessionId}/status`)).body;
        return last.status === 'WORKING' && (last.history ?? []).some((change) => change.to === 'WORKING' && Date.parse(change.at) >= after);
      },
      { what: `${sessionId} WORKING again`, intervalMs: 10, timeoutMs },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last seen ${JSON.stringify(last)}`);
  }
  return since(start);
}

/** The session's main browser process (the one without --type=), found by its profile; never by name. */
export async function mainBrowserOf(server: ServerProcess, sessionId: string): Promise<ProcessInfo> {
  const mains = (await sessionProcesses(server, sessionId)).filter(isMainBrowser);
  if (mains.length !== 1) throw new Error(`${sessionId}: expected one main browser process, found ${mains.map((info) => info.pid).join(', ') || 'none'}`);
  return mains[0]!;
}

export interface Memory {
  pss: number;
  anonPss: number;
  rss: number;
}

/** Sums /proc/<pid>/smaps_rollup over the processes, in MiB; a process gone meanwhile counts nothing. */
export async function memoryOf(pids: readonly number[]): Promise<Memory> {
  const total: Memory = { pss: 0, anonPss: 0, rss: 0 };
  for (const pid of pids) {
    const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) / 1024;
    total.pss += field('Pss');
    total.anonPss += field('Pss_Anon');
    total.rss += field('Rss');
  }
  return total;
}

/** Settle waits are the documented exceptions to polling: nothing observable says a page is done settling. */
export const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export { loggedEvents, type LoggedEvent } from '../../test/e2e/harness.js';
