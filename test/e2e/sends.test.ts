import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, linkSession, pollUntil } from './harness.js';

interface OutboxEntry {
  id: string;
  to: string;
  body: string;
  type: string;
  quotedMessageId?: string;
  mentions?: string[];
  location?: { latitude: number; longitude: number; description?: string };
  vcards?: string[];
  poll?: { name: string; options: string[]; multipleAnswers: boolean };
}
interface Sent {
  id: string;
  message: { id: string; type: string; fromMe: boolean };
}

const CONTACT = '15557770601@c.us';

describe('replies, mentions, locations, contact cards and polls (real server, Chromium, whatsapp-web.js, sandbox)', () => {
  let server: ServerProcess;
  before(async () => {
    server = await ServerProcess.start();
    await linkSession(server, 'sender', '15550000601');
  });
  after(async () => {
    await server?.cleanup();
  });

  const sent = async (id: string): Promise<OutboxEntry> => {
    let entry: OutboxEntry | undefined;
    await pollUntil(
      async () => {
        const outbox = (await server.api<{ messages: OutboxEntry[] }>('GET', '/api/v1/sessions/sender/sandbox/outbox')).body.messages;
        entry = outbox.find((candidate) => candidate.id === id);
        return entry !== undefined;
      },
      { what: `${id} in the phone's outbox` },
    );
    return entry!;
  };
  const post = (route: string, body: unknown) => server.api<Sent>('POST', `/api/v1/sessions/sender/${route}`, body);

  test('a reply carries the id of the message it quotes, and mentions reach the phone', async () => {
    const incoming = await server.api<{ id: string }>('POST', '/api/v1/sessions/sender/sandbox/incoming', { from: CONTACT, body: 'which plan?' });
    assert.equal(incoming.status, 201, JSON.stringify(incoming.body));
    await pollUntil(
      async () => (await server.api<{ messages: { id: string }[] }>('GET', '/api/v1/sessions/sender/messages')).body.messages.some((m) => m.id === incoming.body.id),
      { what: 'the incoming message' },
    );
    const reply = await post('send-text', {
      chatId: CONTACT,
      content: 'the yearly one, @15557770602',
      quotedMessageId: incoming.body.id,
      mentions: ['15557770602@c.us'],
    });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    const entry = await sent(reply.body.id);
    assert.equal(entry.quotedMessageId, incoming.body.id);
    assert.deepEqual(entry.mentions, ['15557770602@c.us']);

    const unknown = await post('send-text', { chatId: CONTACT, content: 'x', quotedMessageId: 'false_15557770601@c.us_3EB00000000000000000' });
    assert.equal(unknown.status, 404, 'a reply to a message WhatsApp Web does not have is refused, not sent without the quote');
    assert.equal((await post('send-text', { chatId: CONTACT, content: 'x', quotedMessageId: 'garbage' })).status, 400);
  });

  test('a location lands on the phone with its coordinates and description', async () => {
    const response = await post('send-location', { chatId: CONTACT, latitude: 38.7223, longitude: -9.1393, name: 'Office', address: 'Rua Augusta 1, Lisbon' });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.equal(response.body.message.type, 'location');
    const entry = await sent(response.body.id);
    assert.equal(entry.type, 'location');
    assert.deepEqual(entry.location, { latitude: 38.7223, longitude: -9.1393, description: 'Office\nRua Augusta 1, Lisbon' });
    assert.equal((await post('send-location', { chatId: CONTACT, latitude: 91, longitude: 0 })).status, 400);
  });

  test('one contact is a vCard, several are a list of vCards', async () => {
    const book = await server.api('PUT', '/api/v1/sessions/sender/sandbox/contacts', [
      { phone: '15557770611', name: 'Ana Lima' },
      { phone: '15557770612', name: 'Bruno Costa' },
    ]);
    assert.equal(book.status, 200, JSON.stringify(book.body));
    const one = await post('send-contact', { chatId: CONTACT, contacts: ['15557770611'] });
    assert.equal(one.status, 201, JSON.stringify(one.body));
    const single = await sent(one.body.id);
    assert.equal(single.type, 'vcard');
    assert.match(single.vcards?.[0] ?? '', /FN:Ana Lima[\s\S]*waid=15557770611/);
    const two = await post('send-contact', { chatId: CONTACT, contacts: ['15557770611@c.us', '+15557770612'] });
    assert.equal(two.status, 201, JSON.stringify(two.body));
    const several = await sent(two.body.id);
    assert.equal(several.type, 'multi_vcard');
    assert.equal(several.vcards?.length, 2);
    assert.match(several.vcards?.[1] ?? '', /FN:Bruno Costa/);
    assert.equal(one.body.message.type, 'contact');
  });

  test('a poll lands with its options; bad polls are refused', async () => {
    const response = await post('send-poll', { chatId: CONTACT, name: 'Lunch?', options: ['Pizza', 'Sushi', 'Salad'], multipleAnswers: true });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.equal(response.body.message.type, 'poll');
    const entry = await sent(response.body.id);
    assert.deepEqual(entry.poll, { name: 'Lunch?', options: ['Pizza', 'Sushi', 'Salad'], multipleAnswers: true });
    assert.equal((await post('send-poll', { chatId: CONTACT, name: 'Only one', options: ['Yes'] })).status, 400);
    assert.equal((await post('send-poll', { chatId: CONTACT, name: 'Twice', options: ['A', 'A'] })).status, 400);
  });

  test("a contact's reply, location, contact card and group message arrive as message events with their content", async () => {
    type Envelope = { event: string; payload: Record<string, unknown> };
    const eventFor = async (messageId: string): Promise<Envelope> => {
      let found: Envelope | undefined;
      await pollUntil(
        async () => {
          const events = (await server.api<{ events: Envelope[] }>('GET', '/api/v1/sessions/sender/events?limit=1000')).body.events;
          found = events.find((envelope) => envelope.event === 'message' && envelope.payload.id === messageId);
          return found !== undefined;
        },
        { what: `the message event of ${messageId}` },
      );
      return found!;
    };
    const phone = async (body: Record<string, unknown>): Promise<string> => {
      const response = await server.api<{ id: string }>('POST', '/api/v1/sessions/sender/sandbox/incoming', { from: CONTACT, ...body });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body.id;
    };

    const ours = await post('send-text', { chatId: CONTACT, content: 'shall we meet?' });
    await sent(ours.body.id);
    const reply = await eventFor(await phone({ body: 'yes!', quotedMessageId: ours.body.id }));
    assert.equal(reply.payload.quotedMessageId, ours.body.id, 'the reply names the message it quotes, as wamux reported it');

    const place = await eventFor(await phone({ location: { latitude: 41.1579, longitude: -8.6291, description: 'Café Majestic' } }));
    assert.equal(place.payload.type, 'location');
    assert.deepEqual(place.payload.location, { latitude: 41.1579, longitude: -8.6291, description: 'Café Majestic' });

    const card = 'BEGIN:VCARD\nVERSION:3.0\nFN:Rita Alves\nTEL;type=CELL;waid=15557770699:+15557770699\nEND:VCARD';
    const contact = await eventFor(await phone({ vcard: card }));
    assert.equal(contact.payload.type, 'contact');
    assert.deepEqual(contact.payload.vcards, [card]);

    const created = await server.api<{ id: string }>('POST', '/api/v1/sessions/sender/groups', { name: 'Team', participants: [CONTACT] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const inGroup = await eventFor(await phone({ body: 'hello team', group: created.body.id }));
    assert.equal(inGroup.payload.chatId, created.body.id);
    assert.equal(inGroup.payload.author, CONTACT);

    // a reply to the session's own message in the group names it as wamux reported it (participant included)
    const ourGroupMessage = await post('send-text', { chatId: created.body.id, content: 'agenda attached' });
    assert.equal(ourGroupMessage.status, 201, JSON.stringify(ourGroupMessage.body));
    await sent(ourGroupMessage.body.id);
    const answer = await eventFor(await phone({ body: 'thanks', group: created.body.id, quotedMessageId: ourGroupMessage.body.id }));
    assert.equal(answer.payload.quotedMessageId, ourGroupMessage.body.id);

    // media inside the group, as a reply to that message: same shape, and its bytes come back
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const photo = await eventFor(
      await phone({ group: created.body.id, quotedMessageId: inGroup.payload.id, media: { data: png.toString('base64'), mimetype: 'image/png', caption: 'the plan' } }),
    );
    assert.equal(photo.payload.chatId, created.body.id);
    assert.equal(photo.payload.author, CONTACT);
    assert.equal(photo.payload.type, 'image');
    assert.equal(photo.payload.quotedMessageId, inGroup.payload.id);
    const bytes = await server.api<{ raw: Buffer }>('GET', String(photo.payload.mediaUrl));
    assert.deepEqual(bytes.body.raw, png);

    const twoKinds = await server.api('POST', '/api/v1/sessions/sender/sandbox/incoming', { from: CONTACT, body: 'x', vcard: card });
    assert.equal(twoKinds.status, 400);
  });
});
