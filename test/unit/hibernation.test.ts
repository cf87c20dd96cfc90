/**
 * Sessions that sleep: the real session manager and hibernation scheduler, fake WhatsApp clients, an in-memory
 * store and a clock the test moves by hand (no sleeps).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ME, MINUTE, setup, clientsAnswer, until, linked, incoming, codeOf } from '../fakes/hibernation-fixture.js';
import type { Session } from '../../src/sessions/session.js';
import type { AppError } from '../../src/shared/errors.js';
import { settle } from '../fakes/fake-timers.js';

test('a WORKING session quiet for hibernateAfterMinutes closes its browser and shows HIBERNATED; its login and wish to run are kept', async () => {
  const fixture = setup();
  const session = await linked(fixture, 'desk', { hibernateAfterMinutes: 1 });
  const client = fixture.factory.latest();
  await fixture.timers.advance(MINUTE - 1_000);
  assert.equal(session.status.status, 'WORKING');
  await fixture.timers.advance(1_000);
  assert.equal(session.status.status, 'HIBERNATED');
  assert.deepEqual(fixture.history.get('desk')?.slice(-3), ['WORKING', 'STOPPING', 'HIBERNATED']);
  assert.match(session.status.lastReason ?? '', /idle for 1 min/);
  assert.equal(client.destroyed, true);
  assert.equal(session.client, undefined);
  assert.deepEqual(session.me, ME);
  assert.equal((await fixture.store.read('desk'))?.desiredState, 'hibernated');
  assert.equal(fixture.timers.armed, 0, 'no timer left without wakeEveryMinutes');
});

test('messages and requests keep it awake; a request still running holds off sleep until it ends', async () => {
  const fixture = setup();
  const session = await linked(fixture, 'desk', { hibernateAfterMinutes: 1 });
  await fixture.timers.advance(40_000);
  fixture.factory.latest().emit('message', incoming('hello'));
  await fixture.timers.advance(40_000);
  assert.equal(session.status.status, 'WORKING', 'the message restarted the idle time');
  await fixture.messaging.sendText('desk', '1555@c.us', 'a reply');
  await fixture.timers.advance(59_000);
  assert.equal(session.status.status, 'WORKING', 'the send restarted it');
  const endUse = await fixture.hibernation.beginUse('desk');
  await fixture.timers.advance(5 * MINUTE);
  assert.equal(session.status.status, 'WORKING', 'a request in flight');
  endUse();
  await fixture.timers.advance(MINUTE);
  assert.equal(session.status.status, 'HIBERNATED');
});

test('who sleeps: the config, else the server default; null never; only a WORKING session', async () => {
  const fixture = setup({ defaultMinutes: 2 });
  const byDefault = await linked(fixture, 'default', {});
  const never = await linked(fixture, 'never', { hibernateAfterMinutes: null });
  const own = await linked(fixture, 'own', { hibernateAfterMinutes: 0.5 });
  clientsAnswer(fixture, 'qr');
  const waiting = await fixture.manager.create('waiting', { hibernateAfterMinutes: 0.5 }, { start: true });
  fixture.manager.start('waiting');
  await until(() => waiting.status.status === 'SCAN_QR_CODE', 'a QR code');
  await fixture.timers.advance(MINUTE);
  assert.equal(own.status.status, 'HIBERNATED');
  assert.equal(byDefault.status.status, 'WORKING');
  await fixture.timers.advance(MINUTE);
  assert.equal(byDefault.status.status, 'HIBERNATED');
  await fixture.timers.advance(60 * MINUTE);
  assert.equal(never.status.status, 'WORKING');
  assert.equal(waiting.status.status, 'SCAN_QR_CODE', 'a session waiting to be linked never hibernates');
  const unsettled = setup();
  const plain = await linked(unsettled, 'plain', {});
  await unsettled.timers.advance(24 * 60 * MINUTE);
  assert.equal(plain.status.status, 'WORKING', 'off unless set');
  assert.equal(unsettled.timers.armed, 0);
});

test('a send to a HIBERNATED session wakes it and is served; concurrent requests share the one wake', async () => {
  const fixture = setup();
  const session = await linked(fixture, 'desk', { hibernateAfterMinutes: 1 });
  await fixture.timers.advance(MINUTE);
  assert.equal(session.status.status, 'HIBERNATED');
  const clientsBefore = fixture.factory.clients.length;
  const [first, second, chats] = await Promise.all([
    fixture.messaging.sendText('desk', '1555@c.us', 'one'),
    fixture.messaging.sendText('desk', '1555@c.us', 'two'),
    fixture.messaging.assertWorking('desk'),
  ]);
  assert.equal(fixture.factory.clients.length, clientsBefore + 1, 'one wake, one browser');
  assert.equal(session.status.status, 'WORKING');
  assert.deepEqual([first.body, second.body, chats], ['one', 'two', undefined]);
  assert.deepEqual(fixture.factory.latest().sent.map((entry) => entry.content), ['one', 'two']);
  assert.deepEqual(fixture.history.get('desk')?.slice(-3), ['HIBERNATED', 'STARTING', 'WORKING']);
  assert.equal((await fixture.store.read('desk'))?.desiredState, 'running');
  await fixture.timers.advance(MINUTE);
  assert.equal(session.status.status, 'HIBERNATED', 'and it sleeps again when quiet');
});

test('a broadcast to many sleeping sessions launches their browsers --wake-concurrency at a time; every send is served', async () => {
  const fixture = setup({ wakeConcurrency: 2 });
  const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
  for (const id of ids) await linked(fixture, id, { hibernateAfterMinutes: 1 });
  await fixture.timers.advance(MINUTE);
  assert.ok(ids.every((id) => fixture.manager.get(id).status.status === 'HIBERNATED'));
  let launching = 0;
  let most = 0;
  fixture.events.on('status', ({ change }) => {
    if (change.to === 'STARTING') most = Math.max(most, ++launching);
    if (change.from === 'STARTING') launching--;
  });
  const sent = await Promise.all(ids.map((id) => fixture.messaging.sendText(id, '1555@c.us', `to ${id}`)));
  assert.deepEqual(sent.map((message) => message.body), ids.map((id) => `to ${id}`));
  assert.ok(ids.every((id) => fixture.manager.get(id).status.status === 'WORKING'));
  assert.equal(most, 2, 'never more than --wake-concurrency browsers launching at once');
});

test('a request whose wake is cut short by a delete answers 404, as for any session that is gone', async () => {
  const fixture = setup();
  await linked(fixture, 'desk', { hibernateAfterMinutes: 1 });
  await fixture.timers.advance(MINUTE);
  clientsAnswer(fixture, 'nothing');
  const send = fixture.messaging.sendText('desk', '1555@c.us', 'never sent');
  await until(() => fixture.manager.get('desk').status.status === 'STARTING', 'the wake');
  await fixture.manager.delete('desk');
  await assert.rejects(send, (error: AppError) => {
    assert.equal(error.status, 404, `${error.code}: ${error.message}`);
    return true;
  });
});

test('POST .../wake: WORKING when it answers; a stopped session is a 409, not a start', async () => {
  const fixture = setup();
  const session = await linked(fixture, 'desk', { hibernateAfterMinutes: 1 });
  await fixture.timers.advance(MINUTE);
  assert.equal((await fixture.hibernation.wake('desk')).status.status, 'WORKING');
  assert.equal((await fixture.hibernation.wake('desk')).status.status, 'WORKING', 'awake already: at once');
  await fixture.manager.stop('desk');
  await assert.rejects(fixture.hibernation.wake('desk'), (error) => codeOf(error) === '409 SESSION_NOT_READY');
  assert.equal(session.status.status, 'STOPPED');
});

test('a wake that finds the login gone answers 503 WAKE_FAILED; one that never settles 503 WAKE_TIMEOUT', async () => {
  const fixture = setup();
  const session = await linked(fixture, 'desk', { hibernateAfterMinutes: 1 });
  await fixture.timers.advance(MINUTE);
  clientsAnswer(fixture, 'qr');
  await assert.rejects(fixture.messaging.sendText('desk', '1555@c.us', 'hi'), (error) => {
    assert.equal(codeOf(error), '503 WAKE_FAILED');
    assert.match((error as Error).message, /login is gone/);
    return true;
  });
  assert.equal(session.status.status, 'SCAN_QR_CODE');

  const slow = await linked(fixture, 'slow', { hibernateAfterMinutes: 1, authTimeout: 5 });
  await fixture.timers.advance(MINUTE);
  assert.equal(slow.status.status, 'HIBERNATED');
  clientsAnswer(fixture, 'nothing');
  const send = fixture.messaging.sendText('slow', '1555@c.us', 'hi');
  const outcome = assert.rejects(send, (error) => codeOf(error) === '503 WAKE_TIMEOUT');
  await until(() => slow.status.status === 'STARTING', 'the wake to start');
  await fixture.timers.advance(10_000);
  await outcome;
  await fixture.manager.stop('slow');
});

test('a request while the browser is closing for sleep waits for it and wakes the session', async () => {
  const fixture = setup();
  const session = await linked(fixture, 'desk', { hibernateAfterMinutes: 1 });
  let finishClose: () => void = () => {};
  fixture.factory.latest().destroyResult = new Promise((resolve) => (finishClose = resolve));
  await fixture.timers.advance(MINUTE);
  assert.equal(session.status.status, 'STOPPING');
  const send = fixture.messaging.sendText('desk', '1555@c.us', 'during the close');
  await settle();
  finishClose();
  const sent = await send;
  assert.equal(sent.body, 'during the close');
  assert.deepEqual(fixture.history.get('desk')?.slice(-4), ['STOPPING', 'HIBERNATED', 'STARTING', 'WORKING']);
});

test('wakeEveryMinutes: a scheduled wake collects what arrived, then sleeps again once quiet (15 s, not the idle time)', async () => {
  const fixture = setup();
  const session = await linked(fixture, 'desk', { hibernateAfterMinutes: 5, wakeEveryMinutes: 30 });
  const received: string[] = [];
  fixture.events.on('message', ({ message }) => received.push(message.body));
  await fixture.timers.advance(5 * MINUTE);
  assert.equal(session.status.status, 'HIBERNATED');
  await fixture.timers.advance(30 * MINUTE - 1_000);
  assert.equal(session.status.status, 'HIBERNATED');
  await fixture.timers.advance(1_000);
  await until(() => session.status.status === 'WORKING', 'the scheduled wake');
  fixture.factory.latest().emit('message', incoming('held while asleep'));
  await fixture.timers.advance(14_000);
  assert.equal(session.status.status, 'WORKING');
  await fixture.timers.advance(1_000);
  assert.equal(session.status.status, 'HIBERNATED');
  assert.deepEqual(received, ['held while asleep']);
  assert.match(session.status.lastReason ?? '', /collected what arrived/);
  assert.equal(fixture.timers.armed, 1, 'the next scheduled wake');
});

test('a scheduled wake with nothing to collect is no activity: the account stays as dormant as it was', async () => {
  const fixture = setup();
  const session = await linked(fixture, 'desk', { hibernateAfterMinutes: 5, wakeEveryMinutes: 30 });
  const lastActive = session.lastActivityAt;
  await fixture.timers.advance(5 * MINUTE);
  assert.equal(session.status.status, 'HIBERNATED');
  await fixture.timers.advance(30 * MINUTE);
  await until(() => session.status.status === 'WORKING', 'the scheduled wake');
  assert.equal(session.lastActivityAt, lastActive, 'terminate-inactive still sees it idle since before it slept');
  await fixture.timers.advance(14_000);
  assert.equal(session.status.status, 'WORKING', 'it still stays up to collect, counted from the wake');
  await fixture.timers.advance(1_000);
  assert.equal(session.status.status, 'HIBERNATED');
});

test('a request during a scheduled wake keeps the session awake on the ordinary idle time', async () => {
  const fixture = setup();
  const session = await linked(fixture, 'desk', { hibernateAfterMinutes: 5, wakeEveryMinutes: 30 });
  await fixture.timers.advance(35 * MINUTE);
  await until(() => session.status.status === 'WORKING', 'the scheduled wake');
  await fixture.messaging.sendText('desk', '1555@c.us', 'the user writes');
  await fixture.timers.advance(MINUTE);
  assert.equal(session.status.status, 'WORKING');
  await fixture.timers.advance(4 * MINUTE);
  assert.equal(session.status.status, 'HIBERNATED');
});

test('scheduled wakes run at most --wake-concurrency at once; the next starts when one sleeps again', async () => {
  const fixture = setup({ wakeConcurrency: 1 });
  const sessions: Session[] = [];
  for (const id of ['a', 'b', 'c']) sessions.push(await linked(fixture, id, { hibernateAfterMinutes: 1, wakeEveryMinutes: 10 }));
  await fixture.timers.advance(MINUTE);
  assert.deepEqual(sessions.map((session) => session.status.status), ['HIBERNATED', 'HIBERNATED', 'HIBERNATED']);
  const awake = () => sessions.filter((session) => session.status.status !== 'HIBERNATED').length;
  const starts = (id: string) => fixture.history.get(id)?.filter((status) => status === 'STARTING').length ?? 0;
  const collected = () => ['a', 'b', 'c'].filter((id) => starts(id) === 2).length;
  let most = 0;
  const watch = (condition: () => boolean) => () => {
    most = Math.max(most, awake());
    return condition();
  };
  // fake time moves a second at a time, and each step settles before the next: a timer armed a few turns late
  // (the quiet timer once the wake is WORKING) still fires when its time comes
  const advanceUntil = async (condition: () => boolean, what: string) => {
    for (let waited = 0; !condition(); waited += 1_000) {
      if (waited > 2 * MINUTE) throw new Error(`no ${what} within 2 minutes of fake time`);
      await fixture.timers.advance(1_000);
      await until(() => true, what);
      await settle();
    }
  };
  await fixture.timers.advance(10 * MINUTE - 1_000);
  for (let wakes = 1; wakes <= 3; wakes++) {
    // the one awake sleeps again after 15 s of quiet, and only then may the next wake
    await advanceUntil(watch(() => collected() === wakes && awake() === 1), `scheduled wake ${wakes}`);
  }
  await advanceUntil(watch(() => awake() === 0), 'all asleep again');
  assert.equal(most, 1, 'never two awake at once');
  assert.deepEqual(['a', 'b', 'c'].map(starts), [2, 2, 2]);
});

test('stop and delete of a HIBERNATED session leave it STOPPED or gone with no timer; close() ends every timer', async () => {
  const fixture = setup();
  const stopped = await linked(fixture, 'stopped', { hibernateAfterMinutes: 1, wakeEveryMinutes: 10 });
  await linked(fixture, 'deleted', { hibernateAfterMinutes: 1, wakeEveryMinutes: 10 });
  await linked(fixture, 'kept', { hibernateAfterMinutes: 1, wakeEveryMinutes: 10 });
  await fixture.timers.advance(MINUTE);
  assert.equal(fixture.timers.armed, 3);
  const clients = fixture.factory.clients.length;
  await fixture.manager.stop('stopped');
  assert.equal(stopped.status.status, 'STOPPED');
  assert.equal((await fixture.store.read('stopped'))?.desiredState, 'stopped');
  await fixture.manager.delete('deleted');
  assert.equal(fixture.manager.has('deleted'), false);
  assert.equal(fixture.timers.armed, 1);
  fixture.hibernation.close();
  assert.equal(fixture.timers.armed, 0);
  await fixture.timers.advance(60 * MINUTE);
  assert.equal(fixture.factory.clients.length, clients, 'nothing woke');
});

test('boot lists a session saved asleep as HIBERNATED without a browser, and arms its scheduled wake', async () => {
  const first = setup();
  await linked(first, 'desk', { hibernateAfterMinutes: 1, wakeEveryMinutes: 10 });
  await linked(first, 'busy', {});
  await first.timers.advance(MINUTE);
  const saved = [...first.store.saved.values()];
  const booted = setup();
  for (const stored of saved) {
    booted.store.saved.set(stored.sessionId, stored);
    booted.store.folders.add(stored.sessionId);
  }
  await booted.manager.loadSaved();
  const wanted = await booted.manager.wantedRunning();
  assert.deepEqual(wanted, { running: ['busy'], hibernated: ['desk'] });
  booted.manager.markHibernated(wanted.hibernated);
  assert.equal(booted.manager.get('desk').status.status, 'HIBERNATED');
  assert.equal(booted.factory.clients.length, 0, 'no browser to restore it');
  assert.equal(booted.timers.armed, 1, 'its scheduled wake');
  clientsAnswer(booted, 'ready');
  await booted.messaging.sendText('desk', '1555@c.us', 'after the restart');
  assert.equal(booted.manager.get('desk').status.status, 'WORKING');
});
