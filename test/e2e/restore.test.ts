import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { existsSync } from 'node:fs';
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

  test('a corrupt config.json or events.db does not keep the server down: that session is FAILED with the reason, files kept', async () => {
    const restarted = servers.at(-1)!;
    await linkSession(restarted, 'logbroken', '15550000203');
    assert.equal(await restarted.stop(), 0);
    servers.pop();
    const folder = restarted.sessionsDir;
    const brokenConfig = '{"sessionId": "cfgbroken", "config": {'; // cut off mid-write
    await mkdir(path.join(folder, 'cfgbroken'));
    await writeFile(path.join(folder, 'cfgbroken', 'config.json'), brokenConfig);
    const garbage = Buffer.from('not a database: somebody\'s messages were here '.repeat(200));
    await writeFile(path.join(folder, 'logbroken', 'events.db'), garbage);
    await rm(path.join(folder, 'logbroken', 'events.db-wal'), { force: true });
    await rm(path.join(folder, 'logbroken', 'events.db-shm'), { force: true });

    const booted = await ServerProcess.start({ sessionsDir: folder, env: { RECOVER_SESSIONS: 'true' } });
    servers.push(booted);
    assert.equal((await booted.api('GET', '/health')).status, 200);
    // the healthy session is restored and serves
    await waitForStatus(booted, 'owned', 'WORKING');
    const sent = await booted.api('POST', '/api/v1/sessions/owned/send-text', { chatId: '15559990001', content: 'still serving' });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    for (const [id, why] of [['cfgbroken', /saved config could not be read/], ['logbroken', /event log could not be opened/]] as const) {
      const status = await booted.api<{ status: string; reason: string }>('GET', `/api/v1/sessions/${id}/status`);
      assert.equal(status.body.status, 'FAILED', `${id}: ${JSON.stringify(status.body)}`);
      assert.match(status.body.reason, why);
      const start = await booted.api<{ error: { code: string } }>('POST', `/api/v1/sessions/${id}/start`);
      assert.equal(start.status, 409, JSON.stringify(start.body));
      assert.equal(start.body.error.code, 'SESSION_UNUSABLE');
      assert.deepEqual(await browsersOf(booted.profileDir(id)), [], `no browser for ${id}`);
    }
    const messages = await booted.api<{ error: { code: string } }>('GET', '/api/v1/sessions/logbroken/messages');
    assert.equal(messages.status, 409, JSON.stringify(messages.body));
    assert.equal(await readFile(path.join(folder, 'cfgbroken', 'config.json'), 'utf8'), brokenConfig, 'the config is left as it was');
    assert.equal(existsSync(path.join(folder, 'cfgbroken', 'events.db')), false, 'no event log was written into its folder');
    assert.deepEqual(await readFile(path.join(folder, 'logbroken', 'events.db')), garbage, 'the log is left as it was');
    assert.equal((await booted.api('DELETE', '/api/v1/sessions/cfgbroken')).status, 200, 'a broken session can be deleted');
  });
});

