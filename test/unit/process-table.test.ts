import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { ProcfsProcessTable, parseProcCmdline, parseProcStat, type ProcessInfo } from '../../src/browser/process-table.js';

/** Re-reads until the condition holds or the deadline passes; returns the last value read. */
async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, deadlineMs: number): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() >= deadline) return value;
    await delay(10);
  }
}

describe('parseProcStat / parseProcCmdline', () => {
  it('reads the fields after the last ")" of comm', () => {
    assert.deepEqual(parseProcStat('42 (we(ird) S) name) Z 7 9 4582 0 -1 4194560'), { pid: 42, ppid: 7, pgid: 9, state: 'Z' });
    assert.deepEqual(parseProcStat('5461 (chromium) S 1 5456 4582 0'), { pid: 5461, ppid: 1, pgid: 5456, state: 'S' });
    assert.equal(parseProcStat('garbage'), undefined);
  });

  it('splits NUL-separated arguments and keeps a rewritten title whole', () => {
    assert.deepEqual(parseProcCmdline(Buffer.from('sleep\u000030\u0000')), ['sleep', '30']);
    assert.deepEqual(parseProcCmdline(Buffer.from('/c --type=renderer --x=a b\u0000\u0000')), ['/c --type=renderer --x=a b']);
    assert.deepEqual(parseProcCmdline(Buffer.alloc(0)), []);
  });
});

describe('ProcfsProcessTable', { skip: process.platform !== 'linux' }, () => {
  it('lists a real child with its args, kills it through its group, and sees it gone', async () => {
    const table = new ProcfsProcessTable();
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const exited = once(child, 'exit');
    try {
      await once(child, 'spawn');
      const pid = child.pid;
      assert.ok(pid !== undefined);

      const info = await table.get(pid);
      assert.deepEqual(info, { pid, ppid: process.pid, pgid: pid, state: info?.state, args: ['sleep', '30'] });
      assert.match(info?.state ?? '', /^[RS]$/);
      const listed = (await table.list()).find((entry) => entry.pid === pid);
      assert.deepEqual(listed?.args, ['sleep', '30']);
      assert.ok((await table.list()).some((entry) => entry.pid === process.pid), 'lists this process too');

      assert.equal(table.signalGroup(pid, 'SIGKILL'), true);
      const [code, signal] = await exited;
      assert.equal(code, null);
      assert.equal(signal, 'SIGKILL');

      assert.equal(await table.get(pid), undefined);
      assert.equal(table.signal(pid, 'SIGKILL'), false);
      assert.equal(table.signalGroup(pid, 'SIGKILL'), false);
    } finally {
      if (child.pid !== undefined) table.signalGroup(child.pid, 'SIGKILL'); // leaves nothing behind when a check failed
    }
  });

  it('signalGroup reaches the whole group, grandchildren included', async () => {
    const table = new ProcfsProcessTable();
    // sh leads the group and forks a sleep that stays in it; only a group signal reaches both.
    const child = spawn('sh', ['-c', 'sleep 30 & echo $!; wait'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const exited = once(child, 'exit');
    try {
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      const grandchild = Number(line.toString().trim());
      // between fork and exec the grandchild still shows sh's command line
      const before = await pollUntil(() => table.get(grandchild), (info) => info?.args[0] === 'sleep', 2_000);
      assert.deepEqual(before?.args, ['sleep', '30']);
      assert.equal(before?.pgid, child.pid);

      assert.equal(table.signalGroup(child.pid ?? 0, 'SIGKILL'), true);
      assert.deepEqual((await exited).slice(1), ['SIGKILL']);
      // The orphaned sleep is reaped by init, not by us: killed means gone or a zombie.
      const dead = (info: ProcessInfo | undefined): boolean => info === undefined || info.state === 'Z' || !info.args.includes('30');
      const after = await pollUntil(() => table.get(grandchild), dead, 2_000);
      assert.ok(dead(after), `still alive: ${JSON.stringify(after)}`);
    } finally {
      if (child.pid !== undefined) table.signalGroup(child.pid, 'SIGKILL'); // leaves nothing behind when a check failed
    }
  });

  it('refuses PIDs that would signal more than one process, and its own group', async () => {
    const table = new ProcfsProcessTable();
    assert.throws(() => table.signal(0, 'SIGTERM'), RangeError);
    assert.throws(() => table.signal(-5, 'SIGTERM'), RangeError);
    assert.throws(() => table.signalGroup(1, 'SIGTERM'), RangeError);
    const own = await table.get(process.pid);
    assert.ok(own);
    assert.throws(() => table.signalGroup(own.pgid, 'SIGTERM'), RangeError);
    assert.equal(await table.get(0), undefined);
    assert.equal(await table.get(2 ** 22 + 12345), undefined);
  });
});
