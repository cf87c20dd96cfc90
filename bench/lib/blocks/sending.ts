import { performance } from 'node:perf_hooks';
import { linkSession, pollUntil, type ServerProcess } from '../../../test/e2e/harness.js';
import type { Block } from '../block.js';
import { ratioTarget } from '../figures.js';
import { loggedEvents } from '../server.js';
import { since } from '../stats.js';

interface Outbox {
  /** Every message sent, including those the phone's outbox no longer lists. */
  total: number;
}

/**
 * Messages per second through POST send-text from `clients` clients at once; every message checked on the phone,
 * and in the durable log exactly once, each client's in the order it sent them.
 */
async function sendRate(server: ServerProcess, sessionId: string, clients: number, sends: number): Promise<number> {
  const outbox = async () => (await server.api<Outbox>('GET', `/api/v1/sessions/${sessionId}/sandbox/outbox`)).body.total;
  const before = await outbox();
  const bodyOf = (i: number) => `bench ${clients} ${i}`;
  const sentBy: string[][] = Array.from({ length: clients }, () => []);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    sentBy.map(async (mine) => {
      for (let i = next++; i < sends; i = next++) {
        const sent = await server.api('POST', `/api/v1/sessions/${sessionId}/send-text`, { chatId: '15557770000', content: bodyOf(i) });
        if (sent.status !== 201) throw new Error(`send ${i}: ${sent.status} ${JSON.stringify(sent.body)}`);
        mine.push(bodyOf(i));
      }
    }),
  );
  const seconds = since(start) / 1000;
  await pollUntil(async () => (await outbox()) >= before + sends, { what: `all ${sends} messages on the phone` });
  const logged = (await loggedEvents(server, sessionId))
    .filter((envelope) => envelope.event === 'message.sent')
    .map((envelope) => String(envelope.payload.body))
    .filter((body) => body.startsWith(`bench ${clients} `));
  if (logged.length !== sends || new Set(logged).size !== sends) {
    throw new Error(`the log holds ${logged.length} message.sent (${new Set(logged).size} distinct) of ${sends} sent`);
  }
  for (const [client, mine] of sentBy.entries()) {
    const inLog = logged.filter((body) => mine.includes(body));
    if (inLog.join('\n') !== mine.join('\n')) throw new Error(`client ${client}'s messages are out of order in the log`);
  }
  return sends / seconds;
}

/** send-text throughput with the durable event log and one webhook (to a loopback receiver) on. */
export const sendingBlock: Block = {
  name: 'send-text throughput',
  schedule: 'every-run',
  figures: [
    { id: 'send-1', name: 'send-text, sequential (log + webhook on)', unit: 'msg/s', target: ratioTarget('>=', 2) },
    { id: 'send-4', name: 'send-text, 4 clients (log + webhook on)', unit: 'msg/s', target: ratioTarget('>=', 2) },
  ],
  async measure(context, record) {
    const server = await context.sharedServer();
    const sessionId = `sender-${context.run}`;
    await linkSession(server, sessionId, `1555999${String(context.run).padStart(4, '0')}`, { webhooks: [{ url: context.receiver.url }] });
    record('send-1', await sendRate(server, sessionId, 1, context.options.sends));
    record('send-4', await sendRate(server, sessionId, 4, context.options.sends));
    await server.api('DELETE', `/api/v1/sessions/${sessionId}`);
  },
};
