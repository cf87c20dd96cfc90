/**
 * What an operator watches (real server, Chromium, whatsapp-web.js, sandbox, a webhook receiver on loopback):
 * readiness, the Prometheus metrics of a live session, the access log, and a page that stops answering while its
 * browser runs, which the server must restart as it restarts a crash.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, isAlive, linkSession, loggedEvents, pollUntil, sessionProcesses, waitForStatus } from './harness.js';
import { WebhookReceiver } from './receiver.js';
import { isMainBrowser } from '../../src/browser/profile-processes.js';
import { seriesValue } from '../support/prometheus.js';

const API_KEY = 'operations-key-0001';
const CONTACT = '15557770701@c.us';


describe('readiness, metrics, access log and a page that stops answering', () => {
  let server: ServerProcess;
  let receiver: WebhookReceiver;
  const scrape = async (): Promise<string> => {
    const answer = await fetch(`${await server.baseUrl}/metrics`, { headers: { 'x-api-key': API_KEY } });
    assert.equal(answer.status, 200);
    return answer.text();
  };

  before(async () => {
    receiver = await WebhookReceiver.start();
    server = await ServerProcess.start({
      env: { API_KEY, WEBHOOK_ALLOW_HOSTS: '127.0.0.1' },
      args: ['--probe-interval-ms', '1000', '--page-ping-timeout-ms', '1000', '--page-unresponsive-ms', '5000', '--restart-cooldown-ms', '0'],
    });
    await linkSession(server, 'ops', '15550000701', { webhooks: [{ url: receiver.url, events: ['message'] }] });
  });
  after(async () => {
    await server?.cleanup();
    await receiver?.down();
  });

  test('ready once booted; /metrics needs the key and reports the session, its browser, page, messages and webhooks', async () => {
    const base = await server.baseUrl;
    const ready = await fetch(`${base}/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready' });
    assert.equal((await fetch(`${base}/metrics`)).status, 401);

    for (const body of ['first', 'second']) {
      const written = await server.api('POST', '/api/v1/sessions/ops/sandbox/incoming', { from: CONTACT, body });
      assert.equal(written.status, 201, JSON.stringify(written.body));
    }
    const sent = await server.api('POST', '/api/v1/sessions/ops/send-text', { chatId: CONTACT, content: 'an answer' });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    await pollUntil(() => receiver.of('message').length >= 2, { what: 'both messages delivered to the webhook' });

    let text = '';
    await pollUntil(
      async () => {
        text = await scrape();
        return (
          seriesValue(text, 'wamux_session_page_responsive{session="ops"}') === 1 &&
          seriesValue(text, 'wamux_messages_total{direction="out",session="ops"}') === 1 &&
          seriesValue(text, 'wamux_webhook_deliveries_total{outcome="delivered",session="ops"}') === 2
        );
      },
      { what: 'a probe of the page, the sent message and both deliveries in the metrics' },
    );
    assert.equal(seriesValue(text, 'wamux_sessions{status="WORKING"}'), 1);
    assert.equal(seriesValue(text, 'wamux_messages_total{direction="in",session="ops"}'), 2);
    assert.equal(seriesValue(text, 'wamux_session_browser_up{session="ops"}'), 1);
    const processes = (await sessionProcesses(server, 'ops')).length;
    assert.ok(Math.abs(seriesValue(text, 'wamux_session_browser_processes{session="ops"}')! - processes) <= 1, `about ${processes} processes`);
    assert.ok(seriesValue(text, 'wamux_session_browser_pss_bytes{session="ops"}')! > 50 * 1024 * 1024, 'a real browser holds more than 50 MiB');
    assert.ok(seriesValue(text, 'wamux_session_browser_anon_pss_bytes{session="ops"}')! > 0);
    assert.equal(seriesValue(text, 'wamux_webhook_queue_depth{session="ops"}'), 0);
    assert.equal(seriesValue(text, 'wamux_webhook_oldest_pending_age_seconds{session="ops"}'), 0);
    assert.ok(seriesValue(text, 'wamux_session_seconds_since_last_event{session="ops"}')! < 60);
    assert.ok(seriesValue(text, 'wamux_event_log_append_seconds_count')! >= 3);
    assert.equal(seriesValue(text, 'wamux_http_request_duration_seconds_count{method="POST",route="/api/v1/sessions/:id/send-text",status="201"}'), 1);
    assert.ok(seriesValue(text, 'process_resident_memory_bytes')! > 0);
    assert.doesNotMatch(text, new RegExp(`${API_KEY}|15557770701`), 'no key and no chat id in the metrics');
  });

  test('one access log line per request, with its route, status and session, and no key from the URL', async () => {
    const leaked = 'query-key-never-logged';
    const answer = await fetch(`${await server.baseUrl}/api/v1/sessions/ops?apiKey=${leaked}`, {
      headers: { 'x-api-key': API_KEY, 'x-request-id': 'trace-0701' },
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('x-request-id'), 'trace-0701');
    let line: Record<string, unknown> | undefined;
    await pollUntil(
      () => {
        line = server
          .fullLogs()
          .split('\n')
          .slice(0, -1) // the last piece may be a line still being written
          .filter((candidate) => candidate.includes('"trace-0701"'))
          .map((candidate) => JSON.parse(candidate) as Record<string, unknown>)[0];
        return line !== undefined;
      },
      { what: 'the access log line of the request' },
    );
    assert.equal(line?.message, 'request');
    assert.equal(line?.method, 'GET');
    assert.equal(line?.route, '/api/v1/sessions/:id');
    assert.equal(line?.status, 200);
    assert.equal(line?.session, 'ops');
    assert.equal(typeof line?.durationMs, 'number');
    assert.doesNotMatch(server.fullLogs(), new RegExp(`${leaked}|${API_KEY}`));
  });

  test('a scoped key reads its session and its metrics, and may not send or see another session', async () => {
    const other = await server.api('POST', '/api/v1/sessions', { sessionId: 'other', start: false });
    assert.equal(other.status, 201, JSON.stringify(other.body));
    const created = await server.api<{ key: string }>('POST', '/api/v1/keys', { name: 'dashboard', sessions: ['ops'], roles: ['read'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const as = (route: string, method = 'GET', body?: unknown) => server.api(method, route, body, { 'x-api-key': created.body.key });
    const listed = await as('/api/v1/sessions');
    assert.deepEqual((listed.body as { sessions: { id: string }[] }).sessions.map((session) => session.id), ['ops']);
    assert.equal((await as('/api/v1/sessions/other')).status, 404);
    assert.equal((await as('/api/v1/sessions/ops/send-text', 'POST', { chatId: CONTACT, content: 'no' })).status, 403);
    const metrics = await (await fetch(`${await server.baseUrl}/metrics`, { headers: { 'x-api-key': created.body.key } })).text();
    assert.match(metrics, /wamux_session_browser_up\{session="ops"\} 1/);
    assert.doesNotMatch(metrics, /session="other"|^process_/m);
    assert.ok(!server.fullLogs().includes(created.body.key), 'the key is in no log line');
    assert.equal((await server.api('DELETE', '/api/v1/sessions/other')).status, 200);
  });

  test('a page that stops answering while its browser runs is restarted like a crash: new browser, WORKING, counted', async () => {
    const before = await server.api<{ browserPid: number }>('GET', '/api/v1/sessions/ops');
    const oldPid = before.body.browserPid;
    assert.ok(oldPid > 0);
    const hung = await server.api('POST', '/api/v1/sessions/ops/sandbox/hang-page');
    assert.equal(hung.status, 200, JSON.stringify(hung.body));
    await pollUntil(async () => seriesValue(await scrape(), 'wamux_session_page_responsive{session="ops"}') === 0, {
      what: 'the metrics to show the page not answering',
    });

    let now: { status: string; browserPid?: number } = { status: '' };
    await pollUntil(
      async () => {
        now = (await server.api<{ status: string; browserPid?: number }>('GET', '/api/v1/sessions/ops')).body;
        return now.status === 'WORKING' && now.browserPid !== undefined && now.browserPid !== oldPid;
      },
      { what: 'a new browser, WORKING', timeoutMs: 60_000 },
    );
    assert.equal(await isAlive(oldPid), false, 'the hung browser is gone');
    const mains = (await sessionProcesses(server, 'ops')).filter(isMainBrowser);
    assert.deepEqual(mains.map((info) => info.pid), [now.browserPid], 'one browser for the session');

    const statuses = (await loggedEvents(server, 'ops')).filter((event) => event.event === 'session.status');
    assert.ok(
      statuses.some((event) => /the page has not answered for \d+ s while its browser runs/.test(String(event.payload.reason))),
      'the status event says why',
    );
    const text = await scrape();
    assert.equal(seriesValue(text, 'wamux_session_crashes_total{session="ops"}'), 1);
    assert.equal(seriesValue(text, 'wamux_session_restarts_total{session="ops"}'), 1);
    const sent = await server.api('POST', '/api/v1/sessions/ops/send-text', { chatId: CONTACT, content: 'back' });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    await waitForStatus(server, 'ops', 'WORKING');
  });
});
