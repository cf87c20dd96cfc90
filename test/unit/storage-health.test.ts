/** GET /ready's storage part: the sessions folder must take writes and have room. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { storageProblems } from '../../src/storage/storage-health.js';

test('a writable folder with room is fine; too little room or no folder is a reason', async () => {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'wamux-storage-'));
  try {
    assert.deepEqual(await storageProblems(folder, 1), []);
    const [full] = await storageProblems(folder, 1024 * 1024 * 1024);
    assert.match(full ?? '', /^the disk of the sessions folder is nearly full: \d+ MiB free, under 1073741824 MiB$/);
    const [missing] = await storageProblems(path.join(folder, 'gone'), 1);
    assert.match(missing ?? '', /^the sessions folder is not writable: .*ENOENT/);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});
