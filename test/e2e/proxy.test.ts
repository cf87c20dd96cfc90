/**
 * Sessions behind a SOCKS5 proxy that requires a password (real server, Chromium, whatsapp-web.js, sandbox, and a
 * SOCKS5 proxy on loopback that sends web.whatsapp.com to the session's sandbox and refuses everything else): the
 * browser reaches WhatsApp only through it, a wrong password fails the start with the reason, and the password
 * appears in no answer, log line, event, metric or command line.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, loggedEvents, pollUntil, sessionProcesses, waitForStatus } from './harness.js';
import { SocksProxy } from '../support/socks-proxy.js';

const PASSWORD = 'proxy-pass-0801';
const CONTACT = '15557770801@c.us';

describe('sessions behind a SOCKS5 proxy with a password', () => {
  let server: ServerProcess;
  let proxy: SocksProxy;
  /** Where web.whatsapp.com is: the sandbox endpoint of the session being tried. */
  let sandboxAddress: { host: string; port: number } | undefined;

  before(async () => {
    proxy = await SocksProxy.start({ username: 'desk', password: PASSWORD }, (host, port) =>
      host === 'web.whatsapp.com' && port === 443 ? sandboxAddress : undefined,
    );
    server = await ServerProcess.start();
  });
  after(async () => {
    await server?.cleanup();
    await proxy?.close();
  });

  const create = async (sessionId: string, password: string) => {
    const created = await server.api('POST', '/api/v1/sessions', {
      sessionId,
      start: false,
      config: { proxyServerCredentials: { address: `socks5://desk:${password}@127.0.0.1:${proxy.port}` } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const endpoint = await server.api<{ address: string }>('GET', `/api/v1/sessions/${sessionId}/sandbox/endpoint`);
    assert.equal(endpoint.status, 200, JSON.stringify(endpoint.body));
    const [host, port] = endpoint.body.address.split(':');
    sandboxAddress = { host: host!, port: Number(port) };
  };

  test('logs in and sends with every connection through the proxy', async () => {
    await create('proxied', PASSWORD);
    assert.equal((await server.api('POST', '/api/v1/sessions/proxied/start')).status, 202);
    await waitForStatus(server, 'proxied', 'SCAN_QR_CODE');
    const scan = await server.api('POST', '/api/v1/sessions/proxied/sandbox/scan', { phone: '15550000801' });
    assert.equal(scan.status, 200, JSON.stringify(scan.body));
    await waitForStatus(server, 'proxied', 'WORKING');
    const sent = await server.api('POST', '/api/v1/sessions/proxied/send-text', { chatId: CONTACT, content: 'through the proxy' });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    await pollUntil(
      async () =>
        (await server.api<{ messages: { body: string }[] }>('GET', '/api/v1/sessions/proxied/sandbox/outbox')).body.messages.some(
          (message) => message.body === 'through the proxy',
        ),
      { what: "the message in the phone's outbox" },
    );

    assert.ok(proxy.connections >= 2, `the check and the page went through the proxy (${proxy.connections} connections)`);
    // Chromium's own requests (update.googleapis.com, accounts.google.com) reach the proxy too; this one refuses them
    assert.equal(proxy.requested[0], 'web.whatsapp.com', 'the check, then the page');
    const browsers = await sessionProcesses(server, 'proxied');
    assert.ok(browsers.length > 0);
    const commandLines = browsers.map((info) => info.args.join(' ')).join('\n');
    assert.match(commandLines, /--proxy-server=http:\/\/127\.0\.0\.1:\d+/, 'Chromium talks to the local forwarder');
    assert.ok(!commandLines.includes(PASSWORD), 'no password on a command line');

    const shown = await server.api<{ config: { proxyServerCredentials: Record<string, unknown> } }>('GET', '/api/v1/sessions/proxied');
    assert.deepEqual(shown.body.config.proxyServerCredentials, { protocol: 'socks5', address: `127.0.0.1:${proxy.port}`, username: 'desk', passwordSet: true });
  });

  test('a wrong password fails the start with the reason, and leaves no browser', async () => {
    await create('refused', 'not-the-password');
    const failures = proxy.authFailures;
    assert.equal((await server.api('POST', '/api/v1/sessions/refused/start')).status, 202);
    const failed = await waitForStatus(server, 'refused', 'FAILED');
    assert.match(String(failed.reason), new RegExp(`proxy socks5://127\\.0\\.0\\.1:${proxy.port}: the proxy refused the username or password`));
    assert.ok(proxy.authFailures > failures);
    await pollUntil(async () => (await sessionProcesses(server, 'refused')).length === 0, { what: 'no browser for the refused session' });
  });

  test('the password is in no answer, log line, event or metric', async () => {
    const answers = await Promise.all(
      ['/api/v1/sessions', '/api/v1/sessions/proxied', '/api/v1/sessions/refused/logs', '/metrics'].map(async (route) => {
        const answer = await fetch(`${await server.baseUrl}${route}`, { headers: server.apiKey ? { 'x-api-key': server.apiKey } : {} });
        assert.equal(answer.status, 200, route);
        return answer.text();
      }),
    );
    assert.match(answers[3]!, /wamux_sessions\{status="WORKING"\} 1/, 'the metrics were read');
    const events = JSON.stringify([...(await loggedEvents(server, 'proxied')), ...(await loggedEvents(server, 'refused'))]);
    for (const text of [...answers, events, server.fullLogs()]) assert.ok(!text.includes(PASSWORD));
    assert.ok(!server.fullLogs().includes('not-the-password'));
  });
});
