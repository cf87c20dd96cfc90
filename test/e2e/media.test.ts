/**
 * Media end to end: the real server, whatsapp-web.js in Chromium, the sandbox phone. What the session sends lands in
 * the phone's outbox with the SHA-256 of the posted bytes; what the phone sends comes back byte for byte.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServerProcess, linkSession, pollUntil } from './harness.js';

const MAX_MEDIA_BYTES = 300_000;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
/** Distinct bytes per test, each starting with the format's magic number. */
const sample = (head: Buffer, size = 2048) => Buffer.concat([head, Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + head.length) % 256))]);
const PNG = sample(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
const PDF = sample(Buffer.from('%PDF-1.7\n', 'latin1'), 4096);
const MP3 = sample(Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x00', 'latin1'));
const OPUS = sample(Buffer.from('OggS\x00\x02' + '\x00'.repeat(22) + 'OpusHead\x01\x01', 'latin1'));
const MP4 = sample(Buffer.from('\x00\x00\x00\x18ftypisom\x00\x00\x02\x00', 'latin1'), 8192);

interface OutboxEntry {
  id: string;
  type: string;
  caption?: string;
  mimetype?: string;
  filename?: string;
  size?: number;
  sha256?: string;
}

/** A plain HTTP server on one loopback address that counts what it was asked for. */
async function mediaHost(address: string, handler: (url: string, response: http.ServerResponse) => void) {
  const hits: string[] = [];
  const server = http.createServer((request, response) => {
    hits.push(request.url ?? '');
    handler(request.url ?? '', response);
  });
  server.listen(0, address);
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    hits,
    url: (path: string) => `http://${address}:${(server.address() as AddressInfo).port}${path}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe('media (real server, Chromium, sandbox)', () => {
  let server: ServerProcess;
  let allowedHost: Awaited<ReturnType<typeof mediaHost>>;
  let refusedHost: Awaited<ReturnType<typeof mediaHost>>;
  const SESSION = 'media1';
  const PEER = '15557770099';

  before(async () => {
    // 127.0.0.2 is loopback too, but only 127.0.0.1 is allowed
    refusedHost = await mediaHost('127.0.0.2', (_url, response) => response.end(PNG));
    allowedHost = await mediaHost('127.0.0.1', (url, response) => {
      if (url === '/photo.png') {
        response.writeHead(200, { 'content-type': 'image/png' });
        response.end(PNG);
      } else if (url === '/to-refused') {
        response.writeHead(302, { location: refusedHost.url('/secret.png') });
        response.end();
      } else if (url === '/to-private') {
        response.writeHead(302, { location: 'http://10.255.255.1/secret.png' });
        response.end();
      } else {
        response.writeHead(404);
        response.end();
      }
    });
    server = await ServerProcess.start({ args: ['--media-allow-hosts', '127.0.0.1', '--max-media-bytes', String(MAX_MEDIA_BYTES)] });
    await linkSession(server, SESSION, '15550000501');
  });
  after(async () => {
    await server?.cleanup();
    allowedHost?.close();
    refusedHost?.close();
  });

  const send = (route: string, body: Record<string, unknown>) =>
    server.api<{ id: string; message: Record<string, unknown> }>('POST', `/api/v1/sessions/${SESSION}/${route}`, { chatId: PEER, ...body });
  async function outboxEntry(id: string): Promise<OutboxEntry> {
    let found: OutboxEntry | undefined;
    await pollUntil(
      async () => {
        const outbox = await server.api<{ messages: OutboxEntry[] }>('GET', `/api/v1/sessions/${SESSION}/sandbox/outbox`);
        found = outbox.body.messages.find((entry) => entry.id === id);
        return found !== undefined;
      },
      { what: `${id} in the outbox`, timeoutMs: 15_000 },
    );
    return found!;
  }

  test('each send kind lands in the outbox with its type and the SHA-256 of the posted bytes', async () => {
    const cases = [
      { route: 'send-image', body: { data: `data:image/png;base64,${PNG.toString('base64')}`, caption: 'a photo' }, bytes: PNG, type: 'image', ours: 'image', mimetype: 'image/png' },
      { route: 'send-file', body: { data: PDF.toString('base64'), filename: 'invoice.pdf' }, bytes: PDF, type: 'document', ours: 'document', mimetype: 'application/pdf' },
      { route: 'send-audio', body: { data: MP3.toString('base64') }, bytes: MP3, type: 'audio', ours: 'audio', mimetype: 'audio/mpeg' },
      { route: 'send-audio', body: { data: OPUS.toString('base64'), asVoice: true }, bytes: OPUS, type: 'ptt', ours: 'voice', mimetype: 'audio/ogg; codecs=opus' },
      { route: 'send-video', body: { data: MP4.toString('base64'), mimetype: 'video/mp4', caption: 'a clip' }, bytes: MP4, type: 'video', ours: 'video', mimetype: 'video/mp4' },
    ];
    for (const { route, body, bytes, type, ours, mimetype } of cases) {
      const sent = await send(route, body);
      assert.equal(sent.status, 201, `${route}: ${JSON.stringify(sent.body)}`);
      assert.equal(sent.body.message.type, ours, route);
      assert.equal(sent.body.message.hasMedia, true, route);
      assert.equal(sent.body.message.mediaUrl, `/api/v1/sessions/${SESSION}/messages/${encodeURIComponent(sent.body.id)}/media`);
      const entry = await outboxEntry(sent.body.id);
      assert.equal(entry.type, type, route);
      assert.equal(entry.sha256, sha256(bytes), `${route}: the bytes the phone got`);
      assert.equal(entry.size, bytes.length, route);
      assert.equal(entry.mimetype, mimetype, route);
      if ('caption' in body) assert.equal(entry.caption, body.caption, route);
      if ('filename' in body) assert.equal(entry.filename, body.filename, route);
    }
    const wrongKind = await send('send-image', { data: PDF.toString('base64') });
    assert.equal(wrongKind.status, 400, 'a PDF is not an image');
  });

  test('posted media: undecodable is a 400, over --max-media-bytes a 413, both as JSON', async () => {
    const bad = await send('send-image', { data: 'not base64 at all!' });
    assert.equal(bad.status, 400);
    const unknownType = await send('send-file', { data: Buffer.from('just some text').toString('base64') });
    assert.equal(unknownType.status, 400, 'no type given and none in the bytes');
    const over = await send('send-image', { data: Buffer.alloc(MAX_MEDIA_BYTES + 1, 1).toString('base64'), mimetype: 'image/png' });
    assert.equal(over.status, 413);
    assert.equal((over.body as unknown as { error: { code: string } }).error.code, 'PAYLOAD_TOO_LARGE');
    const wayOver = await send('send-image', { data: Buffer.alloc(MAX_MEDIA_BYTES * 2, 1).toString('base64') });
    assert.equal(wayOver.status, 413, 'past the JSON body limit of the route');
    const atLimit = await send('send-file', { data: Buffer.concat([PDF, Buffer.alloc(MAX_MEDIA_BYTES - PDF.length, 2)]).toString('base64') });
    assert.equal(atLimit.status, 201, 'exactly the limit is fine');
  });

  test('a url on an allowed host is fetched and sent; refused hosts and redirects to them fetch nothing', async () => {
    const fetched = await send('send-image', { url: allowedHost.url('/photo.png') });
    assert.equal(fetched.status, 201, JSON.stringify(fetched.body));
    assert.equal((await outboxEntry(fetched.body.id)).sha256, sha256(PNG));

    const refused = await send('send-image', { url: refusedHost.url('/secret.png') });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.match(JSON.stringify(refused.body), /media-allow-hosts/);
    const redirected = await send('send-image', { url: allowedHost.url('/to-refused') });
    assert.equal(redirected.status, 400, JSON.stringify(redirected.body));
    const toPrivate = await send('send-image', { url: allowedHost.url('/to-private') });
    assert.equal(toPrivate.status, 400, JSON.stringify(toPrivate.body));
    assert.deepEqual(refusedHost.hits, [], 'nothing was fetched from the refused host');
    const metadata = await send('send-image', { url: 'http://169.254.169.254/latest/meta-data' });
    assert.equal(metadata.status, 400);
  });

  test('media from the phone arrives as a message event whose mediaUrl returns the same bytes', async () => {
    const photo = sample(Buffer.from('ffd8ffe000104a464946', 'hex'), 50_000);
    const delivered = await server.api<{ id: string }>('POST', `/api/v1/sessions/${SESSION}/sandbox/incoming`, {
      from: PEER,
      media: { data: photo.toString('base64'), mimetype: 'image/jpeg', caption: 'from the phone', filename: 'holiday.jpg' },
    });
    assert.equal(delivered.status, 201, JSON.stringify(delivered.body));
    let event: Record<string, unknown> | undefined;
    await pollUntil(
      async () => {
        const events = await server.api<{ events: { event: string; payload: Record<string, unknown> }[] }>(
          'GET',
          `/api/v1/sessions/${SESSION}/events?limit=1000`,
        );
        event = events.body.events.find((envelope) => envelope.event === 'message' && envelope.payload.id === delivered.body.id)?.payload;
        return event !== undefined;
      },
      { what: 'the message event', timeoutMs: 15_000 },
    );
    assert.equal(event!.type, 'image');
    assert.equal(event!.hasMedia, true);
    assert.equal(event!.caption, 'from the phone');
    assert.equal(event!.mimetype, 'image/jpeg');
    assert.equal(event!.size, photo.length);
    const media = await server.api<{ raw: Buffer }>('GET', String(event!.mediaUrl));
    assert.equal(media.status, 200);
    assert.equal(media.headers.get('content-type'), 'image/jpeg');
    assert.match(media.headers.get('content-disposition') ?? '', /holiday\.jpg/);
    assert.equal(sha256(media.body.raw), sha256(photo));

    const voice = await server.api<{ id: string }>('POST', `/api/v1/sessions/${SESSION}/sandbox/incoming`, {
      from: PEER,
      media: { data: OPUS.toString('base64'), mimetype: 'audio/ogg; codecs=opus', voice: true },
    });
    assert.equal(voice.status, 201);
    const voiceMedia = await pollForMedia(voice.body.id);
    assert.equal(sha256(voiceMedia), sha256(OPUS));
  });

  async function pollForMedia(messageId: string): Promise<Buffer> {
    const url = `/api/v1/sessions/${SESSION}/messages/${encodeURIComponent(messageId)}/media`;
    let last: { status: number; body: { raw: Buffer } } | undefined;
    await pollUntil(
      async () => {
        last = await server.api<{ raw: Buffer }>('GET', url);
        return last.status !== 404;
      },
      { what: `media of ${messageId}`, timeoutMs: 15_000 },
    );
    assert.equal(last!.status, 200);
    return last!.body.raw;
  }

  test('sent media downloads too; no media is a 404, unknown a 404, expired media a 410', async () => {
    const sent = await send('send-image', { data: PNG.toString('base64') });
    assert.equal(sent.status, 201);
    assert.equal(sha256(await pollForMedia(sent.body.id)), sha256(PNG));

    const text = await server.api<{ id: string }>('POST', `/api/v1/sessions/${SESSION}/send-text`, { chatId: PEER, content: 'no media here' });
    assert.equal(text.status, 201);
    const noMedia = await server.api('GET', `/api/v1/sessions/${SESSION}/messages/${encodeURIComponent(text.body.id)}/media`);
    assert.equal(noMedia.status, 404);
    assert.equal((noMedia.body as { error: { code: string } }).error.code, 'NO_MEDIA');
    const unknown = await server.api('GET', `/api/v1/sessions/${SESSION}/messages/${encodeURIComponent(`false_${PEER}@c.us_ABCDEF0123`)}/media`);
    assert.equal(unknown.status, 404);

    const expired = await server.api('POST', `/api/v1/sessions/${SESSION}/sandbox/expire-media`);
    assert.equal(expired.status, 200);
    const gone = await server.api('GET', `/api/v1/sessions/${SESSION}/messages/${encodeURIComponent(sent.body.id)}/media`);
    assert.equal(gone.status, 410, JSON.stringify(gone.body));
  });
});
