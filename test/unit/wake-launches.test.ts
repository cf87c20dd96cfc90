import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WakeLaunches } from '../../src/sessions/wake-launches.js';

const never = () => new AbortController().signal;

test('at most the limit hold a slot; a request (urgent) goes ahead of queued scheduled wakes', async () => {
  const launches = new WakeLaunches(1);
  const order: string[] = [];
  const first = await launches.acquire(false, never());
  const scheduled = launches.acquire(false, never()).then((release) => (order.push('scheduled'), release));
  const request = launches.acquire(true, never()).then((release) => (order.push('request'), release));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, [], 'nothing granted while the slot is held');
  first();
  first(); // a second release of the same slot frees nothing more
  (await request)();
  (await scheduled)();
  assert.deepEqual(order, ['request', 'scheduled']);
});

test('a wait that is given up leaves the queue, and the slot goes to the next', async () => {
  const launches = new WakeLaunches(1);
  const held = await launches.acquire(true, never());
  const giveUp = new AbortController();
  const abandoned = launches.acquire(true, giveUp.signal);
  const next = launches.acquire(false, never());
  giveUp.abort(new Error('wake deadline'));
  await assert.rejects(abandoned, /wake deadline/);
  held();
  (await next)();
  await assert.rejects(launches.acquire(true, giveUp.signal), /wake deadline/, 'already given up: refused at once');
});
