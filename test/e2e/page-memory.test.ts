import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, linkSession, loggedEvents, pollUntil, sessionProcesses } from './harness.js';
import { chromiumArgs, isMainBrowser } from '../../src/browser/profile-processes.js';

interface Envelope {
  event: string;
  payload: Record<string, unknown>;
}
interface OutboxEntry {
  id: string;
  body: string;
  quotedMessageId?: string;
}

const CONTACT = '15557770601@c.us';
const UNLOADED_LINE = /"message":"unloaded old messages from the page".*"session":"trim"|"session":"trim".*"message":"unloaded old messages from the page"/;

describe('old messages leave the page and stay reachable (real server, Chromium, whatsapp-web.js, sandbox)', () => {
  let server: ServerProcess;
  before(async () => {
    server = await ServerProcess.start({
      env: { LOG_LEVEL: 'debug' },
      args: ['--page-messages-kept', '4', '--page-message-min-age-seconds', '0', '--memory-check-interval-ms', '1000'],
    });
    await linkSession(server, 'trim', '15550000601');
  });
  after(async () => {
    await server?.cleanup();
  });

  const events = async () => (await server.api<{ events: Envelope[] }>('GET', '/api/v1/sessions/trim/events?limit=1000')).body.events;
  const waitForEvent = async (what: string, match: (envelope: Envelope) => boolean): Promise<void> => {
    await pollUntil(async () => (await events()).some(match), { what });
  };
  const unloadLines = () => server.fullLogs().split('\n').filter((line) => UNLOADED_LINE.test(line)).length;
  /** Until a sweep unloaded messages after this point: whatever the last step loaded back is out of the page again. */
  const waitForUnload = async (): Promise<void> => {
    const seen = unloadLines();
    await pollUntil(async () => unloadLines() > seen, { what: 'a sweep that unloads old messages from the page', timeoutMs: 15_000 });
  };

  test("the browser runs in Chromium's low-end device mode (--chromium-low-end-mode, on by default), and so does its page", async () => {
    const processes = await sessionProcesses(server, 'trim');
    // Chromium passes the switch on to its renderers; zygotes and utility processes go without it
    // a child's command line is one rewritten string: chromiumArgs splits it into switches again
    const browserAndPage = processes.map((info) => chromiumArgs(info.args)).filter((args) => !args.some((arg) => arg.startsWith('--type=')) || args.includes('--type=renderer'));
    assert.equal(browserAndPage.length, 2, 'the browser and its page');
    for (const args of browserAndPage) assert.ok(args.includes('--enable-low-end-device-mode'), args.join(' '));
  });

  test('replies, reactions, edits, receipts and history reach messages the page no longer holds', async () => {
    const first = await server.api<{ id: string }>('POST', '/api/v1/sessions/trim/sandbox/incoming', { from: CONTACT, body: 'old question' });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const answer = await server.api<{ id: string }>('POST', '/api/v1/sessions/trim/send-text', { chatId: CONTACT, content: 'old answer' });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    const bodies = ['old question', 'old answer'];
    for (let i = 0; i < 12; i++) {
      const body = `filler ${i}`;
      const sent =
        i % 2 === 0
          ? await server.api('POST', '/api/v1/sessions/trim/send-text', { chatId: CONTACT, content: body })
          : await server.api('POST', '/api/v1/sessions/trim/sandbox/incoming', { from: CONTACT, body });
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      bodies.push(body);
    }
    await waitForEvent('the last filler', (envelope) => envelope.event === 'message' && envelope.payload.body === 'filler 11');
    await waitForUnload();

    // the contact's side: each reaches a message this device unloaded, and comes out as the library's event
    const reacted = await server.api('POST', `/api/v1/sessions/trim/sandbox/messages/${answer.body.id}/react`, { emoji: '🙏' });
    assert.equal(reacted.status, 200, JSON.stringify(reacted.body));
    await waitForEvent('their reaction to an unloaded message', (e) => e.event === 'message.reaction' && e.payload.messageId === answer.body.id);
    await waitForUnload();
    const read = await server.api('POST', `/api/v1/sessions/trim/sandbox/messages/${answer.body.id}/ack`, { ack: 'read' });
    assert.equal(read.status, 200, JSON.stringify(read.body));
    await waitForEvent('the read receipt of an unloaded message', (e) => e.event === 'message.ack' && e.payload.messageId === answer.body.id && e.payload.ack === 3);
    await waitForUnload();
    const edited = await server.api('POST', `/api/v1/sessions/trim/sandbox/messages/${first.body.id}/edit`, { body: 'old question, edited' });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    await waitForEvent('their edit of an unloaded message', (e) => e.event === 'message.edited' && e.payload.messageId === first.body.id);
    await waitForUnload();

    // this session's side
    const ourReaction = await server.api('POST', `/api/v1/sessions/trim/messages/${first.body.id}/react`, { emoji: '👍' });
    assert.equal(ourReaction.status, 200, JSON.stringify(ourReaction.body));
    await waitForUnload();
    const reply = await server.api<{ id: string }>('POST', '/api/v1/sessions/trim/send-text', {
      chatId: CONTACT,
      content: 'replying to the old one',
      quotedMessageId: first.body.id,
    });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    const outbox = (await server.api<{ messages: OutboxEntry[] }>('GET', '/api/v1/sessions/trim/sandbox/outbox')).body.messages;
    assert.equal(outbox.find((entry) => entry.id === reply.body.id)?.quotedMessageId, first.body.id);
    bodies.push('replying to the old one');
    await waitForUnload();

    const history = await server.api<{ messages: { body: string }[] }>('GET', `/api/v1/sessions/trim/chats/${CONTACT}/messages?source=phone&limit=100`);
    assert.equal(history.status, 200, JSON.stringify(history.body));
    const phoneBodies = history.body.messages.map((message) => message.body);
    for (const body of bodies.filter((text) => text !== 'old question')) assert.ok(phoneBodies.includes(body), `'${body}' in the page's history: ${JSON.stringify(phoneBodies)}`);
    assert.ok(phoneBodies.includes('old question, edited'), 'the edit is in the stored message');
  });
});

describe('a browser over the session memory limit is recycled (real server, Chromium, whatsapp-web.js, sandbox)', () => {
  let server: ServerProcess;
  before(async () => {
    // every browser is over 64 MiB: each sweep recycles the session again as soon as it is WORKING
    server = await ServerProcess.start({ args: ['--session-memory-limit-mib', '64', '--memory-check-interval-ms', '1000'] });
    await linkSession(server, 'heavy', '15550000602');
  });
  after(async () => {
    await server?.cleanup();
  });

  const history = async () => {
    const status = await server.api<{ history: { to: string; reason: string }[] }>('GET', '/api/v1/sessions/heavy/status');
    assert.equal(status.status, 200, JSON.stringify(status.body));
    return status.body.history;
  };
  const recycles = async () => (await history()).filter((change) => change.to === 'HIBERNATED' && /over the session memory limit of 64 MiB: recycled/.test(change.reason)).length;

  test('sends made meanwhile wait and succeed, messages written meanwhile arrive once each, and one browser runs at a time', async () => {
    const sent: string[] = [];
    const written: string[] = [];
    let mostProcesses = 0;
    const deadline = Date.now() + 120_000;
    for (let i = 0; (await recycles()) < 2; i++) {
      assert.ok(Date.now() < deadline, `two recycles within 2 minutes: ${JSON.stringify(await history())}`);
      const send = await server.api<{ id: string }>('POST', '/api/v1/sessions/heavy/send-text', { chatId: CONTACT, content: `sent ${i}` });
      assert.equal(send.status, 201, `send ${i}: ${JSON.stringify(send.body)}`);
      sent.push(send.body.id);
      const write = await server.api<{ id: string }>('POST', '/api/v1/sessions/heavy/sandbox/incoming', { from: CONTACT, body: `written ${i}` });
      assert.ok(write.status === 201 || write.status === 202, `written ${i}: ${JSON.stringify(write.body)}`);
      written.push(write.body.id);
      // browsers the server launched (a child caught between fork and exec still carries its parent's command line)
      const browsers = (await sessionProcesses(server, 'heavy')).filter((info) => isMainBrowser(info) && info.ppid === server.pid);
      mostProcesses = Math.max(mostProcesses, browsers.length);
    }
    assert.ok(mostProcesses <= 1, `at most one browser at a time, saw ${mostProcesses}`);

    const events = () => loggedEvents(server, 'heavy');
    const idsOf = (all: Envelope[], event: string) => all.filter((envelope) => envelope.event === event).map((envelope) => String(envelope.payload.id));
    await pollUntil(async () => {
      const all = await events();
      return written.every((id) => idsOf(all, 'message').includes(id)) && sent.every((id) => idsOf(all, 'message.sent').includes(id));
    }, { what: 'every message sent and written in the log', timeoutMs: 60_000 });
    const all = await events();
    for (const id of written) assert.equal(idsOf(all, 'message').filter((seen) => seen === id).length, 1, `${id} logged once`);
    for (const id of sent) assert.equal(idsOf(all, 'message.sent').filter((seen) => seen === id).length, 1, `${id} logged once`);
  });
});
