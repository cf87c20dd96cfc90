import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { isMainBrowser } from '../../src/browser/profile-processes.js';
import { ServerProcess, browsersOf, linkSession, waitForStatus } from './harness.js';

describe('sessions folder shared by two processes, and restore at boot', () => {
  const servers: ServerProcess[] = [];
  after(async () => {
    for (const server of servers) await server.cleanup({ keepSessionsDir: true });
    for (const folder of new Set(servers.map((server) => server.sessionsDir))) await rm(folder, { recursive: true, force: true });
  });

  test('a second wamux on the same folder cannot drive a profile the first one owns', async () => {
    const first = await ServerProcess.start();
    servers.push(first);
    await linkSession(first, 'owned', '15550000201');
    const second = await ServerProcess.start({ sessionsDir: first.sessionsDir });
    servers.push(second);
    const listed = await second.api<{ sessions: unknown[] }>('GET', '/api/v1/sessions');
    assert.deepEqual(listed.body.sessions, [], 'the second process does not load what the first one drives');
    assert.match(second.fullLogs(), /session not loaded/);
    assert.match(second.fullLogs(), /driven by another wamux process/);
    const create = await second.api('POST', '/api/v1/sessions', { sessionId: 'owned' });
    assert.equal(create.status, 409);
    assert.equal((create.body as { error: { code: string } }).error.code, 'SESSION_OWNED_ELSEWHERE');
    assert.equal((await browsersOf(first.profileDir('owned'))).filter(isMainBrowser).length, 1, 'no second browser');
    assert.equal((await first.api('GET', '/api/v1/sessions/owned/status')).body.status, 'WORKING');
    assert.equal(await second.stop(), 0);
    servers.pop();
  });

  test('after a restart, sessions left running come back without a scan; a stopped one stays stopped', async () => {
    const first = servers[0]!;
    await linkSession(first, 'paused', '15550000202');
    assert.equal((await first.api('POST', '/api/v1/sessions/paused/stop')).status, 200);
    assert.equal(await first.stop(), 0, 'graceful shutdown');
    const restarted = await ServerProcess.start({ sessionsDir: first.sessionsDir, env: { RECOVER_SESSIONS: 'true' } });
    servers.push(restarted);
    const status = await waitForStatus(restarted, 'owned', 'WORKING');
    assert.deepEqual(status.me, { id: '15550000201@c.us', pushName: 'Desk owned' });
    assert.ok(!(status.history as { to: string }[]).some((change) => change.to === 'SCAN_QR_CODE'), 'no QR code on the way back');
    assert.equal((await restarted.api('GET', '/api/v1/sessions/paused/status')).body.status, 'STOPPED');
    assert.deepEqual(await browsersOf(restarted.profileDir('paused')), []);
  });
});
