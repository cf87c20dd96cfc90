/** A server without a key answers this machine's user, not the pages that user opens. */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import express from 'express';
import { crossSiteGuard } from '../../src/http/middleware/cross-site-guard.js';
import { errorHandler } from '../../src/http/middleware/error-handler.js';
import { createLogger } from '../../src/shared/logger.js';

let server: ReturnType<express.Express['listen']>;
let port = 0;

before(async () => {
  const app = express();
  app.use('/api', crossSiteGuard({ loopbackOnly: true }));
  app.post('/api/stop', (_request, response) => {
    response.json({ stopped: true });
  });
  app.use(errorHandler(createLogger('error')));
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
});

after(() => server?.close());

/** node:http, so that the headers a browser sets (Sec-Fetch-Site, Origin, Host) go as written. */
function post(headers: Record<string, string>): Promise<{ status: number; code?: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port, path: '/api/stop', method: 'POST', headers }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, code: (JSON.parse(body) as { error?: { code: string } }).error?.code }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

test('curl, scripts and the server’s own pages get through', async () => {
  assert.equal((await post({})).status, 200, 'no browser headers at all (curl, a script)');
  assert.equal((await post({ 'sec-fetch-site': 'same-origin', origin: `http://127.0.0.1:${port}` })).status, 200, 'the dashboard');
  assert.equal((await post({ host: `localhost:${port}`, 'sec-fetch-site': 'none' })).status, 200, 'an address typed by the user');
});

test('another site’s page is refused, whatever the browser says of it', async () => {
  for (const headers of <Record<string, string>[]>[
    { 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'same-site' }, // another port of localhost: another program's page
    { origin: 'https://evil.example' }, // a browser without Fetch Metadata
    { origin: `http://127.0.0.1:${port + 1}` },
    { host: `evil.example:${port}`, 'sec-fetch-site': 'same-origin', origin: `http://evil.example:${port}` }, // DNS rebinding
  ]) {
    const answer = await post(headers);
    assert.equal(answer.status, 403, JSON.stringify(headers));
    assert.equal(answer.code, 'CROSS_SITE_REFUSED');
  }
});
