/**
 * Sessions that sleep, end to end: the real server process, real Chromium and whatsapp-web.js against the sandbox,
 * driven over HTTP, with a webhook receiver on loopback. Polls with deadlines; processes are found by command line.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ServerProcess, browsersOf, linkSession, pollUntil, processesUnder, waitForStatus } from './harness.js';
import { WebhookReceiver } from './receiver.js';

interface Envelope {
  id: string;
  event: string;
  payload: Record<string, unknown>;
}
interface Change {
  from: string;
  to: string;
  reason: string;
}

const ENV = { WEBHOOK_ALLOW_HOSTS: '127.0.0.1', WEBHOOK_BASE_DELAY_MS: '250', WEBHOOK_MAX_DELAY_MS: '2000' };

async function eventsOf(server: ServerProcess, sessionId: string): Promise<Envelope[]> {
  const response = await server.api<{ events: Envelope[] }>('GET', `/api/v1/sessions/${sessionId}/events?limit=1000`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.events;
}

async function historyOf(server: ServerProcess, sessionId: string): Promise<Change[]> {
  return (await server.api<{ history: Change[] }>('GET', `/api/v1/sessions/${sessionId}/status`)).body.history;
}

async function incoming(server: ServerProcess, sessionId: string, from: string, body: string): Promise<{ status: number; id: string; queued: boolean }> {
  const response = await server.api<{ id: string; queued: boolean }>('POST', `/api/v1/sessions/${sessionId}/sandbox/incoming`, { from, body });
  assert.ok(response.status === 201 || response.status === 202, JSON.stringify(response.body));
  return { status: response.status, ...response.body };
}

/** Waits until the session's log has a `message` event for this message id; returns every such event. */
async function messageEvents(server: ServerProcess, sessionId: string, messageId: string): Promise<Envelope[]> {
  const matching = async () => (await eventsOf(server, sessionId)).filter((event) => event.event === 'message' && event.payload.id === messageId);
  await pollUntil(async () => (await matching()).length > 0, { what: `the message event of ${messageId}`, timeoutMs: 60_000 });
  return matching();
}

describe('sessions that sleep (real server, Chromium, whatsapp-web.js, sandbox)', () => {
  let server: ServerProcess;
  let hook: WebhookReceiver;
  const servers: ServerProcess[] = [];

  before(async () => {
    hook = await WebhookReceiver.start();
    server = await ServerProcess.start({ env: ENV });
    servers.push(server);
  });
  after(async () => {
    for (const started of servers) await started.cleanup({ keepSessionsDir: started !== servers.at(-1) });
    await hook?.down();
  });

  test('an idle session sleeps with no browser; a message written meanwhile is held; a send wakes it and the message arrives once', async (t) => {
    await linkSession(server, 'sleepy', '15550000301', {
      hibernateAfterMinutes: 0.1,
      webhooks: [{ url: hook.url, events: ['message', 'session.status'] }],
    });
    const asleep = await waitForStatus(server, 'sleepy', 'HIBERNATED', 30_000);
    assert.match(String(asleep.reason), /idle for 6 s/);
    assert.deepEqual(await browsersOf(server.profileDir('sleepy')), [], 'no Chromium process names its profile');
    const listed = await server.api<{ browserPid?: number; me?: unknown; config: { hibernateAfterMinutes: number } }>('GET', '/api/v1/sessions/sleepy');
    assert.equal(listed.body.browserPid, undefined);
    assert.deepEqual(listed.body.me, { id: '15550000301@c.us', pushName: 'Desk sleepy' }, 'still listed as the linked account');
    assert.equal(listed.body.config.hibernateAfterMinutes, 0.1);

    const held = await incoming(server, 'sleepy', '15557770301', 'written while you slept');
    assert.equal(held.status, 202);
    assert.equal(held.queued, true);
    assert.equal((await server.api('GET', '/api/v1/sessions/sleepy/status')).body.status, 'HIBERNATED', 'reads do not wake it');
    assert.equal((await eventsOf(server, 'sleepy')).filter((event) => event.event === 'message').length, 0, 'nothing before it wakes');

    const wakeStarted = Date.now();
    const sent = await server.api<{ id: string }>('POST', '/api/v1/sessions/sleepy/send-text', { chatId: '15557770301', content: 'good morning' });
    t.diagnostic(`wake -> send completed: ${Date.now() - wakeStarted} ms`);
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    // the send answers once the page holds the message; it reaches the phone a moment later, as on WhatsApp
    await pollUntil(
      async () =>
        (await server.api<{ messages: { id: string; body: string }[] }>('GET', '/api/v1/sessions/sleepy/sandbox/outbox')).body.messages.some(
          (message) => message.id === sent.body.id && message.body === 'good morning',
        ),
      { what: 'the phone got it' },
    );
    const live = await incoming(server, 'sleepy', '15557770301', 'and one while you are awake');
    assert.equal(live.status, 201, 'delivered to the page at once');

    const [heldEvent, ...again] = await messageEvents(server, 'sleepy', held.id);
    const [liveEvent] = await messageEvents(server, 'sleepy', live.id);
    assert.deepEqual(again, [], 'the held message is in the log once');
    assert.equal(heldEvent!.payload.body, 'written while you slept');
    assert.equal(heldEvent!.payload.from, '15557770301@c.us');
    assert.equal(heldEvent!.payload.fromMe, false);
    assert.deepEqual(Object.keys(heldEvent!.payload).sort(), Object.keys(liveEvent!.payload).sort(), 'the same payload as a message received awake');
    const log = await eventsOf(server, 'sleepy');
    const status = (event: Envelope, to: string) => event.event === 'session.status' && event.payload.to === to;
    const wokeAt = log.findIndex((event) => status(event, 'STARTING') && /woken: a request needs it/.test(String(event.payload.reason)));
    const workingAt = log.findIndex((event, index) => index > wokeAt && status(event, 'WORKING'));
    const heldAt = log.findIndex((event) => event.id === heldEvent!.id);
    assert.ok(wokeAt >= 0 && workingAt > wokeAt && heldAt > workingAt, `woken, WORKING, then the held message: ${wokeAt} ${workingAt} ${heldAt}`);
    assert.ok(heldEvent!.id < liveEvent!.id, 'the held message before the one written after it');

    await pollUntil(() => hook.of('message').some((delivery) => delivery.envelope.payload.id === live.id), { what: 'the webhook deliveries' });
    const heldDeliveries = hook.of('message').filter((delivery) => delivery.envelope.payload.id === held.id);
    assert.equal(heldDeliveries.length, 1, 'delivered to the webhook once');
    assert.equal(heldDeliveries[0]!.envelope.id, heldEvent!.id);
    const statuses = hook.of('session.status').map((delivery) => delivery.envelope.payload.to);
    assert.ok(statuses.includes('HIBERNATED'), `the webhook saw the sleep: ${statuses.join(' ')}`);

    await waitForStatus(server, 'sleepy', 'HIBERNATED', 30_000);
    assert.deepEqual(await browsersOf(server.profileDir('sleepy')), [], 'asleep again, no browser');
  });

  test('wakeEveryMinutes: a scheduled wake collects a held message into the log, then the session sleeps again', async () => {
    await linkSession(server, 'collector', '15550000302', { hibernateAfterMinutes: 0.05, wakeEveryMinutes: 0.15 });
    await waitForStatus(server, 'collector', 'HIBERNATED', 30_000);
    const held = await incoming(server, 'collector', '15557770302', 'pick me up');
    assert.equal(held.queued, true);
    const [collected, ...again] = await messageEvents(server, 'collector', held.id);
    assert.deepEqual(again, []);
    assert.equal(collected!.payload.body, 'pick me up');
    await pollUntil(
      async () => {
        const history = await historyOf(server, 'collector');
        return history.at(-1)?.to === 'HIBERNATED' && /collected what arrived/.test(history.at(-1)!.reason);
      },
      { what: 'collector asleep again after its scheduled wake', timeoutMs: 60_000 },
    );
    const history = await historyOf(server, 'collector');
    assert.ok(history.some((change) => change.to === 'STARTING' && /scheduled/.test(change.reason)), JSON.stringify(history));
    assert.deepEqual(await browsersOf(server.profileDir('collector')), []);
    assert.equal((await eventsOf(server, 'collector')).filter((event) => event.payload.id === held.id).length, 1, 'once');
  });

  test('a restart keeps sleeping sessions HIBERNATED without a browser; a send then wakes one', async () => {
    await waitForStatus(server, 'sleepy', 'HIBERNATED', 30_000);
    await pollUntil(async () => (await historyOf(server, 'collector')).at(-1)?.to === 'HIBERNATED', { what: 'collector asleep' });
    assert.equal(await server.stop(), 0, 'graceful shutdown');
    const restarted = await ServerProcess.start({ sessionsDir: server.sessionsDir, env: { ...ENV, RECOVER_SESSIONS: 'true' } });
    servers.push(restarted);
    server = restarted;
    for (const sessionId of ['sleepy', 'collector']) {
      const status = await server.api<{ status: string; history: Change[] }>('GET', `/api/v1/sessions/${sessionId}/status`);
      assert.equal(status.body.status, 'HIBERNATED', `${sessionId}: ${JSON.stringify(status.body)}`);
      assert.deepEqual(status.body.history.map((change) => change.to), ['HIBERNATED'], 'listed asleep, never started');
    }
    assert.deepEqual(await browsersOf(server.profileDir('sleepy')), []);

    const sent = await server.api('POST', '/api/v1/sessions/sleepy/send-text', { chatId: '15557770301', content: 'after the restart' });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    assert.deepEqual((await historyOf(server, 'sleepy')).map((change) => change.to), ['HIBERNATED', 'STARTING', 'WORKING']);
  });

  test('stop and delete while asleep leave no process, and delete leaves nothing on disk', async () => {
    await waitForStatus(server, 'sleepy', 'HIBERNATED', 30_000);
    const deleted = await server.api('DELETE', '/api/v1/sessions/sleepy');
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    assert.equal((await server.api('GET', '/api/v1/sessions/sleepy')).status, 404);
    assert.equal(existsSync(path.join(server.sessionsDir, 'sleepy')), false, 'its folder is gone');

    await pollUntil(async () => (await historyOf(server, 'collector')).at(-1)?.to === 'HIBERNATED', { what: 'collector asleep', timeoutMs: 60_000 });
    const stopped = await server.api<{ status: string }>('POST', '/api/v1/sessions/collector/stop');
    assert.equal(stopped.status, 200, JSON.stringify(stopped.body));
    assert.equal(stopped.body.status, 'STOPPED');
    const wake = await server.api<{ error: { code: string } }>('POST', '/api/v1/sessions/collector/wake');
    assert.equal(wake.status, 409, 'a stopped session is not woken');
    const left = (await processesUnder(server.sessionsDir)).filter((info) => info.pid !== server.pid);
    assert.deepEqual(left, [], 'no process but the server names the sessions folder');
  });
});
