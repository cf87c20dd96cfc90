import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseSingletonLockTarget, readSingletonLock, removeSingletonFiles } from '../../src/browser/singleton-lock.js';

describe('parseSingletonLockTarget', () => {
  const cases: { target: string; expected: { host: string; pid: number } | undefined }[] = [
    { target: 'vm-5461', expected: { host: 'vm', pid: 5461 } },
    { target: 'my-host-name-12', expected: { host: 'my-host-name', pid: 12 } },
    { target: 'a1b2c3d4e5f6-1', expected: { host: 'a1b2c3d4e5f6', pid: 1 } },
    { target: 'host-', expected: undefined },
    { target: '-123', expected: undefined },
    { target: 'host-12a', expected: undefined },
    { target: 'host-0', expected: undefined },
    { target: 'host', expected: undefined },
  ];
  for (const { target, expected } of cases) {
    it(JSON.stringify(target), () => assert.deepEqual(parseSingletonLockTarget(target), expected));
  }
});

describe('readSingletonLock / removeSingletonFiles', () => {
  let profile = '';
  beforeEach(async () => {
    profile = path.join(await mkdtemp(path.join(tmpdir(), 'wamux-lock-')), 'session-s1');
    await mkdir(profile);
  });
  afterEach(async () => rm(path.dirname(profile), { recursive: true, force: true }));

  it('reads the owner of a real lock symlink', async () => {
    await symlink('build-host-01-4242', path.join(profile, 'SingletonLock'));
    assert.deepEqual(await readSingletonLock(profile), { host: 'build-host-01', pid: 4242 });
  });

  it('is undefined without a lock, with a non-symlink lock, or without the profile', async () => {
    assert.equal(await readSingletonLock(profile), undefined);
    assert.equal(await readSingletonLock(path.join(profile, 'missing')), undefined);
    await writeFile(path.join(profile, 'SingletonLock'), 'x');
    assert.equal(await readSingletonLock(profile), undefined);
  });

  it('removes the three files, not what they point at, and tolerates missing ones', async () => {
    const socketDir = path.join(path.dirname(profile), 'org.chromium.Chromium.abc');
    await mkdir(socketDir);
    await writeFile(path.join(socketDir, 'SingletonSocket'), '');
    await symlink('otherhost-123', path.join(profile, 'SingletonLock'));
    await symlink(path.join(socketDir, 'SingletonSocket'), path.join(profile, 'SingletonSocket'));
    await writeFile(path.join(profile, 'Preferences'), '{}');
    await removeSingletonFiles(profile);
    for (const name of ['SingletonLock', 'SingletonSocket', 'SingletonCookie']) {
      await assert.rejects(lstat(path.join(profile, name)), { code: 'ENOENT' });
    }
    await lstat(path.join(socketDir, 'SingletonSocket'));
    await lstat(path.join(profile, 'Preferences'));
    await removeSingletonFiles(profile);
  });
});
