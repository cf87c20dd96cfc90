import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SandboxInbox } from '../../src/sandbox/sandbox-inbox.js';

class Refused extends Error {}

/** An inbox whose device the test connects and disconnects, and whose answers it controls. */
function setup() {
  const device = {
    listening: false,
    got: [] as string[],
    refused: [] as string[],
    /** How the device answers the next deliveries (default: takes them). */
    answers: [] as ('take' | 'refuse' | 'vanish')[],
  };
  const inbox = new SandboxInbox<string>({
    listening: () => device.listening,
    deliver: async (message) => {
      await Promise.resolve();
      const answer = device.answers.shift() ?? 'take';
      if (answer === 'refuse') throw new Refused(`cannot take ${message}`);
      if (answer === 'vanish') {
        device.listening = false;
        throw new Error('page gone');
      }
      device.got.push(message);
    },
    isRefusal: (error) => error instanceof Refused,
    onRefused: (message) => device.refused.push(message),
  });
  return { inbox, device };
}

test('while the device is away messages wait; when it listens they arrive in order, once each', async () => {
  const { inbox, device } = setup();
  assert.equal(await inbox.post('one', 0), 'queued');
  assert.equal(await inbox.post('two', 0), 'queued');
  assert.deepEqual(device.got, []);
  assert.equal(inbox.size, 2);
  device.listening = true;
  await inbox.drain();
  assert.deepEqual(device.got, ['one', 'two']);
  assert.equal(inbox.size, 0);
  await inbox.drain();
  assert.deepEqual(device.got, ['one', 'two'], 'nothing twice');
});

test('a message posted while the device listens waits behind the held ones and is answered once delivered', async () => {
  const { inbox, device } = setup();
  void inbox.post('held', 0);
  device.listening = true;
  assert.equal(await inbox.post('live', 5_000), 'delivered');
  assert.deepEqual(device.got, ['held', 'live']);
});

test('a device that goes away mid-delivery keeps the message; the waiter hears it is queued; the next device gets it', async () => {
  const { inbox, device } = setup();
  device.listening = true;
  device.answers.push('vanish');
  assert.equal(await inbox.post('m1', 5_000), 'queued');
  assert.equal(inbox.size, 1);
  device.listening = true;
  await inbox.drain();
  assert.deepEqual(device.got, ['m1']);
});

test('a refused message is dropped and its waiter gets the error; the ones behind it still arrive', async () => {
  const { inbox, device } = setup();
  device.answers.push('take', 'refuse');
  void inbox.post('first', 0);
  const second = inbox.post('second', 5_000);
  void inbox.post('third', 0);
  device.listening = true;
  await inbox.drain();
  await assert.rejects(second, Refused);
  assert.deepEqual(device.refused, ['second']);
  assert.deepEqual(device.got, ['first', 'third']);
  assert.equal(inbox.size, 0);
});

test('a waiter that the device does not answer in time hears its message is queued; it stays held', async () => {
  const { inbox, device } = setup();
  device.listening = true;
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const slow = new SandboxInbox<string>({
    listening: () => true,
    deliver: async (message) => {
      await gate;
      device.got.push(message);
    },
    isRefusal: () => false,
    onRefused: () => {},
  });
  // the inbox's own timer does not keep a process alive (a server does): this one does, for the test
  const keepAlive = setTimeout(() => {}, 5_000);
  assert.equal(await slow.post('late', 20), 'queued');
  clearTimeout(keepAlive);
  release();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(device.got, ['late'], 'delivered after all, once');
  assert.equal(slow.size, 0);
  assert.equal(inbox.size, 0);
});

test('stopWaiting answers waiters with queued and keeps the messages; clear drops them and fails the waiters', async () => {
  const { inbox, device } = setup();
  const waiting = inbox.post('kept', 5_000);
  inbox.stopWaiting();
  assert.equal(await waiting, 'queued');
  assert.equal(inbox.size, 1);
  const failing = inbox.post('dropped', 5_000);
  inbox.clear(() => new Error('unlinked'));
  await assert.rejects(failing, /unlinked/);
  assert.equal(inbox.size, 0);
  device.listening = true;
  await inbox.drain();
  assert.deepEqual(device.got, []);
});
