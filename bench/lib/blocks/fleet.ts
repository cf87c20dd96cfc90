import { linkSession, sessionProcesses, type ServerProcess } from '../../../test/e2e/harness.js';
import type { Block } from '../block.js';
import { absoluteTarget, ratioTarget, type FigureSpec } from '../figures.js';
import type { BenchOptions } from '../options.js';
import { memoryOf, settle, type Memory } from '../server.js';
import { measureLatency } from './latency-mix.js';

const memoryFigures = (count: number): FigureSpec[] => [
  { id: `mem-${count}-anon`, name: `${count} WORKING: anonymous PSS per session`, unit: 'MiB', target: ratioTarget('<=', 0.6) },
  { id: `mem-${count}-pss`, name: `${count} WORKING: PSS per session`, unit: 'MiB' },
  { id: `mem-${count}-rss`, name: `${count} WORKING: RSS per session`, unit: 'MiB' },
  { id: `mem-${count}-procs`, name: `${count} WORKING: Chromium processes per session`, unit: 'processes', target: absoluteTarget('<=', 5) },
  { id: `mem-${count}-total`, name: `${count} WORKING: total PSS, server included`, unit: 'MiB', ...(count === 5 ? { target: ratioTarget('<=', 0.6) } : {}) },
];

const latencyFigures = (options: BenchOptions): FigureSpec[] => {
  const mix = `${options.latencyRequests} requests, ${options.latencyClients} clients`;
  return [
    { id: 'latency-p50', name: `${options.latencySessions} WORKING: API latency p50 (${mix})`, unit: 'ms' },
    { id: 'latency-p99', name: `${options.latencySessions} WORKING: API latency p99 (${mix})`, unit: 'ms', target: absoluteTarget('<', 100) },
    { id: 'latency-p99-server', name: `… p99 of reads the server answers (list, session, status, history)`, unit: 'ms' },
    { id: 'latency-p99-browser', name: `… p99 of reads that ask the browser (chats)`, unit: 'ms' },
    { id: 'latency-p99-send', name: `… p99 of send-text (to 5 of the sessions)`, unit: 'ms' },
  ];
};

/** Memory of the linked sessions' browsers (each session's process tree) and of the server, in MiB. */
async function fleetMemory(server: ServerProcess, ids: readonly string[]): Promise<{ perSession: Memory; processes: number; total: Memory }> {
  const sum: Memory = { pss: 0, anonPss: 0, rss: 0 };
  let processes = 0;
  for (const sessionId of ids) {
    const pids = (await sessionProcesses(server, sessionId)).map((info) => info.pid);
    if (pids.length === 0) throw new Error(`${sessionId} has no browser processes`);
    processes += pids.length;
    const memory = await memoryOf(pids);
    sum.pss += memory.pss;
    sum.anonPss += memory.anonPss;
    sum.rss += memory.rss;
  }
  const own = await memoryOf([server.pid]);
  const count = ids.length;
  return {
    perSession: { pss: sum.pss / count, anonPss: sum.anonPss / count, rss: sum.rss / count },
    processes: processes / count,
    total: { pss: sum.pss + own.pss, anonPss: sum.anonPss + own.anonPss, rss: sum.rss + own.rss },
  };
}

/**
 * Links sessions one by one on a server of its own and, as the fleet grows through the sizes asked for, reads its
 * memory (after the documented settle wait: a settled page, not one still loading) and, at the latency size, times a
 * mix of API calls. So the largest fleet is linked once per build, and the memory figures of the smaller sizes come
 * from the same sessions. Too slow to repeat: it runs once per build.
 */
export function fleetBlock(options: BenchOptions): Block {
  const memorySizes = options.memorySessions;
  const latencySize = options.latencySessions;
  const largest = Math.max(0, latencySize, ...memorySizes);
  return {
    name: `fleet of ${largest}: memory at ${memorySizes.join(', ')}${latencySize ? `, API latency at ${latencySize}` : ''}`,
    schedule: 'once',
    figures: [...memorySizes.flatMap(memoryFigures), ...(latencySize ? latencyFigures(options) : [])],
    async measure(context, record) {
      const { server, dispose } = await context.ownServer();
      const ids: string[] = [];
      for (let count = 1; count <= largest; count++) {
        const sessionId = `fleet-${count}`;
        await linkSession(server, sessionId, `1555111${String(count).padStart(4, '0')}`);
        ids.push(sessionId);
        if (memorySizes.includes(count)) {
          await settle(5_000);
          const memory = await fleetMemory(server, ids);
          record(`mem-${count}-anon`, memory.perSession.anonPss);
          record(`mem-${count}-pss`, memory.perSession.pss);
          record(`mem-${count}-rss`, memory.perSession.rss);
          record(`mem-${count}-procs`, memory.processes);
          record(`mem-${count}-total`, memory.total.pss);
          context.progress(`${count} WORKING: ${memory.perSession.anonPss.toFixed(0)} MiB anonymous PSS per session`);
        }
        if (count === latencySize) {
          const latency = await measureLatency(server, ids, options.latencyRequests, options.latencyClients);
          record('latency-p50', latency.p50);
          record('latency-p99', latency.p99);
          record('latency-p99-server', latency.p99Of.server);
          record('latency-p99-browser', latency.p99Of.browser);
          record('latency-p99-send', latency.p99Of.send);
        }
      }
      await dispose();
    },
  };
}
