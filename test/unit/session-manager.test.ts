import { DEFAULT_FLAG_POLICY } from '../../src/browser/chromium-flags.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../src/shared/errors.js';
import { createSilentLogger } from '../../src/shared/logger.js';
import { SessionEvents } from '../../src/sessions/session-events.js';
import { SessionManager } from '../../src/sessions/session-manager.js';
import { SessionMessaging } from '../../src/sessions/session-messaging.js';
import type { SessionStatus } from '../../src/sessions/session-status.js';
import type { Session } from '../../src/sessions/session.js';
import type { StoredSession } from '../../src/storage/session-store.js';
import { FakeProcessTable } from '../fakes/fake-process-table.js';
import { FakeWaClientFactory } from '../fakes/fake-wa-client.js';
import { InMemorySessionStore } from '../fakes/in-memory-session-store.js';

const ME = { id: '15550001111@c.us', pushName: 'Desk' };

function setup(options: { maxSessions?: number; maxAttempts?: number; cooldownMs?: number } = {}) {
  const store = new InMemorySessionStore();
  const factory = new FakeWaClientFactory();
  const processes = new FakeProcessTable();
  const events = new SessionEvents();
  const manager = new SessionManager({
    store,
    clientFactory: factory.create,
    processes,
    hostname: 'testhost',
    logger: createSilentLogger(),
    events,
    now: () => Date.now(),
    settings: { serverChromiumArgs: ['--lang=en'], flagPolicy: DEFAULT_FLAG_POLICY, stopDeadlineMs: 1_000, stableAfterMs: 60_000 },
    managerSettings: {
      maxSessions: options.maxSessions ?? 10,
      sandboxByDefault: true,
      restart: { maxAttempts: options.maxAttempts ?? 3, windowMs: 120_000, cooldownMs: options.cooldownMs ?? 0 },
      lockTimeoutMs: 5_000,
    },
  });
  return { store, factory, processes, events, manager };
}

function waitForStatus(events: SessionEvents, session: Session, status: SessionStatus): Promise<void> {
  if (session.status.status === status) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${session.id} never reached ${status}; is ${session.status.status}`)), 5_000);
    const listener = ({ sessionId, change }: { sessionId: string; change: { to: SessionStatus } }) => {
      if (sessionId === session.id && change.to === status) {
        clearTimeout(timer);
        events.off('status', listener);
        resolve();
      }
    };
    events.on('status', listener);
  });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Creates (with this config) and starts the session, then links it through the fake client. */
async function startWorking(fixture: ReturnType<typeof setup>, config: Record<string, unknown> = {}): Promise<Session> {
  const session = await fixture.manager.create('desk', config, { start: true });
  fixture.manager.start('desk');
  await until(() => fixture.factory.clients.length === 1, 'a client');
  fixture.factory.latest().emit('ready', ME);
  await waitForStatus(fixture.events, session, 'WORKING');
  return session;
}

function errorCode(error: unknown): string | undefined {
  return error instanceof AppError ? error.code : undefined;
}

test('a created session is STARTING at once, shows a QR code, then WORKING with the linked account', async () => {
  const { manager, factory, events, store } = setup();
  const session = await manager.create('desk', { qrTimeout: 30 }, { start: true });
  manager.start('desk');
  assert.equal(session.status.status, 'STARTING');
  await until(() => factory.clients.length === 1, 'a client');
  const client = factory.latest();
  assert.deepEqual(client.options.chromiumArgs, ['--lang=en']);
  assert.equal(client.options.qrIntervalMs, 30_000);
  assert.equal(client.options.sandbox, true);
  client.emit('qr', 'ref,1');
  assert.equal(session.status.status, 'SCAN_QR_CODE');
  assert.equal(session.qr, 'ref,1');
  client.emit('ready', ME);
  await waitForStatus(events, session, 'WORKING');
  assert.deepEqual(session.me, ME);
  assert.equal((await store.read('desk'))?.desiredState, 'running');
});

test('a second start while one is in progress is refused at once with 409', async () => {
  const { manager } = setup();
  await manager.create('desk', {}, { start: true });
  manager.start('desk');
  assert.throws(() => manager.start('desk'), (error: unknown) => errorCode(error) === 'START_IN_PROGRESS');
});

test('existing ids are a 409 and the session limit a 429', async () => {
  const { manager } = setup({ maxSessions: 2 });
  await manager.create('one', {}, { start: false });
  await assert.rejects(manager.create('one', {}, { start: false }), (error: unknown) => errorCode(error) === 'SESSION_EXISTS');
  await manager.create('two', {}, { start: false });
  await assert.rejects(manager.create('three', {}, { start: false }), (error: unknown) => (error as AppError).status === 429);
});

test('stop closes the client, kills whatever still runs on the profile, and remembers the user wants it stopped', async () => {
  const fixture = setup();
  const { manager, factory, processes, store } = fixture;
  const session = await startWorking(fixture);
  const profile = store.profileDir('desk');
  processes.add({ pid: 501, ppid: 1, pgid: 501, state: 'S', args: ['/usr/lib/chromium/chromium', `--user-data-dir=${profile}`] });
  await manager.stop('desk');
  assert.equal(session.status.status, 'STOPPED');
  assert.equal(factory.latest().destroyed, true);
  assert.equal(processes.has(501), false);
  assert.equal((await store.read('desk'))?.desiredState, 'stopped');
});

test('a crash restarts the session until the budget is spent, then FAILED with the reason', async () => {
  const fixture = setup({ maxAttempts: 2 });
  const { factory, events } = fixture;
  const session = await startWorking(fixture);
  factory.latest().emit('crashed', 'browser process exited');
  await until(() => factory.clients.length === 2, 'a restarted client');
  // no ready in between: the budget is not cleared
  factory.latest().emit('crashed', 'browser process exited');
  await until(() => factory.clients.length === 3, 'a second restart');
  factory.latest().emit('crashed', 'browser process exited');
  await waitForStatus(events, session, 'FAILED');
  assert.match(session.status.lastReason ?? '', /giving up/);
  assert.equal(factory.clients.length, 3);
  assert.ok(factory.clients.every((client) => client.destroyed));
});

test('restartOnCrash false: a crash is FAILED at once', async () => {
  const fixture = setup();
  const { factory, events } = fixture;
  const session = await startWorking(fixture, { restartOnCrash: false });
  factory.latest().emit('crashed', 'page crashed');
  await waitForStatus(events, session, 'FAILED');
  assert.match(session.status.lastReason ?? '', /page crashed/);
  assert.equal(factory.clients.length, 1);
});

test('a failing initialize ends in FAILED with the library error, browser closed', async () => {
  const { manager, factory, events } = setup();
  factory.onCreate = (client) => {
    client.initializeResult = Promise.reject('auth timeout');
  };
  const session = await manager.create('desk', {}, { start: true });
  manager.start('desk');
  await waitForStatus(events, session, 'FAILED');
  assert.match(session.status.lastReason ?? '', /auth timeout/);
  assert.equal(factory.latest().destroyed, true);
});

test('logout from the phone moves the session out of WORKING and it is not restored at boot', async () => {
  const fixture = setup();
  const { factory, events, store } = fixture;
  const session = await startWorking(fixture);
  factory.latest().emit('disconnected', 'UNPAIRED');
  await waitForStatus(events, session, 'FAILED');
  assert.match(session.status.lastReason ?? '', /Logged out from the phone/);
  assert.equal(session.me, undefined);
  assert.equal((await store.read('desk'))?.desiredState, 'stopped');
});

test('send-text needs a WORKING session: 409 with the current status otherwise', async () => {
  const { manager, factory, events } = setup();
  const session = await manager.create('desk', {}, { start: false });
  const messaging = new SessionMessaging(manager);
  await assert.rejects(messaging.sendText('desk', '1555@c.us', 'hi'), (error: unknown) => errorCode(error) === 'SESSION_NOT_READY');
  manager.start('desk');
  await until(() => factory.clients.length === 1, 'a client');
  factory.latest().emit('ready', ME);
  await waitForStatus(events, session, 'WORKING');
  const message = await messaging.sendText('desk', '15550009999@c.us', 'hi');
  assert.equal(message.body, 'hi');
  assert.deepEqual(factory.latest().sent, [{ chatId: '15550009999@c.us', content: 'hi' }]);
});

test('delete stops the session and removes its data; the id is free again', async () => {
  const { manager, factory, store } = setup();
  await manager.create('desk', {}, { start: true });
  manager.start('desk');
  await until(() => factory.clients.length === 1, 'a client');
  await manager.delete('desk');
  assert.equal(manager.has('desk'), false);
  assert.equal(await store.read('desk'), undefined);
  assert.equal(store.owned.has('desk'), false);
  assert.equal(factory.latest().destroyed, true);
  await manager.create('desk', {}, { start: false });
});

test('sessions saved on disk load as STOPPED; ones another process owns are skipped', async () => {
  const { manager, store } = setup();
  const config = (await setup().manager.create('x', {}, { start: false })).config;
  store.folders.add('mine');
  store.folders.add('theirs');
  await store.write({ sessionId: 'mine', createdAt: 'now', desiredState: 'running', config });
  await store.write({ sessionId: 'theirs', createdAt: 'now', desiredState: 'running', config });
  store.ownedElsewhere.add('theirs');
  const { loaded, skipped } = await manager.loadSaved();
  assert.deepEqual(loaded, ['mine']);
  assert.deepEqual(skipped.map((entry) => entry.sessionId), ['theirs']);
  assert.deepEqual(await manager.wantedRunning(), { running: ['mine'], hibernated: [] });
  assert.equal(manager.get('mine').status.status, 'STOPPED');
});

test('a start while a delete is under way is refused, and the delete completes', async () => {
  const { manager, store } = setup();
  await manager.create('desk', {}, { start: false });
  const deleting = manager.delete('desk');
  assert.throws(() => manager.start('desk'), (error: unknown) => errorCode(error) === 'SESSION_BEING_DELETED');
  await assert.rejects(manager.create('desk', {}, { start: false }), (error: unknown) => errorCode(error) === 'SESSION_BEING_DELETED');
  await deleting;
  assert.equal(manager.has('desk'), false);
  assert.equal(await store.read('desk'), undefined);
});

test('a delete that lands while the client is being built wins: that client is closed and never launched', async () => {
  const { manager, factory, store } = setup();
  let openGate: () => void = () => {};
  factory.gate = new Promise((resolve) => {
    openGate = resolve;
  });
  await manager.create('desk', {}, { start: true });
  const { settled } = manager.start('desk');
  await until(() => factory.building === 1, 'the client being built');
  const deleting = manager.delete('desk');
  openGate();
  await deleting;
  await settled;
  assert.equal(manager.has('desk'), false);
  assert.equal(factory.clients.length, 1, 'the race happened: a client was built after the delete came in');
  assert.equal(factory.latest().initializeCalls, 0, 'its browser was never launched');
  assert.equal(factory.latest().destroyed, true);
  assert.equal(store.folders.has('desk'), false, 'no folder comes back');
});

test('a delete that lands while the browser is launching waits until the client is closed', async () => {
  const { manager, factory, store } = setup();
  factory.onCreate = (client) => {
    client.initializeResult = new Promise(() => {}); // Chromium still starting: no QR, no failure yet
    client.destroyResult = new Promise((resolve) => setTimeout(resolve, 50));
  };
  await manager.create('desk', {}, { start: true });
  const { settled } = manager.start('desk');
  await until(() => factory.clients[0]?.initializeCalls === 1, 'the launch under way');
  await manager.delete('desk');
  assert.equal(factory.latest().destroyCalls, 1);
  assert.equal(factory.latest().destroyed, true, 'the delete answered only after the browser was closed');
  await settled;
  assert.equal(store.folders.has('desk'), false);
});

test('a webhook change queued behind a delete is refused and does not bring the folder back', async () => {
  const { manager, store } = setup();
  await manager.create('desk', {}, { start: false });
  const deleting = manager.delete('desk');
  const setting = manager.setWebhooks('desk', [{ url: 'https://crm.example.com/wa' }]);
  await deleting;
  await assert.rejects(setting, (error: unknown) => errorCode(error) === 'SESSION_NOT_FOUND' || errorCode(error) === 'SESSION_BEING_DELETED');
  assert.equal(store.folders.has('desk'), false);
  assert.equal(await store.read('desk'), undefined);
});

test('concurrent creates cannot exceed --max-sessions', async () => {
  const { manager } = setup({ maxSessions: 2 });
  const results = await Promise.allSettled(['a', 'b', 'c', 'd'].map((id) => manager.create(id, {}, { start: false })));
  assert.equal(results.filter((result) => result.status === 'fulfilled').length, 2);
  assert.equal(manager.list().length, 2);
  for (const result of results.filter((result) => result.status === 'rejected')) {
    assert.equal(((result as PromiseRejectedResult).reason as AppError).status, 429);
  }
});

test('a chromiumArgs flag outside the allow-list is a 400 naming it, and nothing is created', async () => {
  const { manager, store } = setup();
  await assert.rejects(
    manager.create('desk', { chromiumArgs: ['--lang=en', '--renderer-cmd-prefix=/bin/sh -c id'] }, { start: false }),
    (error: unknown) => (error as AppError).status === 400 && /--renderer-cmd-prefix is not allowed/.test((error as Error).message),
  );
  assert.equal(manager.has('desk'), false);
  assert.equal(store.folders.has('desk'), false);
});

test('a saved config that cannot be read is listed FAILED with the reason, never started or overwritten, and can be deleted', async () => {
  const { manager, store, factory } = setup();
  const config = (await setup().manager.create('x', {}, { start: false })).config;
  store.folders.add('good');
  await store.write({ sessionId: 'good', createdAt: 'now', desiredState: 'running', config });
  store.folders.add('broken');
  store.unreadable.add('broken');
  // valid JSON, but not a session's config (hand-edited): unreadable too
  store.folders.add('odd');
  store.saved.set('odd', { sessionId: 'odd', config: { qrTimeout: 'soon' } } as unknown as StoredSession);
  const { loaded } = await manager.loadSaved();
  assert.deepEqual(loaded.sort(), ['broken', 'good', 'odd']);
  assert.equal(manager.get('odd').status.status, 'FAILED');
  assert.match(manager.get('odd').status.lastReason ?? '', /saved config could not be read \(config: qrTimeout/);
  const broken = manager.get('broken');
  assert.equal(broken.status.status, 'FAILED');
  assert.match(broken.status.lastReason ?? '', /saved config could not be read/);
  assert.deepEqual(await manager.wantedRunning(), { running: ['good'], hibernated: [] });
  assert.equal(manager.hasUsableLog('broken'), false, 'no event of it is written into its folder');
  assert.equal(manager.hasUsableLog('good'), true);
  assert.throws(() => manager.assertUsableLog('broken'), (error: unknown) => errorCode(error) === 'SESSION_UNUSABLE');
  assert.throws(() => manager.start('broken'), (error: unknown) => errorCode(error) === 'SESSION_UNUSABLE');
  await assert.rejects(manager.setWebhooks('broken', []), (error: unknown) => errorCode(error) === 'SESSION_UNUSABLE');
  await manager.stop('broken');
  assert.equal(store.saved.has('broken'), false, 'nothing was written over the unreadable config');
  assert.equal(factory.clients.length, 0);
  await manager.delete('broken');
  assert.equal(store.folders.has('broken'), false);
});

test('during the restart cooldown a crashed session is CRASHED with restartAt, then starts at that time', async () => {
  const fixture = setup({ cooldownMs: 400 });
  const { factory, events } = fixture;
  const session = await startWorking(fixture);
  factory.latest().emit('crashed', 'browser process exited');
  await until(() => factory.clients.length === 2, 'the immediate first restart');
  factory.latest().emit('ready', ME);
  await waitForStatus(events, session, 'WORKING');
  const crashedAt = Date.now();
  factory.latest().emit('crashed', 'browser process exited');
  await waitForStatus(events, session, 'CRASHED');
  const snapshot = session.snapshot();
  assert.equal(snapshot.status, 'CRASHED');
  assert.match(snapshot.reason ?? '', /browser crashed: browser process exited; restart 2 of 3 at .*cooldown/);
  const restartAt = Date.parse(snapshot.restartAt ?? '');
  assert.ok(restartAt >= crashedAt + 300 && restartAt <= crashedAt + 1_000, `restartAt ${snapshot.restartAt}`);
  assert.equal(snapshot.browserPid, undefined, 'no browser runs meanwhile');
  await waitForStatus(events, session, 'STARTING');
  assert.ok(Date.now() >= restartAt - 20, 'not before restartAt');
  assert.equal(session.snapshot().restartAt, undefined);
  await until(() => factory.clients.length === 3, 'the second restart');
});

test('a stop queued behind a crash recovery cancels the restart that recovery scheduled', async () => {
  const fixture = setup();
  const { manager, factory, store } = fixture;
  const session = await startWorking(fixture);
  let closeBrowser: () => void = () => {};
  factory.latest().destroyResult = new Promise((resolve) => {
    closeBrowser = resolve;
  });
  factory.latest().emit('crashed', 'browser process exited');
  await until(() => factory.latest().destroyCalls === 1, 'the recovery tearing the crashed browser down');
  const stopping = manager.stop('desk'); // interrupt() runs now, before the recovery has scheduled anything
  closeBrowser();
  await stopping;
  assert.equal(session.status.status, 'STOPPED');
  assert.equal(session.snapshot().restartAt, undefined);
  // the restart was due at once: give its timer every chance to fire
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(factory.clients.length, 1, 'no browser was launched after the stop');
  assert.equal(session.status.status, 'STOPPED');
  assert.equal((await store.read('desk'))?.desiredState, 'stopped');
});
