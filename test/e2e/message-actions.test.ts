import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, linkSession, pollUntil } from './harness.js';

interface Envelope {
  event: string;
  payload: Record<string, unknown>;
}
interface Action {
  kind: string;
  target: string;
  value?: string;
}
interface OutboxEntry {
  id: string;
  body: string;
  reaction?: string;
  edited?: boolean;
  revoked?: boolean;
}

const CONTACT = '15557770501@c.us';

describe('reactions, edits, deletes, read receipts and typing (real server, Chromium, whatsapp-web.js, sandbox)', () => {
  let server: ServerProcess;
  before(async () => {
    server = await ServerProcess.start();
    await linkSession(server, 'acts', '15550000501');
  });
  after(async () => {
    await server?.cleanup();
  });

  const events = async () => (await server.api<{ events: Envelope[] }>('GET', '/api/v1/sessions/acts/events?limit=1000')).body.events;
  const waitForEvent = async (what: string, match: (envelope: Envelope) => boolean): Promise<Envelope> => {
    let found: Envelope | undefined;
    await pollUntil(
      async () => {
        found = (await events()).find(match);
        return found !== undefined;
      },
      { what },
    );
    return found!;
  };
  const actions = async () => (await server.api<{ actions: Action[] }>('GET', '/api/v1/sessions/acts/sandbox/actions')).body.actions;
  const outbox = async () => (await server.api<{ messages: OutboxEntry[] }>('GET', '/api/v1/sessions/acts/sandbox/outbox')).body.messages;
  const send = async (content: string): Promise<string> => {
    const sent = await server.api<{ id: string }>('POST', '/api/v1/sessions/acts/send-text', { chatId: CONTACT, content });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    return sent.body.id;
  };
  const receive = async (body: string): Promise<string> => {
    const response = await server.api<{ id: string }>('POST', '/api/v1/sessions/acts/sandbox/incoming', { from: CONTACT, body });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    await waitForEvent(`the message "${body}"`, (envelope) => envelope.event === 'message' && envelope.payload.body === body);
    return response.body.id;
  };

  test('the session reacts to, edits and deletes messages: the phone sees each, and each is an event', async () => {
    const incoming = await receive('hello there');
    const reacted = await server.api('POST', `/api/v1/sessions/acts/messages/${incoming}/react`, { emoji: '👍' });
    assert.equal(reacted.status, 200, JSON.stringify(reacted.body));
    assert.ok((await actions()).some((action) => action.kind === 'reaction' && action.target === incoming && action.value === '👍'));
    await waitForEvent('our reaction as message.reaction', (envelope) => envelope.event === 'message.reaction' && envelope.payload.messageId === incoming && envelope.payload.reaction === '👍');

    const sent = await send('first draft');
    const edited = await server.api<{ message: { body: string } }>('POST', `/api/v1/sessions/acts/messages/${sent}/edit`, { content: 'final text' });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    assert.equal(edited.body.message.body, 'final text');
    await pollUntil(async () => (await outbox()).some((entry) => entry.id === sent && entry.body === 'final text' && entry.edited === true), { what: 'the edit on the phone' });
    await waitForEvent('message.edited', (envelope) => envelope.event === 'message.edited' && envelope.payload.messageId === sent && envelope.payload.body === 'final text');

    const notOurs = await server.api<{ error: { code: string } }>('POST', `/api/v1/sessions/acts/messages/${incoming}/edit`, { content: 'x' });
    assert.equal(notOurs.status, 409);
    assert.equal(notOurs.body.error.code, 'MESSAGE_NOT_EDITABLE');

    const deleted = await server.api('DELETE', `/api/v1/sessions/acts/messages/${sent}?forEveryone=true`);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    await pollUntil(async () => (await outbox()).some((entry) => entry.id === sent && entry.revoked === true), { what: 'the revoke on the phone' });
    await waitForEvent('message.revoked', (envelope) => envelope.event === 'message.revoked' && envelope.payload.messageId === sent);

    // someone else's message cannot be revoked: WhatsApp deletes it here only, and the answer says so
    const theirs = await server.api<{ forEveryone: boolean }>('DELETE', `/api/v1/sessions/acts/messages/${incoming}?forEveryone=true`);
    assert.equal(theirs.status, 200, JSON.stringify(theirs.body));
    assert.equal(theirs.body.forEveryone, false);
    assert.ok((await actions()).some((action) => action.kind === 'delete' && action.target === incoming), 'deleted here');

    const gone = await server.api<{ error: { code: string } }>('POST', '/api/v1/sessions/acts/messages/true_15557770501@c.us_3EB0000000000000DEAD/react', { emoji: '👍' });
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, 'MESSAGE_NOT_FOUND');
    for (const bad of ['nope', 'true_bob_123456', 'false_15557770501@c.us_../../x']) {
      assert.equal((await server.api('POST', `/api/v1/sessions/acts/messages/${encodeURIComponent(bad)}/react`, { emoji: '👍' })).status, 400, bad);
    }
  });

  test('a send marks the chat read only when asked to (markSeen)', async () => {
    const chatId = '15557770502@c.us';
    const seenOf = async () => (await actions()).filter((action) => action.kind === 'seen' && action.target === chatId);
    const plain = await server.api('POST', '/api/v1/sessions/acts/send-text', { chatId, content: 'no receipt' });
    assert.equal(plain.status, 201, JSON.stringify(plain.body));
    // the library marks the chat seen inside the send, before it answers: nothing can arrive later
    assert.deepEqual(await seenOf(), []);
    const marked = await server.api('POST', '/api/v1/sessions/acts/send-text', { chatId, content: 'with receipt', markSeen: true });
    assert.equal(marked.status, 201, JSON.stringify(marked.body));
    assert.equal((await seenOf()).length, 1);
    assert.equal((await server.api('POST', '/api/v1/sessions/acts/send-text', { chatId, content: 'x', markSeen: 'yes' })).status, 400);
  });

  test('read receipts and typing reach the phone', async () => {
    assert.equal((await server.api('POST', `/api/v1/sessions/acts/chats/${CONTACT}/seen`)).status, 200);
    const typing = await server.api('POST', `/api/v1/sessions/acts/chats/${CONTACT}/presence`, { state: 'typing' });
    assert.equal(typing.status, 200, JSON.stringify(typing.body));
    assert.equal((await server.api('POST', `/api/v1/sessions/acts/chats/${CONTACT}/presence`, { state: 'paused' })).status, 200);
    assert.equal((await server.api('POST', `/api/v1/sessions/acts/chats/${CONTACT}/presence`, { state: 'dancing' })).status, 400);
    const seen = await actions();
    assert.ok(seen.some((action) => action.kind === 'seen' && action.target === CONTACT), JSON.stringify(seen));
    assert.deepEqual(
      seen.filter((action) => action.kind === 'presence').map((action) => action.value),
      ['typing', 'paused'],
    );
  });

  test("a contact's reaction, edit, delete and read receipt arrive as events from the library", async () => {
    const ours = await send('did you get it?');
    const reaction = await server.api('POST', `/api/v1/sessions/acts/sandbox/messages/${ours}/react`, { emoji: '❤️' });
    assert.equal(reaction.status, 200, JSON.stringify(reaction.body));
    const reacted = await waitForEvent('their reaction', (envelope) => envelope.event === 'message.reaction' && envelope.payload.messageId === ours && envelope.payload.reaction === '❤️');
    assert.equal(reacted.payload.senderId, CONTACT);

    const read = await server.api('POST', `/api/v1/sessions/acts/sandbox/messages/${ours}/ack`, { ack: 'read' });
    assert.equal(read.status, 200, JSON.stringify(read.body));
    await waitForEvent('message.ack read', (envelope) => envelope.event === 'message.ack' && envelope.payload.messageId === ours && envelope.payload.ack === 3);

    const theirs = await receive('see you at 5');
    assert.equal((await server.api('POST', `/api/v1/sessions/acts/sandbox/messages/${theirs}/edit`, { body: 'see you at 6' })).status, 200);
    const edited = await waitForEvent('their edit', (envelope) => envelope.event === 'message.edited' && envelope.payload.messageId === theirs);
    assert.equal(edited.payload.body, 'see you at 6');
    assert.equal(edited.payload.previousBody, 'see you at 5');
    assert.equal((await server.api('POST', `/api/v1/sessions/acts/sandbox/messages/${theirs}/revoke`)).status, 200);
    await waitForEvent('their revoke', (envelope) => envelope.event === 'message.revoked' && envelope.payload.messageId === theirs);
    const notTheirs = await server.api('POST', `/api/v1/sessions/acts/sandbox/messages/${ours}/edit`, { body: 'x' });
    assert.equal(notTheirs.status, 409, 'a contact cannot edit what the session sent');
  });
});
