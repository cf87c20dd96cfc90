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

    // a reply makes the chat the newest; asked to (markSeen), it also marks the chat seen before it is sent
    const sent = await server.api('POST', '/api/v1/sessions/reader/send-text', { chatId: '15557770001', content: 'answering you', markSeen: true });
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
    // what WhatsApp Web itself holds of the chat, newest first
    const phone = await server.api<{ source: string; messages: { body: string; fromMe: boolean }[] }>(
      'GET',
      '/api/v1/sessions/reader/chats/15557770001@c.us/messages?source=phone&limit=10',
    );
    assert.equal(phone.status, 200, JSON.stringify(phone.body));
    assert.equal(phone.body.source, 'phone');
    assert.deepEqual(phone.body.messages.map((message) => [message.body, message.fromMe]), [
      ['answering you', true],
      ['first contact, two', false],
      ['first contact, one', false],
    ]);
    assert.equal((await server.api('GET', `/api/v1/sessions/reader/chats/15557770001@c.us/messages?source=phone&before=${page.body.nextBefore}`)).status, 400);
    assert.equal((await server.api('GET', '/api/v1/sessions/reader/chats/bob/messages')).status, 400);
  });

  test('a session that is not WORKING has no chats to list: 409 with its status', async () => {
    await server.api('POST', '/api/v1/sessions', { sessionId: 'asleep', start: false });
    const response = await server.api<{ error: { details: { status: string } } }>('GET', '/api/v1/sessions/asleep/chats');
    assert.equal(response.status, 409);
    assert.equal(response.body.error.details.status, 'STOPPED');
  });
});

describe('contacts and number lookup (real server, Chromium, whatsapp-web.js, sandbox)', () => {
  let server: ServerProcess;
  before(async () => {
    server = await ServerProcess.start();
    await linkSession(server, 'book', '15550000402');
  });
  after(async () => {
    await server?.cleanup();
  });

  interface Contact {
    id: string;
    number: string;
    name?: string;
    isMyContact: boolean;
    isWAContact: boolean;
    isBusiness: boolean;
    profilePicUrl?: string;
  }

  test("the phone's address book is the session's contacts, with business and picture; a lookup says who is on WhatsApp", async () => {
    const book = [
      { phone: '15557770011', name: 'Ana Lima', picture: true },
      { phone: '15557770012', name: 'Bistro Central', business: true },
      { phone: '15557770013', name: 'Grandma', onWhatsApp: false },
    ];
    const put = await server.api('PUT', '/api/v1/sessions/book/sandbox/contacts', book);
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const listed = await server.api<{ contacts: Contact[]; total: number }>('GET', '/api/v1/sessions/book/contacts');
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    const mine = listed.body.contacts.filter((contact) => contact.isMyContact);
    assert.deepEqual(mine.map((contact) => contact.name), ['Ana Lima', 'Bistro Central', 'Grandma'], 'the address book, by name');
    assert.equal(mine.find((contact) => contact.name === 'Grandma')?.isWAContact, false);
    assert.equal(mine.find((contact) => contact.name === 'Bistro Central')?.isBusiness, true);

    const ana = await server.api<Contact>('GET', '/api/v1/sessions/book/contacts/15557770011@c.us');
    assert.equal(ana.status, 200, JSON.stringify(ana.body));
    assert.equal(ana.body.name, 'Ana Lima');
    assert.equal(ana.body.number, '15557770011');
    assert.match(ana.body.profilePicUrl ?? '', /^https:\/\/pps\.whatsapp\.net\//);
    const bistro = await server.api<Contact>('GET', '/api/v1/sessions/book/contacts/+15557770012');
    assert.equal(bistro.body.isBusiness, true);
    assert.equal(bistro.body.profilePicUrl, undefined, 'no picture: none');

    const onIt = await server.api('GET', '/api/v1/sessions/book/numbers/+15557770011');
    assert.deepEqual(onIt.body, { phone: '15557770011', onWhatsApp: true, chatId: '15557770011@c.us' });
    const notOnIt = await server.api('GET', '/api/v1/sessions/book/numbers/15557770013');
    assert.deepEqual(notOnIt.body, { phone: '15557770013', onWhatsApp: false });
    assert.equal((await server.api('GET', '/api/v1/sessions/book/numbers/12ab')).status, 400);
  });

  test('the address book comes back after a restart of the browser (WhatsApp Web syncs it from the phone)', async () => {
    assert.equal((await server.api('POST', '/api/v1/sessions/book/stop')).status, 200);
    assert.equal((await server.api('POST', '/api/v1/sessions/book/start')).status, 202);
    await pollUntil(async () => (await server.api('GET', '/api/v1/sessions/book/status')).body.status === 'WORKING', { what: 'book WORKING again' });
    await pollUntil(
      async () => {
        const listed = await server.api<{ contacts: Contact[] }>('GET', '/api/v1/sessions/book/contacts');
        return listed.body.contacts.filter((contact) => contact.isMyContact).length === 3;
      },
      { what: 'the address book synced again' },
    );
  });
});
