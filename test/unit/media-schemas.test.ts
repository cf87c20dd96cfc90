import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SendAudioSchema, SendMediaSchema, decodeMediaData, resolveMimetype } from '../../src/http/media-schemas.js';
import { extensionOf, sniffMimetype } from '../../src/shared/media-types.js';
import { AppError } from '../../src/shared/errors.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const statusOf = (action: () => unknown): number | undefined => {
  try {
    action();
  } catch (error) {
    if (error instanceof AppError) return error.status;
    throw error;
  }
  return undefined;
};

test('a data URL gives its bytes and its type; plain base64 gives bytes only', () => {
  const fromUrl = decodeMediaData(`data:image/png;base64,${PNG.toString('base64')}`, 1024);
  assert.deepEqual(fromUrl.bytes, PNG);
  assert.equal(fromUrl.mimetype, 'image/png');
  const withParams = decodeMediaData(`data:audio/ogg;codecs=opus;base64,${PNG.toString('base64')}`, 1024);
  assert.equal(withParams.mimetype, 'audio/ogg; codecs=opus');
  const plain = decodeMediaData(PNG.toString('base64'), 1024);
  assert.deepEqual(plain.bytes, PNG);
  assert.equal(plain.mimetype, undefined);
  const wrapped = decodeMediaData(PNG.toString('base64').replace(/(.{8})/g, '$1\n'), 1024);
  assert.deepEqual(wrapped.bytes, PNG, 'line breaks in base64 are ignored');
  const urlSafe = decodeMediaData(Buffer.from([0xfb, 0xff, 0xfe]).toString('base64url'), 1024);
  assert.deepEqual(urlSafe.bytes, Buffer.from([0xfb, 0xff, 0xfe]), 'base64url is accepted too');
});

test('undecodable data is a 400: not base64, a non-base64 data URL, a bad type, nothing at all', () => {
  assert.equal(statusOf(() => decodeMediaData('this is not base64!', 1024)), 400);
  assert.equal(statusOf(() => decodeMediaData('abcde', 1024)), 400, 'a length no base64 text can have');
  assert.equal(statusOf(() => decodeMediaData('data:text/plain,hello', 1024)), 400);
  assert.equal(statusOf(() => decodeMediaData('data:not a type;base64,AAAA', 1024)), 400);
  assert.equal(statusOf(() => decodeMediaData('data:image/png;base64,', 1024)), 400);
  assert.equal(statusOf(() => decodeMediaData('data:image/png;base64,AA+_', 1024)), 400, 'base64 and base64url mixed');
});

test('the size limit: exactly the limit passes, one byte over is a 413 before decoding', () => {
  const limit = 300;
  assert.equal(decodeMediaData(Buffer.alloc(limit, 7).toString('base64'), limit).bytes.length, limit);
  assert.equal(statusOf(() => decodeMediaData(Buffer.alloc(limit + 1, 7).toString('base64'), limit)), 413);
  assert.equal(statusOf(() => decodeMediaData(`data:image/png;base64,${Buffer.alloc(limit + 1).toString('base64')}`, limit)), 413);
});

test('magic numbers tell the common media types apart', () => {
  const cases: [string, Buffer][] = [
    ['image/png', PNG],
    ['image/jpeg', Buffer.from('ffd8ffe000104a464946', 'hex')],
    ['image/gif', Buffer.from('GIF89a\x01\x00', 'latin1')],
    ['image/webp', Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8 ', 'latin1')],
    ['audio/wav', Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1')],
    ['application/pdf', Buffer.from('%PDF-1.7\n', 'latin1')],
    ['audio/ogg; codecs=opus', Buffer.from('OggS\x00\x02' + '\x00'.repeat(22) + 'OpusHead\x01', 'latin1')],
    ['audio/ogg', Buffer.from('OggS\x00\x02' + '\x00'.repeat(22) + '\x01vorbis', 'latin1')],
    ['audio/mpeg', Buffer.from('ID3\x04\x00', 'latin1')],
    ['audio/mpeg', Buffer.from('fffb9064', 'hex')],
    ['video/mp4', Buffer.from('\x00\x00\x00\x18ftypisom\x00\x00', 'latin1')],
    ['audio/mp4', Buffer.from('\x00\x00\x00\x18ftypM4A \x00\x00', 'latin1')],
    ['video/webm', Buffer.from('1a45dfa39f4286', 'hex')],
  ];
  for (const [expected, bytes] of cases) assert.equal(sniffMimetype(bytes), expected, expected);
  assert.equal(sniffMimetype(Buffer.from('hello, plain text')), undefined);
  assert.equal(sniffMimetype(Buffer.alloc(0)), undefined);
  assert.equal(sniffMimetype(Buffer.from('\x89PN', 'latin1')), undefined, 'too short to be a PNG');
  assert.equal(extensionOf('audio/ogg; codecs=opus'), 'ogg');
  assert.equal(extensionOf('application/x-unknown'), 'bin');
});

test('the type comes from the data URL, else the one given, else the bytes; none at all is a 400', () => {
  assert.equal(resolveMimetype({ fromDataUrl: 'image/gif', given: 'image/png' }, PNG), 'image/gif');
  assert.equal(resolveMimetype({ given: 'application/octet-stream' }, PNG), 'application/octet-stream');
  assert.equal(resolveMimetype({ fromSource: 'image/jpeg' }, PNG), 'image/jpeg');
  assert.equal(resolveMimetype({}, PNG), 'image/png');
  assert.equal(statusOf(() => resolveMimetype({}, Buffer.from('plain text'))), 400);
});

test('a send names exactly one of data and url, and only known fields', () => {
  const ok = SendMediaSchema.safeParse({ chatId: '+15550009999', data: 'AAAA', caption: 'hi' });
  assert.ok(ok.success);
  assert.equal(ok.data.chatId, '15550009999@c.us');
  assert.equal(SendMediaSchema.safeParse({ chatId: '15550009999', url: 'https://example.com/a.png' }).success, true);
  assert.equal(SendMediaSchema.safeParse({ chatId: '15550009999' }).success, false, 'neither');
  assert.equal(SendMediaSchema.safeParse({ chatId: '15550009999', data: 'AAAA', url: 'https://example.com/a' }).success, false, 'both');
  assert.equal(SendMediaSchema.safeParse({ chatId: '15550009999', data: 'AAAA', asVoice: true }).success, false, 'asVoice is for audio');
  assert.equal(SendAudioSchema.safeParse({ chatId: '15550009999', data: 'AAAA', asVoice: true }).success, true);
  assert.equal(SendMediaSchema.safeParse({ chatId: '15550009999', data: 'AAAA', mimetype: 'png' }).success, false, 'not a type');
  assert.equal(SendMediaSchema.safeParse({ chatId: '15550009999', data: 'AAAA', filename: '../etc/passwd' }).success, false, 'a path');
});
