import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { ServerProcess, linkSession, pollUntil, waitForStatus } from './harness.js';
import { WebhookReceiver, type ReceivedDelivery } from './receiver.js';

const SECRET = 'receiver-secret-1';
const API_KEY = 'events-test-key-1';
/** Fast retries so outages of seconds are ridden out within the test's time. */
const WEBHOOK_ENV = {
  API_KEY,
  WEBHOOK_BASE_DELAY_MS: '250',
  WEBHOOK_MAX_DELAY_MS: '2000',
  WEBHOOK_TIMEOUT_MS: '1000',
  WEBHOOK_MAX_ATTEMPTS: '40',
  // the receivers run on this machine: loopback is refused unless allowed
  WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
};

interface Delivery {
  deliveryId: string;
  url: string;
  event: string;
  status: string;
  attempts: number;
  lastStatusCode?: number;
}

function validSignature(delivery: ReceivedDelivery): boolean {
  const expected = `sha256=${createHmac('sha256', SECRET).update(`${delivery.timestamp}.${delivery.body}`).digest('hex')}`;
  return delivery.signature === expected;
}

/** The envelopes of one event type, in the order they first arrived, each once. */
function firstArrivals(deliveries: ReceivedDelivery[], event: string): ReceivedDelivery[] {
  const seen = new Set<string>();
  return deliveries.filter((delivery) => delivery.event === event && !seen.has(delivery.envelope.id) && seen.add(delivery.envelope.id));
}

async function incoming(server: ServerProcess, sessionId: string, from: string, body: string): Promise<void> {
  const response = await server.api('POST', `/api/v1/sessions/${sessionId}/sandbox/incoming`, { from, body });
  assert.equal(response.status, 201, JSON.stringify(response.body));
}

async function setWebhooks(server: ServerProcess, sessionId: string, webhooks: unknown[]): Promise<void> {
  const response = await server.api('PUT', `/api/v1/sessions/${sessionId}/webhooks`, webhooks);
  assert.equal(response.status, 200, JSON.stringify(response.body));
}

describe('events, webhooks and the live stream (real server, Chromium, sandbox, receivers on loopback)', () => {
  let server: ServerProcess;
  const receivers: WebhookReceiver[] = [];
  const receiver = async () => {
    const started = await WebhookReceiver.start();
    receivers.push(started);
    return started;
  };

  before(async () => {
    server = await ServerProcess.start({ env: WEBHOOK_ENV });
  });
  after(async () => {
    await server?.cleanup();
    for (const started of receivers) await started.down();
  });

  test('1. every incoming and sent message arrives once, signed, in order', async () => {
    const hook = await receiver();
    await linkSession(server, 'ev1', '15550000101');
    await setWebhooks(server, 'ev1', [{ url: hook.url, secret: SECRET, events: ['message', 'message.sent'] }]);
    const secretShown = await server.api('GET', '/api/v1/sessions/ev1/webhooks');
    assert.doesNotMatch(JSON.stringify(secretShown.body), new RegExp(SECRET));
    for (let i = 1; i <= 5; i++) {
      await incoming(server, 'ev1', '15557770001', `in ${i}`);
      const sent = await server.api('POST', '/api/v1/sessions/ev1/send-text', { chatId: '15557770001', content: `out ${i}` });
      assert.equal(sent.status, 201);
    }
    await pollUntil(() => hook.of('message').length >= 5 && hook.of('message.sent').length >= 5, { what: '10 deliveries' });
    const incomingBodies = hook.of('message').map((delivery) => delivery.envelope.payload.body);
    const sentBodies = hook.of('message.sent').map((delivery) => delivery.envelope.payload.body);
    assert.deepEqual(incomingBodies, ['in 1', 'in 2', 'in 3', 'in 4', 'in 5']);
    assert.deepEqual(sentBodies, ['out 1', 'out 2', 'out 3', 'out 4', 'out 5']);
    assert.equal(new Set(hook.received.map((delivery) => delivery.deliveryId)).size, hook.received.length, 'each delivered once');
    assert.ok(hook.received.every(validSignature), 'every delivery carries a valid signature');
    const ids = hook.received.map((delivery) => delivery.envelope.id);
    assert.deepEqual(ids, [...ids].sort(), 'in the order they happened');
    assert.ok(hook.received.every((delivery) => !delivery.body.includes(API_KEY)), 'the API key never leaves in a webhook');
  });

  test('2. a receiver down for 30 s (refused, then 500s) while 50 messages arrive gets all 50, in order', async () => {
    const hook = await receiver();
    await linkSession(server, 'ev2', '15550000102');
    await setWebhooks(server, 'ev2', [{ url: hook.url, secret: SECRET, events: ['message'] }]);
    await hook.down();
    const downSince = Date.now();
    for (let i = 1; i <= 50; i++) await incoming(server, 'ev2', '15557770002', `burst ${i}`);
    await pollUntil(() => Date.now() - downSince > 15_000, { what: '15 s of connection refused', timeoutMs: 20_000, intervalMs: 500 });
    hook.mode = 500;
    await hook.listen();
    await pollUntil(() => hook.received.length > 0 && Date.now() - downSince > 30_000, { what: '15 s of 500s', timeoutMs: 25_000, intervalMs: 500 });
    hook.mode = 200;
    await pollUntil(() => firstArrivals(hook.received.filter((d) => d.answeredWith === 200), 'message').length === 50, {
      what: 'all 50 delivered after the receiver came back',
      timeoutMs: 60_000,
    });
    const delivered = hook.received.filter((delivery) => delivery.answeredWith === 200);
    assert.deepEqual(
      delivered.map((delivery) => delivery.envelope.payload.body),
      Array.from({ length: 50 }, (_, i) => `burst ${i + 1}`),
      'each delivered once, in order',
    );
    const envelopeOf = new Map<string, string>();
    for (const delivery of hook.received) {
      const known = envelopeOf.get(delivery.deliveryId);
      assert.ok(known === undefined || known === delivery.envelope.id, 'a repeat is only ever a retry of the same delivery');
      envelopeOf.set(delivery.deliveryId, delivery.envelope.id);
    }
    const deliveries = await server.api<{ deliveries: Delivery[] }>('GET', '/api/v1/sessions/ev2/webhooks/deliveries?limit=100');
    assert.ok(deliveries.body.deliveries.every((delivery) => delivery.status === 'delivered'));
    assert.ok(deliveries.body.deliveries.some((delivery) => delivery.attempts > 1));
  });

  test('3. a receiver that never answers does not hold up another one', async () => {
    const hanging = await receiver();
    const healthy = await receiver();
    hanging.mode = 'hang';
    await linkSession(server, 'ev3', '15550000103');
    await setWebhooks(server, 'ev3', [
      { url: hanging.url, events: ['message'] },
      { url: healthy.url, events: ['message'] },
    ]);
    const started = Date.now();
    for (let i = 1; i <= 5; i++) await incoming(server, 'ev3', '15557770003', `prompt ${i}`);
    await pollUntil(() => healthy.of('message').length === 5, { what: 'the healthy receiver to get all 5', timeoutMs: 10_000 });
    const tookMs = Date.now() - started;
    assert.ok(hanging.received.length >= 1, 'the hanging receiver was tried');
    assert.ok(firstArrivals(hanging.received, 'message').length <= 2, 'its queue is stuck behind the first delivery, as it should be');
    console.log(`events 3: healthy receiver got 5 events in ${tookMs} ms while the other hung`);
  });

  test('6. the live stream refuses a missing or wrong key and streams events to a right one', async () => {
    const base = await server.baseUrl;
    assert.equal((await fetch(`${base}/api/v1/events/stream?session=ev1`)).status, 401);
    assert.equal((await fetch(`${base}/api/v1/events/stream?session=ev1&apiKey=wrong-key-123`)).status, 401);
    const controller = new AbortController();
    const response = await fetch(`${base}/api/v1/events/stream?session=ev1&events=message&apiKey=${API_KEY}`, { signal: controller.signal });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = response.body!.getReader();
    let text = '';
    const readUntil = async (pattern: RegExp) => {
      const deadline = Date.now() + 15_000;
      while (!pattern.test(text)) {
        if (Date.now() > deadline) throw new Error(`stream never showed ${pattern}; got ${text}`);
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += Buffer.from(value).toString();
      }
    };
    await readUntil(/: connected/);
    await incoming(server, 'ev1', '15557770006', 'live one');
    await readUntil(/"body":"live one"/);
    const frame = text.split('\n\n').find((chunk) => chunk.includes('live one'))!;
    assert.match(frame, /^id: evt_/m);
    assert.match(frame, /^event: message$/m);
    controller.abort();
  });

  test('7. a webhook answering 404 is not retried; one answering 429 is', async () => {
    const notFound = await receiver();
    const busy = await receiver();
    notFound.mode = 404;
    busy.mode = 429;
    await linkSession(server, 'ev7', '15550000107');
    await setWebhooks(server, 'ev7', [
      { url: notFound.url, events: ['message'] },
      { url: busy.url, events: ['message'] },
    ]);
    await incoming(server, 'ev7', '15557770007', 'status codes');
    await pollUntil(() => busy.received.length >= 2, { what: 'the 429 receiver to be tried again' });
    busy.mode = 200;
    const deliveriesOf = async () => (await server.api<{ deliveries: Delivery[] }>('GET', '/api/v1/sessions/ev7/webhooks/deliveries')).body.deliveries;
    await pollUntil(async () => (await deliveriesOf()).some((d) => d.url === busy.url && d.status === 'delivered'), { what: '429 receiver delivered' });
    const deliveries = await deliveriesOf();
    const to404 = deliveries.find((delivery) => delivery.url === notFound.url)!;
    assert.equal(to404.status, 'failed');
    assert.equal(to404.attempts, 1);
    assert.equal(to404.lastStatusCode, 404);
    assert.equal(notFound.received.length, 1, 'never retried');
    const to429 = deliveries.find((delivery) => delivery.url === busy.url)!;
    assert.ok(to429.attempts >= 2);
    const retried = await server.api('POST', `/api/v1/sessions/ev7/webhooks/deliveries/${to404.deliveryId}/retry`);
    assert.equal(retried.status, 202);
    await pollUntil(() => notFound.received.length === 2, { what: 'a manual retry to redeliver' });
  });

  test('webhook URLs are validated: link-local (cloud metadata) is refused', async () => {
    const response = await server.api('PUT', '/api/v1/sessions/ev1/webhooks', [{ url: 'http://169.254.169.254/latest/meta-data' }]);
    assert.equal(response.status, 400);
    const notArray = await server.api('PUT', '/api/v1/sessions/ev1/webhooks', { url: 'http://127.0.0.1:1/x' });
    assert.equal(notArray.status, 400);
  });
});

describe('events survive a SIGKILL of the server', () => {
  let server: ServerProcess;
  let hook: WebhookReceiver;
  after(async () => {
    await server?.cleanup();
    await hook?.down();
  });

  test('4 + 5. pending deliveries go out after a restart, and message history still lists what came before', async () => {
    hook = await WebhookReceiver.start();
    hook.mode = 500;
    server = await ServerProcess.start({ env: WEBHOOK_ENV });
    await linkSession(server, 'dur', '15550000104');
    await setWebhooks(server, 'dur', [{ url: hook.url, secret: SECRET, events: ['message'] }]);
    for (let i = 1; i <= 3; i++) await incoming(server, 'dur', '15557770004', `before crash ${i}`);
    await pollUntil(() => hook.received.length >= 3, { what: 'first failing attempts' });
    const sessionsDir = server.sessionsDir;
    await server.kill();
    await server.cleanup({ keepSessionsDir: true });
    hook.mode = 200;
    server = await ServerProcess.start({ env: WEBHOOK_ENV, sessionsDir });
    await pollUntil(() => firstArrivals(hook.received.filter((d) => d.answeredWith === 200), 'message').length === 3, {
      what: 'the 3 pending deliveries after the restart',
    });
    assert.deepEqual(
      hook.received.filter((d) => d.answeredWith === 200).map((d) => d.envelope.payload.body),
      ['before crash 1', 'before crash 2', 'before crash 3'],
    );
    assert.ok(hook.received.every(validSignature));
    await waitForStatus(server, 'dur', 'WORKING');
    const history = await server.api<{ messages: { body: string; fromMe: boolean }[] }>('GET', '/api/v1/sessions/dur/messages?chatId=15557770004');
    assert.deepEqual(
      history.body.messages.map((message) => message.body),
      ['before crash 3', 'before crash 2', 'before crash 1'],
    );
  });
});
