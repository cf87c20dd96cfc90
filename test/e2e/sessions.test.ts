import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { isMainBrowser } from '../../src/browser/profile-processes.js';
import { ServerProcess, browsersOf, pollUntil, processesUnder, waitForStatus } from './harness.js';

interface Session {
  id: string;
  status: string;
  qr?: string;
  me?: { id: string; pushName: string };
  history: { from: string; to: string; reason: string }[];
}
interface OutboxEntry {
  to: string;
  body: string;
}

const PHONES: Record<string, { phone: string; pushName: string }> = {
  alpha: { phone: '15550000001', pushName: 'Alpha Desk' },
  bravo: { phone: '15550000002', pushName: 'Bravo Desk' },
  charlie: { phone: '15550000003', pushName: 'Charlie Desk' },
};
const IDS = Object.keys(PHONES);

describe('sessions end to end: real server, real Chromium, whatsapp-web.js 1.34.7, sandbox', () => {
  let server: ServerProcess;
  before(async () => {
    server = await ServerProcess.start();
  });
  after(async () => {
    await server?.cleanup();
  });

  test('three sessions created at once each show a QR code', async () => {
    const created = await Promise.all(
      IDS.map((sessionId) => server.api<Session>('POST', '/api/v1/sessions', { sessionId, waitForQR: true })),
    );
    for (const response of created) {
      assert.equal(response.status, 201, JSON.stringify(response.body));
      assert.equal(response.body.status, 'SCAN_QR_CODE', JSON.stringify(response.body));
      assert.match(response.body.qr ?? '', /^[^,]+,[^,]+,[^,]+,[^,]+/);
    }
    const qr = await server.api<{ qr: string; image: string }>('GET', '/api/v1/sessions/alpha/qr');
    assert.equal(qr.status, 200);
    assert.match(qr.body.image, /^data:image\/png;base64,/);
    const png = await server.api<{ raw: Buffer }>('GET', '/api/v1/sessions/alpha/qr/image');
    assert.equal(png.headers.get('content-type'), 'image/png');
    assert.deepEqual([...png.body.raw.subarray(1, 4)], [...Buffer.from('PNG')]);
    for (const sessionId of IDS) assert.equal((await browsersOf(server.profileDir(sessionId))).filter(isMainBrowser).length, 1);
  });

  test('scanning links each session as its own account', async () => {
    for (const sessionId of IDS) {
      const scan = await server.api('POST', `/api/v1/sessions/${sessionId}/sandbox/scan`, PHONES[sessionId]);
      assert.equal(scan.status, 200, JSON.stringify(scan.body));
    }
    for (const sessionId of IDS) {
      const status = await waitForStatus(server, sessionId, 'WORKING');
      assert.deepEqual(status.me, { id: `${PHONES[sessionId]!.phone}@c.us`, pushName: PHONES[sessionId]!.pushName });
    }
    const again = await server.api('POST', '/api/v1/sessions/alpha/sandbox/scan', {});
    assert.equal(again.status, 409);
  });

  test('send-text lands in that session outbox only', async () => {
    for (const sessionId of IDS) {
      const sent = await server.api<{ id: string; message: { body: string; fromMe: boolean; to: string } }>(
        'POST',
        `/api/v1/sessions/${sessionId}/send-text`,
        { chatId: '15559990000', content: `hello from ${sessionId}` },
      );
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      assert.ok(sent.body.id);
      assert.equal(sent.body.message.fromMe, true);
      assert.equal(sent.body.message.to, '15559990000@c.us');
    }
    for (const sessionId of IDS) {
      let outbox: OutboxEntry[] = [];
      await pollUntil(
        async () => {
          outbox = (await server.api<{ messages: OutboxEntry[] }>('GET', `/api/v1/sessions/${sessionId}/sandbox/outbox`)).body.messages;
          return outbox.length > 0;
        },
        { what: `${sessionId} outbox` },
      );
      assert.deepEqual(
        outbox.map((entry) => [entry.to, entry.body]),
        [['15559990000@c.us', `hello from ${sessionId}`]],
      );
    }
  });

  test('each WORKING session runs on at most 5 Chromium processes (the lean process model)', async () => {
    for (const sessionId of IDS) {
      const processes = await browsersOf(server.profileDir(sessionId));
      const types = processes.map((info) => /--type=(\S+)/.exec(info.args.join(' '))?.[1] ?? 'browser');
      assert.ok(processes.length >= 1 && processes.length <= 5, `${sessionId}: ${types.join(', ')}`);
      assert.equal(types.filter((type) => type === 'browser').length, 1, `${sessionId}: ${types.join(', ')}`);
    }
  });

  test("the browser's client hints agree with its user agent string", async () => {
    const described = server
      .fullLogs()
      .split('\n')
      .map((line) => /"message":"sandbox page: browser: ([^"]*)"/.exec(line)?.[1])
      .find((found) => found !== undefined);
    assert.ok(described, 'the sandbox page told what browser it runs in');
    const [userAgent = '', hints = ''] = described.split(' | client hints: ');
    const version = /Chrome\/(\d+)/.exec(userAgent)?.[1];
    assert.ok(version, userAgent);
    for (const brand of hints.matchAll(/(?:Chromium|Google Chrome) (\d+)/g)) assert.equal(brand[1], version, described);
    if (/Macintosh/.test(userAgent)) assert.doesNotMatch(hints, /on (Linux|Windows)/, described);
  });

  test('an incoming message is visible through the API', async () => {
    const incoming = await server.api('POST', '/api/v1/sessions/alpha/sandbox/incoming', { from: '15557770000', body: 'is anyone there?' });
    assert.equal(incoming.status, 201, JSON.stringify(incoming.body));
    let messages: { from: string; body: string; fromMe: boolean }[] = [];
    await pollUntil(
      async () => {
        messages = (await server.api<{ messages: typeof messages }>('GET', '/api/v1/sessions/alpha/messages')).body.messages;
        return messages.some((message) => message.body === 'is anyone there?');
      },
      { what: 'the incoming message in /messages' },
    );
    const received = messages.find((message) => message.body === 'is anyone there?');
    assert.equal(received?.from, '15557770000@c.us');
    assert.equal(received?.fromMe, false);
    const bravo = (await server.api<{ messages: typeof messages }>('GET', '/api/v1/sessions/bravo/messages')).body.messages;
    assert.ok(!bravo.some((message) => message.body === 'is anyone there?'));
  });

  test('a reply to a sender WhatsApp reports by linked id (@lid) reaches it, exactly as wamux reported its from', async () => {
    const lid = '104857600012345@lid';
    const incoming = await server.api('POST', '/api/v1/sessions/alpha/sandbox/incoming', { from: lid, body: 'write back, please' });
    assert.equal(incoming.status, 201, JSON.stringify(incoming.body));
    let received: { from: string; chatId: string; body: string } | undefined;
    await pollUntil(
      async () => {
        const messages = (await server.api<{ messages: (typeof received & {})[] }>('GET', '/api/v1/sessions/alpha/messages')).body.messages;
        received = messages.find((message) => message.body === 'write back, please');
        return received !== undefined;
      },
      { what: 'the @lid message in /messages' },
    );
    assert.equal(received?.from, lid);
    const reply = await server.api('POST', '/api/v1/sessions/alpha/send-text', { chatId: received!.from, content: 'on it' });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    await pollUntil(
      async () => {
        const outbox = (await server.api<{ messages: OutboxEntry[] }>('GET', '/api/v1/sessions/alpha/sandbox/outbox')).body.messages;
        return outbox.some((entry) => entry.to === lid && entry.body === 'on it');
      },
      { what: 'the reply in the phone outbox, addressed to the @lid' },
    );
    for (const chatId of ['bob', '12@lid', '15550001111@evil', '15550001111@c.us\n', '../../etc@c.us']) {
      const refused = await server.api('POST', '/api/v1/sessions/alpha/send-text', { chatId, content: 'x' });
      assert.equal(refused.status, 400, `${JSON.stringify(chatId)}: ${JSON.stringify(refused.body)}`);
    }
  });

  test('the event log holding every message is readable by the server user only', async () => {
    const { statSync } = await import('node:fs');
    for (const file of ['events.db', 'config.json']) {
      assert.equal(statSync(`${server.sessionsDir}/alpha/${file}`).mode & 0o777, 0o600, file);
    }
    assert.equal(statSync(`${server.sessionsDir}/alpha`).mode & 0o777, 0o700, 'the session folder');
  });

  test('stop closes the browser; start comes back to WORKING without a new scan', async () => {
    const stopped = await server.api<Session>('POST', '/api/v1/sessions/alpha/stop');
    assert.equal(stopped.status, 200);
    assert.equal(stopped.body.status, 'STOPPED');
    assert.deepEqual(await browsersOf(server.profileDir('alpha')), []);
    const started = await server.api<Session>('POST', '/api/v1/sessions/alpha/start');
    assert.equal(started.status, 202);
    const status = await waitForStatus(server, 'alpha', 'WORKING');
    assert.deepEqual(status.me, { id: '15550000001@c.us', pushName: 'Alpha Desk' });
    const history = (status.history as Session['history']).slice(-3).map((change) => change.to);
    assert.deepEqual(history, ['STOPPED', 'STARTING', 'WORKING'], 'no QR code on the way back');
    assert.equal((await browsersOf(server.profileDir('alpha'))).filter(isMainBrowser).length, 1);
  });

  test('logout from the phone moves the session out of WORKING and closes its browser', async () => {
    const logout = await server.api('POST', '/api/v1/sessions/bravo/sandbox/logout');
    assert.equal(logout.status, 200);
    const status = await waitForStatus(server, 'bravo', 'FAILED');
    assert.match(String(status.reason), /Logged out from the phone/);
    assert.equal(status.me, undefined);
    await pollUntil(async () => (await browsersOf(server.profileDir('bravo'))).length === 0, { what: 'bravo browser gone' });
    const send = await server.api('POST', '/api/v1/sessions/bravo/send-text', { chatId: '15559990000', content: 'x' });
    assert.equal(send.status, 409);
  });

  test('delete removes the folder and leaves no Chromium on that profile', async () => {
    const profile = server.profileDir('charlie');
    assert.ok(existsSync(profile));
    const deleted = await server.api('DELETE', '/api/v1/sessions/charlie');
    assert.equal(deleted.status, 200);
    assert.equal(existsSync(`${server.sessionsDir}/charlie`), false);
    assert.deepEqual(await browsersOf(profile), []);
    assert.equal((await server.api('GET', '/api/v1/sessions/charlie')).status, 404);
  });

  test('the session logs tell what happened', async () => {
    const logs = await server.api<{ logs: { message: string }[] }>('GET', '/api/v1/sessions/alpha/logs');
    assert.equal(logs.status, 200);
    assert.ok(logs.body.logs.some((line) => /STARTING -> WORKING/.test(line.message)), JSON.stringify(logs.body.logs));
  });

  test('SIGTERM shuts down cleanly: exit 0 and no Chromium left', async () => {
    assert.ok((await processesUnder(server.sessionsDir)).some((info) => info.pid !== server.pid));
    const code = await server.stop();
    assert.equal(code, 0, server.logs());
    assert.deepEqual(await processesUnder(server.sessionsDir), []);
  });
});
