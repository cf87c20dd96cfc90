/**
 * Memory that stays flat: the sweeper unloads old messages from each WORKING page and recycles a browser over the
 * memory limit through hibernation (real session manager and hibernation, fake clients, a clock moved by hand).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ME, setup, until, linked } from '../fakes/hibernation-fixture.js';
import { MemorySweeper, type MemorySweeperSettings } from '../../src/sessions/memory-sweeper.js';
import { createSilentLogger } from '../../src/shared/logger.js';
import type { Fixture } from '../fakes/hibernation-fixture.js';

const LIMITS = { keep: 500, minAgeSeconds: 120 };

function sweeperOf(fixture: Fixture, memory: Map<string, number>, settings: Partial<MemorySweeperSettings> = {}) {
  return new MemorySweeper({
    sessions: () => fixture.manager.all(),
    browserMemoryMib: async (sessionId) => memory.get(sessionId) ?? 0,
    recycle: (sessionId, reason) => fixture.hibernation.recycle(sessionId, reason),
    settings: { limits: LIMITS, intervalMs: 60_000, browserLimitMib: undefined, ...settings },
    logger: createSilentLogger(),
  });
}

test('each WORKING page is asked to unload its old messages with the configured limits; others are left alone', async () => {
  const fixture = setup();
  await linked(fixture, 'busy', {});
  const busyClient = fixture.factory.latest();
  await linked(fixture, 'stopped', {});
  const stoppedClient = fixture.factory.latest();
  await fixture.manager.stop('stopped');
  await sweeperOf(fixture, new Map()).sweep();
  assert.deepEqual(busyClient.unloadCalls, [LIMITS]);
  assert.deepEqual(stoppedClient.unloadCalls, []);
});

test('a page that fails to unload does not stop the sweep of the next session', async () => {
  const fixture = setup();
  await linked(fixture, 'first', {});
  fixture.factory.latest().unloadOldMessages = async () => {
    throw new Error('Execution context was destroyed');
  };
  await linked(fixture, 'second', {});
  const second = fixture.factory.latest();
  await sweeperOf(fixture, new Map()).sweep();
  assert.equal(second.unloadCalls.length, 1);
});

test('without a limit no browser is recycled, however large', async () => {
  const fixture = setup();
  const session = await linked(fixture, 'desk', {});
  await sweeperOf(fixture, new Map([['desk', 99_999]])).sweep();
  assert.equal(session.status.status, 'WORKING');
  assert.equal(fixture.factory.clients.length, 1);
});

test('a browser over the limit is recycled: new browser, same login, WORKING again, logged and counted', async () => {
  const fixture = setup();
  const session = await linked(fixture, 'desk', {});
  const first = fixture.factory.latest();
  const memory = new Map([['desk', 700]]);
  const sweeper = sweeperOf(fixture, memory, { browserLimitMib: 600 });
  await sweeper.sweep();
  assert.equal(session.status.status, 'WORKING');
  assert.equal(first.destroyed, true);
  assert.notEqual(fixture.factory.latest(), first, 'a new browser');
  assert.equal(first.loggedOut, false, 'the login stays');
  assert.deepEqual(session.me, ME);
  assert.deepEqual(fixture.history.get('desk')?.slice(-4), ['STOPPING', 'HIBERNATED', 'STARTING', 'WORKING']);
  assert.equal(sweeper.recyclesOf(session), 1);
  assert.ok(session.recentLogs().some((line) => /over the session memory limit of 600 MiB: recycled \(1 since/.test(line.message)));
  assert.equal((await fixture.store.read('desk'))?.desiredState, 'running');

  memory.set('desk', 500);
  await sweeper.sweep();
  assert.equal(sweeper.recyclesOf(session), 1, 'under the limit: left alone');
});

test('a send waits for the new browser instead of failing, and one in flight holds the recycle off', async () => {
  const fixture = setup();
  const session = await linked(fixture, 'desk', {});
  const sweeper = sweeperOf(fixture, new Map([['desk', 700]]), { browserLimitMib: 600 });

  const endUse = await fixture.hibernation.beginUse('desk');
  await sweeper.sweep();
  assert.equal(sweeper.recyclesOf(session), 0, 'not while a request uses the page');
  assert.equal(fixture.factory.clients.length, 1);
  endUse();

  const recycling = sweeper.sweep();
  await until(() => session.status.status !== 'WORKING', 'the recycle under way');
  const sent = await fixture.messaging.sendText('desk', '1555@c.us', 'sent during the recycle');
  await recycling;
  assert.equal(sent.body, 'sent during the recycle');
  const latest = fixture.factory.latest();
  assert.deepEqual(latest.sent, [{ chatId: '1555@c.us', content: 'sent during the recycle' }], 'sent by the new browser');
  assert.equal(sweeper.recyclesOf(session), 1);
  assert.equal(session.status.status, 'WORKING');
});

test('a recycle cut short by the server stopping leaves the session to start at the next boot, not asleep', async () => {
  const fixture = setup();
  const session = await linked(fixture, 'desk', {});
  fixture.factory.onCreate = () => {}; // the new browser never logs in
  let onDiskWhileAsleep: Promise<{ desiredState: string } | undefined> | undefined;
  fixture.events.on('status', ({ change }) => {
    // read as the status changes: a server stopped at this moment would boot from this
    if (change.to === 'HIBERNATED') onDiskWhileAsleep = fixture.store.read('desk');
  });
  const sweep = sweeperOf(fixture, new Map([['desk', 700]]), { browserLimitMib: 600 }).sweep();
  await until(() => session.status.status === 'STARTING', 'the new browser starting');
  assert.equal((await onDiskWhileAsleep)?.desiredState, 'running');
  await fixture.manager.stop('desk');
  await sweep;
});

test('a wake finds a session stopped meanwhile as it is', async () => {
  const fixture = setup();
  const session = await linked(fixture, 'desk', {});
  await fixture.manager.stop('desk');
  const { settled } = fixture.manager.start('desk', 'woken: late', { onlyFromHibernated: true });
  await settled;
  assert.equal(session.status.status, 'STOPPED');
  assert.equal(fixture.factory.clients.length, 1, 'no browser started');
});
