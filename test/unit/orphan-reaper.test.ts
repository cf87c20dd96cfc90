import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { reapProfile } from '../../src/browser/orphan-reaper.js';
import type { ProcessInfo } from '../../src/browser/process-table.js';
import { TimeoutError } from '../../src/shared/errors.js';
import { FakeProcessTable } from '../fakes/fake-process-table.js';

const HOST = 'wamux-host-1';
const CHROMIUM = '/usr/lib/chromium/chromium';

function browser(pid: number, profile: string): ProcessInfo[] {
  return [
    { pid, ppid: 1, pgid: pid, state: 'S', args: [CHROMIUM, '--headless=new', `--user-data-dir=${profile}`, 'about:blank'] },
    { pid: pid + 1, ppid: pid, pgid: pid, state: 'S', args: [`${CHROMIUM} --type=zygote --user-data-dir=${profile} --no-sandbox`] },
    { pid: pid + 2, ppid: pid + 1, pgid: pid, state: 'S', args: [`${CHROMIUM} --type=renderer --user-data-dir=${profile} --lang=en-US`] },
  ];
}

describe('reapProfile', () => {
  let root = '';
  let profile = '';
  let table: FakeProcessTable;
  const lockPath = (): string => path.join(profile, 'SingletonLock');
  const lockExists = async (): Promise<boolean> => lstat(lockPath()).then(() => true, () => false);
  const writeLock = async (target: string): Promise<void> => {
    await symlink(target, lockPath());
    await symlink('/tmp/org.chromium.Chromium.x/SingletonSocket', path.join(profile, 'SingletonSocket'));
    await symlink('123456789', path.join(profile, 'SingletonCookie'));
  };
  const reap = (isOwned: (pid: number) => boolean = () => false) => reapProfile(profile, { table, hostname: HOST, isOwned, deadlineMs: 1_000 });

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'wamux-reap-'));
    profile = path.join(root, 's1', 'session-s1');
    await mkdir(profile, { recursive: true });
    table = new FakeProcessTable();
    for (const info of browser(900, path.join(root, 's2', 'session-s2'))) table.add(info); // a neighbour session
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  it('removes a lock of another host and kills nothing', async () => {
    await writeLock('otherhost-123');
    table.add({ pid: 123, ppid: 1, pgid: 123, state: 'S', args: [CHROMIUM, `--user-data-dir=${root}/elsewhere`] });
    assert.deepEqual(await reap(), { killedPids: [], staleLockRemoved: true });
    assert.equal(await lockExists(), false);
    await assert.rejects(lstat(path.join(profile, 'SingletonSocket')), { code: 'ENOENT' });
    await assert.rejects(lstat(path.join(profile, 'SingletonCookie')), { code: 'ENOENT' });
    assert.deepEqual(table.signals, []);
  });

  it('a lock of another host whose PID happens to be our browser here is still only removed', async () => {
    await writeLock('otherhost-900');
    assert.deepEqual(await reap(), { killedPids: [], staleLockRemoved: true });
    assert.deepEqual(table.signals, []);
  });

  it('removes a lock naming a dead PID on this host', async () => {
    await writeLock(`${HOST}-4242`);
    assert.deepEqual(await reap(), { killedPids: [], staleLockRemoved: true });
    assert.equal(await lockExists(), false);
    assert.deepEqual(table.signals, []);
  });

  it('never kills a reused PID whose cmdline is not this profile, and removes the lock', async () => {
    await writeLock(`${HOST}-900`); // 900 is now the neighbour's browser
    table.add({ pid: 77, ppid: 1, pgid: 77, state: 'S', args: ['/bin/sleep', '30'] });
    assert.deepEqual(await reap(), { killedPids: [], staleLockRemoved: true });
    assert.deepEqual(table.signals, []);
    assert.deepEqual(table.pids(), [77, 900, 901, 902]);
  });

  it('treats a zombie lock owner as dead', async () => {
    await writeLock(`${HOST}-500`);
    table.add({ pid: 500, ppid: 1, pgid: 500, state: 'Z', args: [] });
    assert.deepEqual(await reap(), { killedPids: [], staleLockRemoved: true });
    assert.deepEqual(table.signals, []);
  });

  it('kills a live orphan browser named by the lock, with its children, then removes the lock', async () => {
    await writeLock(`${HOST}-500`);
    for (const info of browser(500, profile)) table.add(info);
    const result = await reap();
    assert.deepEqual({ ...result, killedPids: [...result.killedPids].sort() }, { killedPids: [500, 501, 502], staleLockRemoved: true, ownerPid: 500 });
    assert.ok(table.signals.some((s) => s.kind === 'group' && s.target === 500 && s.signal === 'SIGKILL'));
    assert.deepEqual(table.pids(), [900, 901, 902]);
    assert.equal(await lockExists(), false);
  });

  it('kills an orphan browser of the profile when the lock is already gone', async () => {
    for (const info of browser(500, profile)) table.add(info);
    const result = await reap();
    assert.deepEqual([...result.killedPids].sort(), [500, 501, 502]);
    assert.equal(result.staleLockRemoved, false);
    assert.deepEqual(table.pids(), [900, 901, 902]);
  });

  it('leaves an owned browser and its lock untouched', async () => {
    await writeLock(`${HOST}-500`);
    for (const info of browser(500, profile)) table.add(info);
    assert.deepEqual(await reap((pid) => pid === 500), { killedPids: [], staleLockRemoved: false, ownerPid: 500 });
    assert.deepEqual(table.signals, []);
    assert.equal(await lockExists(), true);
  });

  it('kills an unowned stray beside an owned browser but keeps the lock', async () => {
    await writeLock(`${HOST}-500`);
    for (const info of browser(500, profile)) table.add(info);
    table.add({ pid: 600, ppid: 1, pgid: 600, state: 'S', args: [CHROMIUM, `--user-data-dir=${profile}`] });
    assert.deepEqual(await reap((pid) => pid === 500), { killedPids: [600], staleLockRemoved: false, ownerPid: 500 });
    assert.equal(await lockExists(), true);
  });

  it('does nothing on a clean profile', async () => {
    assert.deepEqual(await reap(), { killedPids: [], staleLockRemoved: false });
    assert.deepEqual(table.signals, []);
  });

  it('rejects with TimeoutError when the orphan will not die, and keeps its lock', async () => {
    await writeLock(`${HOST}-500`);
    table.add({ pid: 500, ppid: 1, pgid: 500, state: 'D', args: [CHROMIUM, `--user-data-dir=${profile}`] }, { survivesKill: true });
    await assert.rejects(reapProfile(profile, { table, hostname: HOST, isOwned: () => false, deadlineMs: 30 }), TimeoutError);
    assert.equal(await lockExists(), true);
  });
});
