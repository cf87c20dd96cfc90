import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as settle } from 'node:timers/promises';
import { KeyedLock } from '../../src/shared/keyed-lock.js';
import { TimeoutError } from '../../src/shared/errors.js';

interface Gate {
  started: Promise<void>;
  open: () => void;
  task: () => Promise<string>;
}

/** A task that records its start in `log` and finishes only when opened. */
function gate(name: string, log: string[]): Gate {
  let markStarted!: () => void;
  let open!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const released = new Promise<void>((resolve) => (open = resolve));
  return {
    started,
    open,
    task: async () => {
      log.push(`start ${name}`);
      markStarted();
      await released;
      log.push(`end ${name}`);
      return name;
    },
  };
}

describe('KeyedLock', () => {
  it('runs tasks on one key one at a time, in arrival order', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const [a, b, c] = [gate('a', log), gate('b', log), gate('c', log)];
    const results = [lock.run('s1', a.task), lock.run('s1', b.task), lock.run('s1', c.task)];
    await a.started;
    await settle();
    assert.deepEqual(log, ['start a']);
    assert.equal(lock.isBusy('s1'), true);
    a.open();
    await b.started;
    await settle();
    assert.deepEqual(log, ['start a', 'end a', 'start b']);
    c.open(); // opening c early must not let it overtake b
    await settle();
    assert.deepEqual(log, ['start a', 'end a', 'start b']);
    b.open();
    assert.deepEqual(await Promise.all(results), ['a', 'b', 'c']);
    assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('never makes different keys wait on each other', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const held = gate('held', log);
    const first = lock.run('s1', held.task);
    await held.started;
    assert.equal(await lock.run('s2', async () => 'other'), 'other');
    assert.equal(lock.isBusy('s1'), true);
    assert.equal(lock.isBusy('s2'), false);
    held.open();
    await first;
  });

  it('times out a waiter, naming key and label, without breaking the order of the others', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const [a, b, c] = [gate('a', log), gate('b', log), gate('c', log)];
    const ra = lock.run('s1', a.task);
    await a.started;
    const rb = lock.run('s1', b.task);
    const late = lock.run('s1', async () => 'never', { timeoutMs: 20, label: 'restart' });
    const rc = lock.run('s1', c.task);
    await assert.rejects(late, (error: unknown) => {
      assert.ok(error instanceof TimeoutError);
      assert.match(error.message, /'s1'/);
      assert.match(error.message, /restart/);
      return true;
    });
    b.open();
    c.open();
    a.open();
    assert.deepEqual(await Promise.all([ra, rb, rc]), ['a', 'b', 'c']);
    assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    assert.equal(lock.isBusy('s1'), false);
  });

  it('a waiter that gets the lock in time is not rejected later', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const a = gate('a', log);
    const ra = lock.run('s1', a.task);
    await a.started;
    const rb = lock.run('s1', async () => 'b', { timeoutMs: 10_000 });
    a.open();
    assert.deepEqual(await Promise.all([ra, rb]), ['a', 'b']);
  });

  it('releases the lock when a task throws or rejects', async () => {
    const lock = new KeyedLock();
    await assert.rejects(lock.run('s1', async () => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(lock.isBusy('s1'), false);
    const throwsSync = (): Promise<string> => {
      throw new Error('sync boom');
    };
    const failing = lock.run('s1', throwsSync);
    const next = lock.run('s1', async () => 'next');
    await assert.rejects(failing, /sync boom/);
    assert.equal(await next, 'next');
    assert.equal(lock.isBusy('s1'), false);
  });

  it('keeps nothing for idle keys', async () => {
    const lock = new KeyedLock();
    await Promise.all(Array.from({ length: 50 }, (_, index) => lock.run(`k${index % 5}`, async () => index)));
    await assert.rejects(lock.run('x', async () => Promise.reject(new Error('no'))));
    assert.equal(lock.size, 0);
    assert.equal(lock.isBusy('k0'), false);
  });
});
