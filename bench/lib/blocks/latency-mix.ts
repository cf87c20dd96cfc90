import { performance } from 'node:perf_hooks';
import type { ServerProcess } from '../../../test/e2e/harness.js';
import { percentile, since } from '../stats.js';

/** What answers a call: the server from its own state, the session's browser (a page round trip), or a send. */
export type CallClass = 'server' | 'browser' | 'send';

type Call = { kind: string; callClass: CallClass; method: 'GET' | 'POST'; route: string; body?: unknown };

/**
 * One cycle of 20 calls, as a client driving many sessions makes them: mostly cheap reads the server answers itself
 * (list, one session, status, message history from the log), a few that ask the session's browser (chats), and
 * sends, spread over the first five sessions.
 */
const CYCLE: readonly string[] = [
  'status', 'list', 'send', 'session', 'history', 'status', 'chats', 'send', 'status', 'list',
  'session', 'history', 'send', 'status', 'list', 'chats', 'session', 'send', 'history', 'status',
];

function callFor(index: number, ids: readonly string[]): Call {
  const kind = CYCLE[index % CYCLE.length]!;
  const id = ids[index % ids.length]!;
  switch (kind) {
    case 'list':
      return { kind, callClass: 'server', method: 'GET', route: '/api/v1/sessions' };
    case 'session':
      return { kind, callClass: 'server', method: 'GET', route: `/api/v1/sessions/${id}` };
    case 'status':
      return { kind, callClass: 'server', method: 'GET', route: `/api/v1/sessions/${id}/status` };
    case 'history':
      return { kind, callClass: 'server', method: 'GET', route: `/api/v1/sessions/${id}/messages?limit=20` };
    case 'chats':
      return { kind, callClass: 'browser', method: 'GET', route: `/api/v1/sessions/${id}/chats?limit=20` };
    default: {
      const sender = ids[index % Math.min(5, ids.length)]!;
      return { kind, callClass: 'send', method: 'POST', route: `/api/v1/sessions/${sender}/send-text`, body: { chatId: '15557770000', content: `latency ${index}` } };
    }
  }
}

async function timed(server: ServerProcess, call: Call): Promise<number> {
  const start = performance.now();
  const response = await server.api(call.method, call.route, call.body);
  const ms = since(start);
  if (response.status >= 300) throw new Error(`${call.method} ${call.route}: ${response.status} ${JSON.stringify(response.body)}`);
  return ms;
}

export interface LatencyFigures {
  p50: number;
  p99: number;
  requests: number;
  /** p99 of each class of call alone. */
  p99Of: Record<CallClass, number>;
}

/** One unmeasured cycle to warm up, then `requests` calls from `clients` concurrent clients, each timed alone (ms). */
export async function measureLatency(server: ServerProcess, ids: readonly string[], requests: number, clients: number): Promise<LatencyFigures> {
  for (let index = 0; index < CYCLE.length; index++) await timed(server, callFor(index, ids));
  const samples: { callClass: CallClass; ms: number }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let index = next++; index < requests; index = next++) {
        const call = callFor(index, ids);
        samples.push({ callClass: call.callClass, ms: await timed(server, call) });
      }
    }),
  );
  const all = samples.map((sample) => sample.ms);
  const p99 = (callClass: CallClass) => percentile(samples.filter((sample) => sample.callClass === callClass).map((sample) => sample.ms), 99);
  return { p50: percentile(all, 50), p99: percentile(all, 99), requests: all.length, p99Of: { server: p99('server'), browser: p99('browser'), send: p99('send') } };
}
