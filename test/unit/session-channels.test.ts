import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SessionChannels, EVENT_LOG_FILE } from '../../src/events/session-channels.js';
import { AppError, SessionNotFoundError } from '../../src/shared/errors.js';
import { createSilentLogger } from '../../src/shared/logger.js';
import { createOutboundPolicy } from '../../src/net/outbound-policy.js';

async function fixture() {
  const root = await mkdtemp(path.join(os.tmpdir(), 'wamux-channels-'));
  const active = new Set<string>();
  const channels = new SessionChannels({
    folderOf: (sessionId) => path.join(root, sessionId),
    assertUsable: (sessionId: string) => {
      if (!active.has(sessionId)) throw new SessionNotFoundError(sessionId);
    },
    targetsOf: () => new Map(),
    policy: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100, timeoutMs: 1_000 },
    outboundPolicy: createOutboundPolicy({ allowHosts: [] }),
    logger: createSilentLogger(),
  });
  return { root, active, channels, cleanup: () => rm(root, { recursive: true, force: true }) };
}

test('the event log is created readable by the server user only (0600), and an older log is narrowed to that', async (t) => {
  const { root, active, channels, cleanup } = await fixture();
  t.after(cleanup);
  active.add('desk');
  mkdirSync(path.join(root, 'desk'));
  channels.get('desk').log.append({ id: 'evt_1', timestamp: 'now', event: 'qr', session: 'desk', me: null, payload: {} });
  for (const file of [EVENT_LOG_FILE, `${EVENT_LOG_FILE}-wal`]) {
    assert.equal(statSync(path.join(root, 'desk', file)).mode & 0o777, 0o600, file);
  }
  await channels.close('desk');
  chmodSync(path.join(root, 'desk', EVENT_LOG_FILE), 0o644);
  channels.get('desk');
  assert.equal(statSync(path.join(root, 'desk', EVENT_LOG_FILE)).mode & 0o777, 0o600);
  await channels.closeAll();
});

test('a session that is gone or being deleted: its log is not opened and its folder not re-created', async (t) => {
  const { root, active, channels, cleanup } = await fixture();
  t.after(cleanup);
  assert.throws(() => channels.get('gone'), (error: unknown) => (error as AppError).code === 'SESSION_NOT_FOUND');
  assert.equal(existsSync(path.join(root, 'gone')), false);
  // loaded but its folder was removed under it: opening fails, it does not bring the folder back
  active.add('removed');
  assert.throws(() => channels.get('removed'));
  assert.equal(existsSync(path.join(root, 'removed')), false);
});

test('an unreadable log is a 409 naming the session, not a crash, and the file is left as it was', async (t) => {
  const { root, active, channels, cleanup } = await fixture();
  t.after(cleanup);
  active.add('corrupt');
  mkdirSync(path.join(root, 'corrupt'));
  const file = path.join(root, 'corrupt', EVENT_LOG_FILE);
  writeFileSync(file, 'this is not a database, but it is somebody\'s data'.repeat(100));
  const before = statSync(file).size;
  assert.throws(() => channels.get('corrupt'), (error: unknown) => (error as AppError).code === 'EVENT_LOG_UNREADABLE' && (error as AppError).status === 409);
  assert.equal(statSync(file).size, before);
});
