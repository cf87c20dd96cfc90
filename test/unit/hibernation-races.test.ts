/**
 * Hibernation races: the real session manager and hibernation scheduler, fake WhatsApp clients, an in-memory
 * store and a clock the test moves by hand (no sleeps).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MINUTE, setup, until, linked, incoming, codeOf } from '../fakes/hibernation-fixture.js';
import { settle } from '../fakes/fake-timers.js';
import type { FakeWaClient } from '../fakes/fake-wa-client.js';

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
