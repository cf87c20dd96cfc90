import { afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSilentLogger } from '../../src/shared/logger.js';
import { WebhookDispatcher, WEBHOOK_REMOVED_ERROR, type WebhookDispatcherDeps } from '../../src/events/webhooks/webhook-dispatcher.js';
import {
  HEADER_DELIVERY_ID,
  HEADER_EVENT,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  verifySignature,
} from '../../src/events/webhooks/webhook-signature.js';
import type { RetryPolicy, WebhookKey, WebhookTarget } from '../../src/events/webhooks/webhook-types.js';
import { createWebhookPolicy } from '../../src/events/webhooks/webhook-url.js';
import { parseAllowHosts } from '../../src/net/outbound-policy.js';
import type { ResolveAll } from '../../src/net/guarded-connections.js';
import { createGuardedPost, type PostWebhook } from '../../src/events/webhooks/webhook-post.js';
import { InMemoryDeliveryQueue } from '../fakes/in-memory-delivery-queue.js';

/** Tiny delays; a generous per-attempt timeout so a loaded machine does not turn slow answers into retries. */
const POLICY: RetryPolicy = { maxAttempts: 50, baseDelayMs: 20, maxDelayMs: 200, timeoutMs: 2_000 };
/** The receivers listen on loopback, which is refused unless allowed. */
const LOOPBACK_ALLOWED = createWebhookPolicy({ allowHosts: parseAllowHosts('127.0.0.1') });
const BY_DEFAULT = createWebhookPolicy({ allowHosts: [] });

/** A resolver answering from a table (for the guarded fetch); counts its calls. */
function resolverOf(table: Record<string, string[]>): { resolve: ResolveAll; calls: string[] } {
  const calls: string[] = [];
  const resolve: ResolveAll = async (hostname) => {
    calls.push(hostname);
    return (table[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, calls };
}

interface Received {
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
}

type Handler = (request: IncomingMessage, response: ServerResponse, body: string, index: number) => void;

interface Receiver {
  url: string;
  port: number;
  requests: Received[];
  /** TCP connections accepted. */
  connections(): number;
  /** Bodies' "n" field in arrival order. */
  ns(): number[];
  close(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A real HTTP receiver on 127.0.0.1 (port 0 unless given); closed after the test. */
async function startReceiver(handler: Handler = (_req, res) => res.writeHead(200).end('ok'), port = 0): Promise<Receiver> {
  const requests: Received[] = [];
  let connections = 0;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ at: Date.now(), headers: request.headers, body });
      handler(request, response, body, requests.length - 1);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  cleanups.push(close);
  return {
    url: `http://127.0.0.1:${actualPort}/hook`,
    port: actualPort,
    requests,
    connections: () => connections,
    ns: () => requests.map((request) => (JSON.parse(request.body) as { n: number }).n),
    close,
  };
}

/** A port nothing listens on (for now). */
async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function setup(targets: Record<WebhookKey, WebhookTarget>, overrides: Partial<WebhookDispatcherDeps> = {}, queue = new InMemoryDeliveryQueue()) {
  const targetMap = new Map(Object.entries(targets));
  const dispatcher = new WebhookDispatcher('s1', {
    queue,
    targets: () => targetMap,
    policy: POLICY,
    outboundPolicy: LOOPBACK_ALLOWED,
    logger: createSilentLogger(),
    ...overrides,
  });
  cleanups.push(() => dispatcher.close());
  return { queue, dispatcher, targetMap };
}

const delivered = (queue: InMemoryDeliveryQueue, key: WebhookKey) => queue.of(key).every((row) => row.status !== 'pending');

describe('WebhookDispatcher', () => {
  // the first request is slow on a busy machine (undici's lazy parts, JIT): make it before any attempt is timed
  before(async () => {
    const warmup = await startReceiver();
    try {
      await (await createGuardedPost(LOOPBACK_ALLOWED)({ url: warmup.url, headers: {}, body: '{}', signal: new AbortController().signal })).discard();
    } finally {
      await warmup.close(); // an open server would keep the process alive after a failed hook
    }
  });

  it('delivers in order with the documented headers, and no signature without a secret', async () => {
    const receiver = await startReceiver();
    const { queue, dispatcher } = setup({ a: { url: receiver.url } });
    const rows = [1, 2, 3, 4, 5].map(() => queue.add('a', { event: 'message.ack' }));
    dispatcher.notify(['a']);
    await waitFor(() => delivered(queue, 'a'), 'all delivered');

    assert.deepEqual(receiver.ns(), [1, 2, 3, 4, 5]);
    assert.deepEqual(
      queue.rows.map((row) => [row.status, row.attempts, row.lastStatusCode]),
      rows.map(() => ['delivered', 1, 200]),
    );
    const first = receiver.requests[0]!;
    assert.equal(first.body, rows[0]!.body);
    assert.equal(first.headers['content-type'], 'application/json');
    assert.equal(first.headers['user-agent'], 'wamux-webhooks');
    assert.equal(first.headers[HEADER_DELIVERY_ID], rows[0]!.deliveryId);
    assert.equal(first.headers[HEADER_EVENT], 'message.ack');
    assert.match(String(first.headers[HEADER_TIMESTAMP]), /^\d{10}$/);
    assert.ok(Math.abs(Number(first.headers[HEADER_TIMESTAMP]) - Date.now() / 1000) < 10);
    assert.equal(first.headers[HEADER_SIGNATURE], undefined);
    assert.equal(first.headers['x-api-key'], undefined);
  });

  it('signs every delivery so that verifySignature accepts it', async () => {
    const receiver = await startReceiver();
    const secret = 'whsec_0123456789abcdef';
    const { queue, dispatcher } = setup({ a: { url: receiver.url, secret } });
    queue.add('a');
    queue.add('a', { body: '{"n":2,"text":"ünïcode ✓"}' });
    dispatcher.notify();
    await waitFor(() => receiver.requests.length === 2, 'two requests');
    for (const { headers, body } of receiver.requests) {
      const timestamp = String(headers[HEADER_TIMESTAMP]);
      const signature = String(headers[HEADER_SIGNATURE]);
      assert.match(signature, /^sha256=[0-9a-f]{64}$/);
      assert.equal(verifySignature(secret, timestamp, body, signature), true);
      assert.equal(verifySignature('wrong-secret', timestamp, body, signature), false);
      assert.equal(verifySignature(secret, timestamp, body + ' ', signature), false);
    }
  });

  it('rides out a receiver that refuses connections, then delivers everything in order', async () => {
    const port = await freePort();
    const { queue, dispatcher } = setup({ a: { url: `http://127.0.0.1:${port}/hook` } });
    const rows = [1, 2, 3].map(() => queue.add('a'));
    dispatcher.notify(['a']);
    await waitFor(() => queue.callsFor(rows[0]!.deliveryId).length >= 3, 'three refused attempts');
    assert.ok(queue.calls.every((call) => call.op === 'retry' && call.deliveryId === rows[0]!.deliveryId), 'head of line: only the first is tried');
    assert.match(queue.calls[0]!.error!, /ECONNREFUSED/);
    assert.equal(queue.calls[0]!.statusCode, undefined);

    const receiver = await startReceiver(undefined, port);
    await waitFor(() => delivered(queue, 'a'), 'all delivered after the receiver came back');
    assert.deepEqual(receiver.ns(), [1, 2, 3]);
    const [first, second, third] = rows.map((row) => queue.get(row.deliveryId));
    assert.equal(first!.status, 'delivered');
    assert.ok(first!.attempts >= 4, `attempts counted: ${first!.attempts}`);
    assert.equal(first!.attempts, queue.callsFor(first!.deliveryId).length);
    assert.deepEqual([second!.attempts, third!.attempts], [1, 1]);
    // retries back off: each wait is at least half of 20 ms * 2^(attempt-1)
    const retries = queue.callsFor(first!.deliveryId).filter((call) => call.op === 'retry');
    retries.forEach((call) => assert.ok(call.nextAttemptAt! - call.at >= Math.min(200, 20 * 2 ** (call.attempts - 1)) / 2 - 5));
  });

  it('retries 500s until a 200, recording status and body', async () => {
    const receiver = await startReceiver((_req, res, _body, index) => {
      if (index < 2) res.writeHead(500).end('database down\nagain');
      else res.writeHead(204).end();
    });
    const { queue, dispatcher } = setup({ a: { url: receiver.url } });
    const row = queue.add('a');
    dispatcher.notify(['a']);
    await waitFor(() => delivered(queue, 'a'), 'delivered');
    assert.deepEqual(
      queue.calls.map((call) => [call.op, call.attempts, call.statusCode, call.error]),
      [
        ['retry', 1, 500, 'HTTP 500: database down again'],
        ['retry', 2, 500, 'HTTP 500: database down again'],
        ['delivered', 3, 204, undefined],
      ],
    );
    assert.equal(queue.get(row.deliveryId).status, 'delivered');
    assert.equal(receiver.requests.length, 3);
    assert.deepEqual(new Set(receiver.requests.map((request) => request.headers[HEADER_DELIVERY_ID])), new Set([row.deliveryId]));
  });

  it('fails a 404 after one attempt and goes on with the next delivery', async () => {
    const receiver = await startReceiver((_req, res, _body, index) => res.writeHead(index === 0 ? 404 : 200).end());
    const { queue, dispatcher } = setup({ a: { url: receiver.url } });
    const [gone, next] = [queue.add('a'), queue.add('a')];
    dispatcher.notify(['a']);
    await waitFor(() => delivered(queue, 'a'), 'both settled');
    assert.deepEqual(
      [gone, next].map((row) => queue.get(row!.deliveryId)).map((row) => [row.status, row.attempts, row.lastStatusCode, row.lastError]),
      [
        ['failed', 1, 404, 'HTTP 404'],
        ['delivered', 1, 200, undefined],
      ],
    );
    assert.deepEqual(receiver.ns(), [1, 2]);
  });

  it('does not follow redirects: a 302 fails without touching its location', async () => {
    const elsewhere = await startReceiver();
    const receiver = await startReceiver((_req, res) => res.writeHead(302, { location: elsewhere.url }).end());
    const { queue, dispatcher } = setup({ a: { url: receiver.url } });
    const row = queue.add('a');
    dispatcher.notify(['a']);
    await waitFor(() => delivered(queue, 'a'), 'settled');
    const settled = queue.get(row.deliveryId);
    assert.deepEqual([settled.status, settled.attempts, settled.lastStatusCode], ['failed', 1, 302]);
    assert.match(settled.lastError!, /redirects are not followed/);
    assert.equal(elsewhere.requests.length, 0);
  });

  it('honours Retry-After on 429 (bounded by maxDelayMs)', async () => {
    const receiver = await startReceiver((_req, res, _body, index) => {
      if (index === 0) res.writeHead(429, { 'retry-after': '1' }).end('slow down');
      else res.writeHead(200).end();
    });
    const { queue, dispatcher } = setup({ a: { url: receiver.url } }, { random: () => 0 });
    queue.add('a');
    dispatcher.notify(['a']);
    await waitFor(() => delivered(queue, 'a'), 'delivered');
    const [retry, done] = queue.calls;
    assert.equal(retry!.op, 'retry');
    assert.equal(retry!.statusCode, 429);
    // backoff alone would be 10 ms (random 0); Retry-After asks 1 s, capped at maxDelayMs 200 ms
    assert.ok(retry!.nextAttemptAt! - retry!.at >= 195, `waited ${retry!.nextAttemptAt! - retry!.at} ms`);
    assert.ok(retry!.nextAttemptAt! - retry!.at <= 205);
    assert.ok(receiver.requests[1]!.at - receiver.requests[0]!.at >= 190);
    assert.deepEqual([done!.op, done!.attempts], ['delivered', 2]);
  });

  it('times out a hanging receiver per attempt while another webhook delivers promptly', async () => {
    const hanging = await startReceiver(() => {
      /* never answers */
    });
    const fast = await startReceiver();
    const { queue, dispatcher } = setup({ slow: { url: hanging.url }, quick: { url: fast.url } }, { policy: { ...POLICY, maxAttempts: 2, timeoutMs: 500 } });
    const stuck = queue.add('slow');
    const started = Date.now();
    const quick = [queue.add('quick'), queue.add('quick')];
    dispatcher.notify();
    await waitFor(() => delivered(queue, 'quick'), 'the quick webhook delivered');
    assert.deepEqual(queue.callsFor(stuck.deliveryId), [], 'the quick webhook finished before the slow one timed out once');
    assert.deepEqual(
      quick.map((row) => queue.get(row.deliveryId).status),
      ['delivered', 'delivered'],
    );
    assert.equal(queue.get(stuck.deliveryId).status, 'pending');

    await waitFor(() => queue.get(stuck.deliveryId).status === 'failed', 'the hanging one failed after 2 attempts', 3_000);
    const calls = queue.callsFor(stuck.deliveryId);
    assert.deepEqual(
      calls.map((call) => [call.op, call.attempts, call.error]),
      [
        ['retry', 1, 'timed out after 500 ms'],
        ['failed', 2, 'timed out after 500 ms (gave up after 2 attempts)'],
      ],
    );
    assert.ok(calls[0]!.at - started >= 495, `first attempt ended after ${calls[0]!.at - started} ms`);
    assert.equal(hanging.requests.length, 2);
  });

  it('close() aborts in-flight requests and leaves the rows pending', async () => {
    const hanging = await startReceiver(() => {
      /* never answers */
    });
    const { queue, dispatcher } = setup({ a: { url: hanging.url } }, { policy: { ...POLICY, timeoutMs: 10_000 } });
    const rows = [queue.add('a'), queue.add('a')];
    dispatcher.notify(['a']);
    await waitFor(() => hanging.requests.length === 1, 'request in flight');
    const closing = Date.now();
    await dispatcher.close();
    assert.ok(Date.now() - closing < 1_000, `close took ${Date.now() - closing} ms`);
    assert.deepEqual(queue.calls, []);
    assert.deepEqual(
      rows.map((row) => [queue.get(row.deliveryId).status, queue.get(row.deliveryId).attempts]),
      [
        ['pending', 0],
        ['pending', 0],
      ],
    );
    // closed for good: nothing new starts
    dispatcher.notify();
    dispatcher.resume();
    dispatcher.retryNow('a');
    await dispatcher.close();
    assert.equal(hanging.requests.length, 1);
  });

  it('resumes pending rows when created (after a restart) and on resume()', async () => {
    const receiver = await startReceiver();
    const queue = new InMemoryDeliveryQueue();
    const [left, backingOff] = [queue.add('a', { attempts: 2, nextAttemptAt: Date.now() - 60_000 }), queue.add('b', { attempts: 1, nextAttemptAt: Date.now() + 50 })];
    const { dispatcher } = setup({ a: { url: receiver.url }, b: { url: receiver.url } }, {}, queue);
    await waitFor(() => queue.get(left.deliveryId).status === 'delivered' && queue.get(backingOff.deliveryId).status === 'delivered', 'resumed rows delivered');
    assert.equal(queue.get(left.deliveryId).attempts, 3);
    assert.equal(queue.get(backingOff.deliveryId).attempts, 2);

    // rows written without notify() (e.g. by a previous process): resume() picks them up
    const more = [queue.add('a'), queue.add('b')];
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.ok(more.every((row) => queue.get(row.deliveryId).status === 'pending'), 'idle workers do not poll');
    dispatcher.resume();
    dispatcher.resume(); // idempotent
    await waitFor(() => more.every((row) => queue.get(row.deliveryId).status === 'delivered'), 'resumed');
    assert.equal(receiver.requests.length, 4);
  });

  it('retryNow() wakes a worker that is backing off', async () => {
    const receiver = await startReceiver();
    const { queue, dispatcher } = setup({ a: { url: receiver.url } });
    const row = queue.add('a', { attempts: 3, nextAttemptAt: Date.now() + 3_600_000 });
    dispatcher.notify(['a']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(receiver.requests.length, 0, 'not due yet');
    queue.requeue(row.deliveryId);
    dispatcher.retryNow('a');
    await waitFor(() => queue.get(row.deliveryId).status === 'delivered', 'delivered after retryNow', 1_000);
    assert.equal(queue.get(row.deliveryId).attempts, 1);
  });

  it('retryNow() tries the head at once even if the queue left it in the future', async () => {
    const receiver = await startReceiver();
    const { queue, dispatcher } = setup({ a: { url: receiver.url } });
    const row = queue.add('a', { attempts: 3, nextAttemptAt: Date.now() + 3_600_000 });
    dispatcher.retryNow('a');
    await waitFor(() => queue.get(row.deliveryId).status === 'delivered', 'delivered', 1_000);
    assert.equal(queue.get(row.deliveryId).attempts, 4);
  });

  it('fails the pending rows of a webhook that is no longer configured, leaving others alone', async () => {
    const receiver = await startReceiver();
    const { queue, dispatcher, targetMap } = setup({ a: { url: receiver.url } });
    const orphans = [queue.add('gone', { attempts: 2 }), queue.add('gone')];
    const kept = queue.add('a');
    dispatcher.notify();
    await waitFor(() => delivered(queue, 'gone') && delivered(queue, 'a'), 'settled');
    assert.deepEqual(
      orphans.map((row) => queue.get(row.deliveryId)).map((row) => [row.status, row.attempts, row.lastError]),
      [
        ['failed', 2, WEBHOOK_REMOVED_ERROR],
        ['failed', 0, WEBHOOK_REMOVED_ERROR],
      ],
    );
    assert.equal(queue.get(kept.deliveryId).status, 'delivered');

    // removed while backing off: notify() after the change settles it at once
    const backingOff = queue.add('a', { nextAttemptAt: Date.now() + 3_600_000 });
    dispatcher.notify(['a']);
    targetMap.delete('a');
    dispatcher.notify();
    await waitFor(() => queue.get(backingOff.deliveryId).status === 'failed', 'failed as removed', 1_000);
    assert.equal(receiver.requests.length, 1);
  });

  it('refuses (without retrying) a host that resolves to a link-local address, unless allowed', async () => {
    const { resolve, calls } = resolverOf({ 'metadata.example': ['169.254.169.254'] });
    const refused = setup({ m: { url: 'http://metadata.example/latest' } }, { post: createGuardedPost(BY_DEFAULT, { resolve }) });
    const row = refused.queue.add('m');
    refused.dispatcher.notify(['m']);
    await waitFor(() => delivered(refused.queue, 'm'), 'settled');
    assert.equal(refused.queue.get(row.deliveryId).status, 'failed');
    assert.equal(refused.queue.get(row.deliveryId).attempts, 1);
    assert.match(refused.queue.get(row.deliveryId).lastError!, /metadata\.example.*link-local.*169\.254\.169\.254.*--webhook-allow-hosts/);
    assert.deepEqual(calls, ['metadata.example']);

    // a link-local literal is refused as written, before any fetch; --webhook-allow-link-local lets it through
    let fetches = 0;
    const post: PostWebhook = async () => {
      fetches++;
      return { statusCode: 200, header: () => null, snippet: async () => '', discard: async () => {} };
    };
    const literal = { m: { url: 'http://169.254.169.254/latest' } };
    const asWritten = setup(literal, { post, outboundPolicy: BY_DEFAULT });
    const refusedRow = asWritten.queue.add('m');
    asWritten.dispatcher.notify(['m']);
    await waitFor(() => delivered(asWritten.queue, 'm'), 'settled');
    assert.deepEqual([asWritten.queue.get(refusedRow.deliveryId).status, asWritten.queue.get(refusedRow.deliveryId).attempts], ['failed', 1]);
    assert.match(asWritten.queue.get(refusedRow.deliveryId).lastError!, /link-local/);
    assert.equal(fetches, 0);

    const allowed = setup(literal, { post, outboundPolicy: createWebhookPolicy({ allowHosts: [], allowLinkLocal: true }) });
    const ok = allowed.queue.add('m');
    allowed.dispatcher.notify(['m']);
    await waitFor(() => delivered(allowed.queue, 'm'), 'delivered when allowed');
    assert.equal(allowed.queue.get(ok.deliveryId).status, 'delivered');
    assert.equal(fetches, 1);
  });

  it('gives up, without a request, on a name that resolves to a private or loopback address; delivers once it is allowed', async () => {
    const receiver = await startReceiver();
    const { resolve, calls } = resolverOf({ 'hooks.internal': ['10.0.0.5'], 'loop.internal': ['127.0.0.1'] });
    const targets = {
      p: { url: `http://hooks.internal:${receiver.port}/hook` },
      l: { url: `http://loop.internal:${receiver.port}/hook` },
    };
    const refused = setup(targets, { outboundPolicy: BY_DEFAULT, post: createGuardedPost(BY_DEFAULT, { resolve }) });
    const rows = [refused.queue.add('p'), refused.queue.add('l')];
    refused.dispatcher.notify();
    await waitFor(() => delivered(refused.queue, 'p') && delivered(refused.queue, 'l'), 'settled');
    assert.deepEqual(
      rows.map((row) => refused.queue.get(row.deliveryId)).map((row) => [row.status, row.attempts, row.lastStatusCode]),
      [
        ['failed', 1, undefined],
        ['failed', 1, undefined],
      ],
    );
    assert.match(refused.queue.get(rows[0]!.deliveryId).lastError!, /'hooks\.internal' resolves to a private address \(10\.0\.0\.5\)/);
    assert.match(refused.queue.get(rows[1]!.deliveryId).lastError!, /'loop\.internal' resolves to a loopback address \(127\.0\.0\.1\)/);
    assert.deepEqual(calls.sort(), ['hooks.internal', 'loop.internal']);
    assert.deepEqual([receiver.connections(), receiver.requests.length], [0, 0]);

    const policy = createWebhookPolicy({ allowHosts: parseAllowHosts('loop.internal') });
    const allowed = setup({ l: targets.l }, { outboundPolicy: policy, post: createGuardedPost(policy, { resolve }) });
    const row = allowed.queue.add('l');
    allowed.dispatcher.notify(['l']);
    await waitFor(() => delivered(allowed.queue, 'l'), 'delivered when allowed');
    assert.equal(allowed.queue.get(row.deliveryId).status, 'delivered');
    assert.equal(receiver.requests.length, 1);
  });

  it('delivers through the guarded fetch by default, refusing loopback unless allowed', async () => {
    const receiver = await startReceiver();
    const refused = setup({ a: { url: receiver.url.replace('127.0.0.1', 'localhost') } }, { outboundPolicy: BY_DEFAULT });
    const row = refused.queue.add('a');
    refused.dispatcher.notify(['a']);
    await waitFor(() => delivered(refused.queue, 'a'), 'settled');
    assert.deepEqual([refused.queue.get(row.deliveryId).status, refused.queue.get(row.deliveryId).attempts], ['failed', 1]);
    assert.match(refused.queue.get(row.deliveryId).lastError!, /'localhost' resolves to a loopback address/);
    assert.equal(receiver.connections(), 0);

    const allowed = setup({ a: { url: receiver.url.replace('127.0.0.1', 'localhost') } }, {
      outboundPolicy: createWebhookPolicy({ allowHosts: parseAllowHosts('localhost') }),
    });
    const ok = allowed.queue.add('a');
    allowed.dispatcher.notify(['a']);
    await waitFor(() => delivered(allowed.queue, 'a'), 'delivered when allowed');
    assert.equal(allowed.queue.get(ok.deliveryId).status, 'delivered');
    assert.equal(receiver.requests.length, 1);
  });

  it('survives a queue that throws (logs, backs off, delivers at least once)', async () => {
    const receiver = await startReceiver();
    const { queue, dispatcher } = setup({ a: { url: receiver.url } });
    queue.failNextMarks = 1;
    const rows = [queue.add('a'), queue.add('a')];
    dispatcher.notify(['a']);
    await waitFor(() => delivered(queue, 'a'), 'delivered despite the failing mark');
    assert.deepEqual(receiver.ns(), [1, 1, 2]); // the first was sent again: at least once
    assert.ok(rows.every((row) => queue.get(row.deliveryId).status === 'delivered'));
  });

  it('gives up after maxAttempts and moves on', async () => {
    const receiver = await startReceiver((_req, res, body) => res.writeHead((JSON.parse(body) as { n: number }).n === 1 ? 503 : 200).end());
    const { queue, dispatcher } = setup({ a: { url: receiver.url } }, { policy: { ...POLICY, maxAttempts: 3 } });
    const [bad, good] = [queue.add('a'), queue.add('a')];
    dispatcher.notify(['a']);
    await waitFor(() => delivered(queue, 'a'), 'settled');
    assert.deepEqual(
      [queue.get(bad.deliveryId), queue.get(good.deliveryId)].map((row) => [row.status, row.attempts, row.lastError]),
      [
        ['failed', 3, 'HTTP 503 (gave up after 3 attempts)'],
        ['delivered', 1, undefined],
      ],
    );
    assert.deepEqual(receiver.ns(), [1, 1, 1, 2]);
  });
});
