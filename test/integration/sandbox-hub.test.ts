/**
 * The sandbox, driven the way a user would drive it: the real whatsapp-web.js Client in a real headless
 * Debian Chromium logs into the hub's fake web.whatsapp.com, sends, receives, restarts and gets unlinked.
 * Run: PUPPETEER_SKIP_DOWNLOAD=1 node --import tsx --test test/integration/sandbox-hub.test.ts
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import wwebjs from 'whatsapp-web.js';
import { BASE_CHROMIUM_ARGS, DEBIAN_CHROMIUM } from '../../src/browser/chromium.js';
import { AppError, ConflictError, InvalidInputError, describeError } from '../../src/shared/errors.js';
import { createSilentLogger } from '../../src/shared/logger.js';
import { SandboxHub } from '../../src/sandbox/sandbox-hub.js';

const { Client, LocalAuth } = wwebjs;
type WaClient = InstanceType<typeof Client>;

const EVENT_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT = { timeout: 120_000 };

// A destroy() while initialize() runs rejects inside whatsapp-web.js with nobody listening: log, keep going.
process.on('unhandledRejection', (reason) => {
  console.error('[sandbox-hub.test] unhandled rejection:', describeError(reason));
});

const running = new Map<WaClient, { pid?: number }>();
const browserPids = new Set<number>();
let hub: SandboxHub;
let dataPath: string;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}

async function poll<T>(what: string, check: () => T | undefined | false, timeoutMs = EVENT_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Resolves with the arguments of the next `event` (that passes `accept`), rejects after the deadline. */
function nextEvent<T extends unknown[]>(
  client: WaClient,
  event: string,
  accept: (...args: T) => boolean = () => true,
  timeoutMs = EVENT_TIMEOUT_MS,
): Promise<T> {
  const emitter: EventEmitter = client;
  return new Promise<T>((resolve, reject) => {
    const listener = (...args: unknown[]): void => {
      if (!accept(...(args as T))) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args as T);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no '${event}' within ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.on(event, listener);
  });
}

/** Creates and initializes a real client on the LocalAuth profile of `sessionId`; tracks its browser PID. */
async function launch(sessionId: string, qrIntervalMs: number): Promise<{ client: WaClient; qrs: string[]; startedAt: number }> {
  const { chromiumArgs } = await hub.endpointFor(sessionId, { qrIntervalMs });
  const client = new Client({
    authStrategy: new LocalAuth({ clientId: sessionId, dataPath }),
    puppeteer: { executablePath: DEBIAN_CHROMIUM, headless: true, args: [...BASE_CHROMIUM_ARGS, ...chromiumArgs] },
    webVersionCache: { type: 'none' },
  });
  const entry: { pid?: number } = {};
  running.set(client, entry);
  const qrs: string[] = [];
  client.on('qr', (qr: string) => qrs.push(qr));
  const startedAt = Date.now();
  client.initialize().catch((error: unknown) => console.error(`[${sessionId}] initialize failed:`, describeError(error)));
  entry.pid = await poll(`the browser of ${sessionId}`, () => client.pupBrowser?.process()?.pid);
  browserPids.add(entry.pid);
  return { client, qrs, startedAt };
}

/** Closes a client and makes sure its Chromium is gone. */
async function stop(client: WaClient): Promise<void> {
  const entry = running.get(client);
  running.delete(client);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.destroy().catch(() => undefined),
    new Promise((resolve) => (timer = setTimeout(resolve, 10_000))),
  ]);
  clearTimeout(timer);
  if (entry?.pid !== undefined) {
    const pid = entry.pid;
    await poll(`browser ${pid} to exit`, () => !isAlive(pid), 5_000).catch(() => killGroup(pid));
  }
}

function assertAppError(error: unknown, type: new (...args: never[]) => AppError, code: string): true {
  assert.ok(error instanceof type, `expected ${type.name}, got ${describeError(error)}`);
  assert.equal(error.code, code);
  return true;
}

describe('sandbox hub with the real whatsapp-web.js client', () => {
  before(async () => {
    dataPath = await mkdtemp(path.join(os.tmpdir(), 'wamux-sandbox-test-'));
    hub = await SandboxHub.create({ logger: createSilentLogger() });
  });

  after(async () => {
    for (const client of [...running.keys()]) await stop(client).catch(() => undefined);
    for (const pid of browserPids) killGroup(pid);
    await hub?.close();
    if (dataPath) await rm(dataPath, { recursive: true, force: true });
  });

  let alice: WaClient;
  const ALICE = 'alice';
  const BOB = 'bob';

  test('shows a QR, the phone scans it, the client becomes ready as that account', TEST_TIMEOUT, async (t) => {
    const started = await launch(ALICE, 60_000);
    alice = started.client;
    const ready = nextEvent(alice, 'ready');
    const [qr] = await nextEvent<[string]>(alice, 'qr', (value) => typeof value === 'string');
    const qrAt = Date.now();
    assert.match(qr, /^2@[^,]+,[^,]+,[^,]+,[^,]+,WEB$/);
    await assert.rejects(hub.incoming(ALICE, { from: '15550001111', body: 'too early' }), (error) =>
      assertAppError(error, ConflictError, 'SANDBOX_NOT_LINKED'),
    );

    const account = await hub.scan(ALICE, {});
    assert.equal(account.pushName, 'Sandbox alice');
    assert.match(account.phone, /^\d{11}$/);
    assert.deepEqual(await hub.scan(BOB, {}).catch((error: unknown) => error instanceof ConflictError && error.code), 'SANDBOX_NO_QR');
    await ready;
    t.diagnostic(`initialize -> qr ${qrAt - started.startedAt} ms, scan -> ready ${Date.now() - qrAt} ms`);

    assert.equal(alice.info.wid._serialized, `${account.phone}@c.us`);
    assert.equal(alice.info.pushname, account.pushName);
    assert.deepEqual(hub.account(ALICE), account);
    assert.equal(await alice.getState(), 'CONNECTED');
    await assert.rejects(hub.scan(ALICE, {}), (error) => assertAppError(error, ConflictError, 'SANDBOX_NO_QR'));
  });

  test('the QR rotates at the asked interval and a chosen account links', TEST_TIMEOUT, async () => {
    const { client: bob, qrs } = await launch(BOB, 1_000);
    await poll('two different QR codes', () => new Set(qrs).size >= 2, 15_000);
    const ready = nextEvent(bob, 'ready');
    const account = await hub.scan(BOB, { phone: '15550002222', pushName: 'Bob' });
    await ready;
    assert.deepEqual(account, { phone: '15550002222', pushName: 'Bob' });
    assert.equal(bob.info.wid._serialized, '15550002222@c.us');
    assert.equal(bob.info.pushname, 'Bob');

    // Sending goes through the library's own path and only lands in the sender's outbox.
    const created = nextEvent<[wwebjs.Message]>(bob, 'message_create', (message) => message.body === 'from bob');
    const sent = await bob.sendMessage('15550009999@c.us', 'from bob');
    assert.equal((await created)[0].fromMe, true);
    assert.equal(sent.fromMe, true);
    const entry = await poll('bob outbox', () => hub.outbox(BOB).find((item) => item.id === sent.id._serialized));
    assert.equal(entry.to, '15550009999@c.us');
    assert.equal(entry.body, 'from bob');
    assert.equal(hub.outbox(ALICE).length, 0);
    await stop(bob);
  });

  test('sendMessage lands in the outbox as a proper message', TEST_TIMEOUT, async () => {
    const created = nextEvent<[wwebjs.Message]>(alice, 'message_create', (message) => message.body === 'hi');
    const message = await alice.sendMessage('15550009999@c.us', 'hi');
    assert.equal(message.body, 'hi');
    assert.equal(message.to, '15550009999@c.us');
    assert.equal(message.fromMe, true);
    assert.match(message.id._serialized, /^true_15550009999@c\.us_[0-9A-F]+$/);
    const [createdMessage] = await created;
    assert.equal(createdMessage.id._serialized, message.id._serialized);
    assert.equal(createdMessage.fromMe, true);

    const entry = await poll('the outbox entry', () => hub.outbox(ALICE).find((item) => item.id === message.id._serialized));
    assert.equal(entry.to, '15550009999@c.us');
    assert.equal(entry.body, 'hi');
    assert.ok(Math.abs(entry.timestamp - Date.now() / 1000) < 60);
    assert.ok(hub.outbox(BOB).every((item) => item.body === 'from bob'));
  });

  test('a contact writes: the client emits message', TEST_TIMEOUT, async () => {
    await assert.rejects(hub.incoming(ALICE, { from: 'not-a-number', body: 'x' }), (error) =>
      assertAppError(error, InvalidInputError, 'INVALID_INPUT'),
    );
    const received = nextEvent<[wwebjs.Message]>(alice, 'message', (message) => message.body === 'hello there');
    const { id } = await hub.incoming(ALICE, { from: '15550001111', body: 'hello there' });
    const [message] = await received;
    assert.equal(message.from, '15550001111@c.us');
    assert.equal(message.fromMe, false);
    assert.equal(message.id._serialized, id);
    assert.equal(message.to, alice.info.wid._serialized);

    const second = nextEvent<[wwebjs.Message]>(alice, 'message', (message) => message.body === 'again');
    await hub.incoming(ALICE, { from: '15550001111@c.us', body: 'again' });
    assert.equal((await second)[0].from, '15550001111@c.us');
    const chat = await alice.getChatById('15550001111@c.us');
    assert.equal(chat.lastMessage?.body, 'again');
  });

  test('the login survives a browser restart without a scan', TEST_TIMEOUT, async (t) => {
    const expected = hub.account(ALICE);
    assert.ok(expected);
    await stop(alice);
    const started = await launch(ALICE, 60_000);
    alice = started.client;
    await nextEvent(alice, 'ready');
    t.diagnostic(`restored profile: initialize -> ready ${Date.now() - started.startedAt} ms`);
    assert.deepEqual(started.qrs, []);
    assert.equal(alice.info.wid._serialized, `${expected.phone}@c.us`);
    assert.equal(alice.info.pushname, expected.pushName);
    assert.deepEqual(hub.account(ALICE), expected);
  });

  test('while the browser is closed the phone holds messages, then delivers them after ready, in order, once', TEST_TIMEOUT, async () => {
    await stop(alice);
    const first = await hub.incoming(ALICE, { from: '15550001111', body: 'while away 1' });
    const second = await hub.incoming(ALICE, { from: '15550003333', body: 'while away 2' });
    assert.deepEqual([first.queued, second.queued], [true, true]);
    assert.equal(hub.heldMessages(ALICE), 2);

    const started = await launch(ALICE, 60_000);
    alice = started.client;
    const seen: string[] = [];
    alice.on('ready', () => seen.push('ready'));
    alice.on('message', (message: wwebjs.Message) => seen.push(`${message.id._serialized} ${message.body}`));
    await poll('the held messages', () => seen.length >= 3);
    assert.deepEqual(seen, ['ready', `${first.id} while away 1`, `${second.id} while away 2`]);
    // the page's receipt of the last one may reach the phone just after the library reported it
    await poll('the phone sees both taken', () => hub.heldMessages(ALICE) === 0);

    const live = await hub.incoming(ALICE, { from: '15550001111', body: 'live again' });
    assert.equal(live.queued, false);
    await poll('the live message', () => seen.length >= 4);
    assert.deepEqual(seen.slice(3), [`${live.id} live again`], 'nothing held arrives twice');
  });

  test('unlinking on the phone disconnects the client; the profile asks for a QR again', TEST_TIMEOUT, async () => {
    const disconnected = nextEvent<[string]>(alice, 'disconnected');
    await hub.logout(ALICE);
    const [reason] = await disconnected;
    assert.equal(reason, 'UNPAIRED');
    assert.equal(hub.account(ALICE), undefined);
    await stop(alice);

    const started = await launch(ALICE, 60_000);
    alice = started.client;
    let readyFired = false;
    alice.on('ready', () => (readyFired = true));
    await nextEvent<[string]>(alice, 'qr');
    assert.equal(readyFired, false);
    assert.equal(hub.account(ALICE), undefined);
    await stop(alice);
  });

  test('remove stops the endpoint', TEST_TIMEOUT, async () => {
    await hub.remove(ALICE);
    assert.deepEqual(hub.outbox(ALICE), []);
    assert.equal(existsSync(dataPath), true);
  });
});
