import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMediaFetcher, createMediaPolicy } from '../../src/net/media-fetch.js';
import { parseAllowHosts } from '../../src/net/outbound-policy.js';
import { AppError } from '../../src/shared/errors.js';

/** A local server: what it was asked for, and how many bytes of the endless route it managed to write. */
const hits: string[] = [];
let endlessWritten = 0;
let server: http.Server;
let base: string;

before(async () => {
  server = http.createServer((request, response) => {
    hits.push(request.url ?? '');
    if (request.url === '/image.png') {
      response.writeHead(200, { 'content-type': 'image/png', 'content-disposition': 'attachment; filename="photo.png"' });
      response.end(Buffer.from('89504e470d0a1a0a', 'hex'));
    } else if (request.url?.startsWith('/hop/')) {
      const left = Number(request.url.slice(5));
      response.writeHead(302, { location: left === 0 ? '/image.png' : `/hop/${left - 1}` });
      response.end();
    } else if (request.url === '/to-private') {
      response.writeHead(302, { location: 'http://10.0.0.1/secret' });
      response.end();
    } else if (request.url === '/endless') {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(16 * 1024, 1);
      const pump = () => {
        while (!response.destroyed && endlessWritten < 64 * 1024 * 1024) {
          endlessWritten += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        response.end();
      };
      response.on('close', () => undefined);
      pump();
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const allowed = (maxBytes = 1024 * 1024) =>
  createMediaFetcher({ policy: createMediaPolicy(parseAllowHosts('127.0.0.1')), maxBytes, timeoutMs: 5_000 });
async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error.status;
    throw error;
  }
  return 200;
}

test('an allowed host is fetched: bytes, type and the file name it gave', async () => {
  const media = await allowed()(`${base}/image.png`);
  assert.deepEqual(media.bytes, Buffer.from('89504e470d0a1a0a', 'hex'));
  assert.equal(media.mimetype, 'image/png');
  assert.equal(media.filename, 'photo.png');
});

test('loopback is refused by default and nothing is requested', async () => {
  hits.length = 0;
  const fetcher = createMediaFetcher({ policy: createMediaPolicy([]), maxBytes: 1024, timeoutMs: 5_000 });
  assert.equal(await statusOf(fetcher(`${base}/image.png`)), 400);
  assert.equal(await statusOf(fetcher(base.replace('127.0.0.1', 'localhost') + '/image.png')), 400, 'a name resolving to loopback');
  assert.deepEqual(hits, []);
});

test('redirects are followed by hand, at most five, and a hop to a refused address is a 400', async () => {
  assert.equal((await allowed()(`${base}/hop/4`)).filename, 'photo.png', 'five redirects');
  hits.length = 0;
  assert.equal(await statusOf(allowed()(`${base}/hop/5`)), 400, 'six redirects');
  assert.equal(hits.length, 6);
  assert.equal(await statusOf(allowed()(`${base}/to-private`)), 400);
});

test('the size limit stops reading mid-stream: a 413 long before the server has written everything', async () => {
  endlessWritten = 0;
  assert.equal(await statusOf(allowed(256 * 1024)(`${base}/endless`)), 413);
  assert.ok(endlessWritten < 32 * 1024 * 1024, `the server wrote ${endlessWritten} bytes`);
});
