import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, linkSession, pollUntil } from './harness.js';

interface Chat {
  id: string;
  name: string;
  isGroup: boolean;
  unreadCount: number;
  timestamp: number;
  lastMessage?: { body: string; fromMe: boolean };
}

describe('chats (real server, Chromium, whatsapp-web.js, sandbox)', () => {
  let server: ServerProcess;
  before(async () => {
    server = await ServerProcess.start();
    await linkSession(server, 'reader', '15550000401');
  });
  after(async () => {
    await server?.cleanup();
  });

  const incoming = async (from: string, body: string) => {
    const response = await server.api('POST', '/api/v1/sessions/reader/sandbox/incoming', { from, body });
    assert.equal(response.status, 201, JSON.stringify(response.body));
  };

  test('chats are listed newest activity first, with unread counts and the last message; paged', async () => {
    await incoming('15557770001', 'first contact, one');
    await incoming('15557770001', 'first contact, two');
    await incoming('15557770002', 'second contact');
    let chats: Chat[] = [];
    await pollUntil(
      async () => {
        chats = (await server.api<{ chats: Chat[] }>('GET', '/api/v1/sessions/reader/chats')).body.chats;
        return chats.length >= 2 && chats.some((chat) => chat.id === '15557770002@c.us' && chat.unreadCount === 1);
      },
      { what: 'both chats listed' },
    );
    const byId = new Map(chats.map((chat) => [chat.id, chat]));
    assert.equal(byId.get('15557770001@c.us')?.unreadCount, 2);
    assert.equal(byId.get('15557770001@c.us')?.lastMessage?.body, 'first contact, two');
    assert.equal(byId.get('15557770002@c.us')?.isGroup, false);

    // a reply marks the chat seen (whatsapp-web.js sends seen before it sends) and makes it the newest
    const sent = await server.api('POST', '/api/v1/sessions/reader/send-text', { chatId: '15557770001', content: 'answering you' });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    await pollUntil(
      async () => {
        chats = (await server.api<{ chats: Chat[] }>('GET', '/api/v1/sessions/reader/chats')).body.chats;
        return chats[0]?.id === '15557770001@c.us' && chats[0].unreadCount === 0;
      },
      { what: 'the answered chat first, read' },
    );
    for (let i = 1; i < chats.length; i++) assert.ok(chats[i - 1]!.timestamp >= chats[i]!.timestamp, 'newest activity first');

    const first = await server.api<{ chats: Chat[]; total: number; nextOffset?: number }>('GET', '/api/v1/sessions/reader/chats?limit=1');
    assert.equal(first.body.chats.length, 1);
    assert.equal(first.body.total, chats.length);
    assert.equal(first.body.nextOffset, 1);
    const second = await server.api<{ chats: Chat[] }>('GET', '/api/v1/sessions/reader/chats?limit=1&offset=1');
    assert.equal(second.body.chats[0]?.id, chats[1]?.id);
  });

  test("one chat's messages, newest first, paged backwards", async () => {
    const page = await server.api<{ messages: { body: string; eventId: string }[]; nextBefore?: string }>(
      'GET',
      '/api/v1/sessions/reader/chats/15557770001@c.us/messages?limit=2',
    );
    assert.equal(page.status, 200, JSON.stringify(page.body));
    assert.deepEqual(page.body.messages.map((message) => message.body), ['answering you', 'first contact, two']);
    const older = await server.api<{ messages: { body: string }[] }>(
      'GET',
      `/api/v1/sessions/reader/chats/15557770001@c.us/messages?limit=2&before=${page.body.nextBefore}`,
    );
    assert.deepEqual(older.body.messages.map((message) => message.body), ['first contact, one']);
    assert.equal((await server.api('GET', '/api/v1/sessions/reader/chats/bob/messages')).status, 400);
  });

  test('a session that is not WORKING has no chats to list: 409 with its status', async () => {
    await server.api('POST', '/api/v1/sessions', { sessionId: 'asleep', start: false });
    const response = await server.api<{ error: { details: { status: string } } }>('GET', '/api/v1/sessions/asleep/chats');
    assert.equal(response.status, 409);
    assert.equal(response.body.error.details.status, 'STOPPED');
  });
});
