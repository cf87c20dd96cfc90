/**
 * Hibernation races: the real session manager and hibernation scheduler, fake WhatsApp clients, an in-memory
 * store and a clock the test moves by hand (no sleeps).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FLAG_POLICY } from '../../src/browser/chromium-flags.js';
import { AppError } from '../../src/shared/errors.js';
import { createSilentLogger } from '../../src/shared/logger.js';
import { Hibernation } from '../../src/sessions/hibernation.js';
import { SessionEvents } from '../../src/sessions/session-events.js';
import { SessionManager } from '../../src/sessions/session-manager.js';
import { SessionMessaging } from '../../src/sessions/session-messaging.js';
import type { Session } from '../../src/sessions/session.js';
import type { SessionStatus } from '../../src/sessions/session-status.js';
import type { SessionLookup } from '../../src/sessions/working-client.js';
import type { WaMessage } from '../../src/wa/wa-client.js';
import { FakeProcessTable } from '../fakes/fake-process-table.js';
import { FakeTimers, settle } from '../fakes/fake-timers.js';
import { FakeWaClientFactory, type FakeWaClient } from '../fakes/fake-wa-client.js';
import { InMemorySessionStore } from '../fakes/in-memory-session-store.js';

const ME = { id: '15550001111@c.us', pushName: 'Desk' };
const MINUTE = 60_000;

function setup(options: { defaultMinutes?: number; wakeConcurrency?: number } = {}) {
  const timers = new FakeTimers();
  const store = new InMemorySessionStore();
  const factory = new FakeWaClientFactory();
  const events = new SessionEvents();
  const manager = new SessionManager({
    store,
    clientFactory: factory.create,
    processes: new FakeProcessTable(),
    hostname: 'testhost',
    logger: createSilentLogger(),
    events,
    now: () => timers.now(),
    settings: { serverChromiumArgs: [], flagPolicy: DEFAULT_FLAG_POLICY, stopDeadlineMs: 1_000, stableAfterMs: 60_000 },
    managerSettings: {
      maxSessions: 10,
      sandboxByDefault: true,
      restart: { maxAttempts: 3, windowMs: 120_000, cooldownMs: 0 },
      lockTimeoutMs: 5_000,
    },
  });
  const hibernation = new Hibernation({
    host: manager,
    events,
    timers,
    logger: createSilentLogger(),
    settings: { defaultHibernateAfterMinutes: options.defaultMinutes, scheduledWakeConcurrency: options.wakeConcurrency ?? 2 },
  });
  hibernation.start();
  const sessions: SessionLookup = { get: (id) => manager.get(id), beginUse: (id) => hibernation.beginUse(id) };
  const messaging = new SessionMessaging(sessions, () => timers.now());
  const history = new Map<string, SessionStatus[]>();
  events.on('status', ({ sessionId, change }) => history.set(sessionId, [...(history.get(sessionId) ?? []), change.to]));
  return { timers, store, factory, events, manager, hibernation, messaging, history };
}
type Fixture = ReturnType<typeof setup>;

/** How every client created from now on answers its initialize(): logged in, a QR code (login gone), or nothing. */
function clientsAnswer(fixture: Fixture, answer: 'ready' | 'qr' | 'nothing'): void {
  fixture.factory.onCreate = (client: FakeWaClient) => {
    client.initialize = async () => {
      client.initializeCalls++;
      if (answer === 'ready') setImmediate(() => client.emit('ready', ME));
      if (answer === 'qr') setImmediate(() => client.emit('qr', 'ref,1'));
    };
  };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function linked(fixture: Fixture, sessionId: string, config: Record<string, unknown>): Promise<Session> {
  clientsAnswer(fixture, 'ready');
  const session = await fixture.manager.create(sessionId, config, { start: true });
  fixture.manager.start(sessionId);
  await until(() => session.status.status === 'WORKING', `${sessionId} WORKING`);
  return session;
}

function incoming(body: string): WaMessage {
  return { id: `false_1555@c.us_${body}`, chatId: '1555@c.us', from: '1555@c.us', to: ME.id, body, type: 'text', timestamp: 1, fromMe: false, hasMedia: false };
}

function codeOf(error: unknown): string | undefined {
  return error instanceof AppError ? `${error.status} ${error.code}` : undefined;
}


test('a request racing a stop of a HIBERNATED session is a 409 and never starts it again after the stop', async () => {
  const fixture = setup();
  const session = await linked(fixture, 'desk', { hibernateAfterMinutes: 1 });
  await fixture.timers.advance(MINUTE);
  assert.equal(session.status.status, 'HIBERNATED');
  const stopping = fixture.manager.stop('desk');
  const send = fixture.messaging.sendText('desk', '1555@c.us', 'racing the stop').then(
    () => 'sent',
    (error) => codeOf(error),
  );
  await stopping;
  assert.equal(await send, '409 SESSION_NOT_READY');
  await until(() => session.status.status === 'WORKING' || session.status.status === 'STOPPED', 'settled');
  await settle();
  // the user asked for STOPPED; the request that lost the race started it anyway
  assert.equal(session.status.status, 'STOPPED', `history: ${fixture.history.get('desk')?.join(' > ')}; saved ${(await fixture.store.read('desk'))?.desiredState}`);
});

test('a message the closing browser still reports while the session falls asleep becomes an event', async () => {
  const fixture = setup();
  const session = await linked(fixture, 'desk', { hibernateAfterMinutes: 1 });
  const received: string[] = [];
  fixture.events.on('message', ({ message }) => received.push(message.body));
  const client = fixture.factory.latest();
  let finishClose: () => void = () => {};
  client.destroyResult = new Promise((resolve) => (finishClose = resolve));
  await fixture.timers.advance(MINUTE);
  assert.equal(session.status.status, 'STOPPING');
  // the page took the message (WhatsApp counts it delivered to this device) just before it closed
  client.emit('message', incoming('arrived while closing'));
  finishClose();
  await settle();
  assert.equal(session.status.status, 'HIBERNATED');
  assert.deepEqual(received, ['arrived while closing']);
});

test('a scheduled wake of a session that keeps receiving frees its slot: the next scheduled wake is not starved', async () => {
  const fixture = setup({ wakeConcurrency: 1 });
  const chatty = await linked(fixture, 'chatty', { hibernateAfterMinutes: 1, wakeEveryMinutes: 10 });
  await linked(fixture, 'quiet', { hibernateAfterMinutes: 1, wakeEveryMinutes: 10 });
  await fixture.timers.advance(MINUTE);
  await fixture.timers.advance(10 * MINUTE);
  await until(() => chatty.status.status === 'WORKING', 'chatty awake');
  // a busy group: a message every 10 s
  for (let i = 0; i < 60; i++) {
    if (chatty.client) (chatty.client as FakeWaClient).emit('message', incoming(`m${i}`));
    await fixture.timers.advance(10_000);
  }
  const quietWakes = fixture.history.get('quiet')?.filter((status) => status === 'STARTING').length;
  assert.equal(quietWakes, 2, `quiet woke ${quietWakes! - 1} time(s) in 10 minutes past its schedule`);
});

test('a restart of a HIBERNATED session racing a request ends WORKING', async () => {
  const fixture = setup();
  const session = await linked(fixture, 'desk', { hibernateAfterMinutes: 1 });
  await fixture.timers.advance(MINUTE);
  assert.equal(session.status.status, 'HIBERNATED');
  const restarting = fixture.manager.restart('desk').then(() => 'restarted', (error) => codeOf(error));
  const send = fixture.messaging.sendText('desk', '1555@c.us', 'racing the restart').then(() => 'sent', (error) => codeOf(error));
  const outcomes = await Promise.all([restarting, send]);
  await until(() => session.status.status === 'WORKING' || session.status.status === 'STOPPED', 'settled');
  await settle();
  assert.equal(session.status.status, 'WORKING', `outcomes ${outcomes.join(', ')}; ${fixture.history.get('desk')?.join(' > ')}`);
});
