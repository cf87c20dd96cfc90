import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess } from './harness.js';

describe('REST API basics (real server process)', () => {
  let server: ServerProcess;
  before(async () => {
    server = await ServerProcess.start({ env: { API_KEY: 'test-key-123456' } });
  });
  after(async () => {
    await server?.cleanup();
  });

  test('health and info answer without a key', async () => {
    const health = await server.api('GET', '/health', undefined, { 'x-api-key': '' });
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok' });
    const info = await server.api('GET', '/info');
    assert.equal(info.status, 200);
    assert.equal(info.body.name, 'wamux');
    assert.equal(info.body.whatsappWebJs, '1.34.7');
  });

  test('every /api route needs the key: missing or wrong is 401 JSON, right is 200', async () => {
    const missing = await fetch(`${await server.baseUrl}/api/v1/sessions`);
    assert.equal(missing.status, 401);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
    const wrong = await server.api('GET', '/api/v1/sessions', undefined, { 'x-api-key': 'test-key-12345X' });
    assert.equal(wrong.status, 401);
    const right = await server.api('GET', '/api/v1/sessions');
    assert.equal(right.status, 200);
    assert.deepEqual(right.body, { sessions: [] });
  });

  test('a body is not parsed before the key is checked', async () => {
    const response = await fetch(`${await server.baseUrl}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"sessionId": ' + '"x"'.padEnd(2_000_000, ' ') + '}',
    });
    assert.equal(response.status, 401);
  });

  test('bad input is a clear 4xx JSON error and reaches nothing on disk', async () => {
    const badId = await server.api('POST', '/api/v1/sessions', { sessionId: '../../etc' });
    assert.equal(badId.status, 400);
    assert.match(JSON.stringify(badId.body), /sessionId/);
    const badPathId = await server.api('GET', '/api/v1/sessions/a.b');
    assert.equal(badPathId.status, 400);
    const badConfig = await server.api('POST', '/api/v1/sessions', { sessionId: 'ok', config: { qrTimeout: 'soon' } });
    assert.equal(badConfig.status, 400);
    assert.match(JSON.stringify(badConfig.body), /config\.qrTimeout/);
    const notJson = await server.api('POST', '/api/v1/sessions', '{"sessionId":', {});
    assert.equal(notJson.status, 400);
    assert.equal((notJson.body as { error: { code: string } }).error.code, 'INVALID_JSON');
    const tooBig = await server.api('POST', '/api/v1/sessions', { sessionId: 'big', pad: 'x'.repeat(2_000_000) });
    assert.equal(tooBig.status, 413);
    const unknown = await server.api('GET', '/api/v1/sessions/nobody');
    assert.equal(unknown.status, 404);
    assert.equal((unknown.body as { error: { code: string } }).error.code, 'SESSION_NOT_FOUND');
    const noRoute = await server.api('GET', '/api/v1/nothing-here');
    assert.equal(noRoute.status, 404);
    assert.deepEqual((await server.api('GET', '/api/v1/sessions')).body, { sessions: [] });
  });

  test('a stopped session: 409 on send-text and on the QR, with its status; proxy password never shown', async () => {
    const created = await server.api('POST', '/api/v1/sessions', {
      sessionId: 'idle',
      start: false,
      config: { proxyServerCredentials: { protocol: 'http', address: 'proxy.local:3128', username: 'u', password: 'hunter2' } },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.status, 'STOPPED');
    assert.doesNotMatch(JSON.stringify(created.body), /hunter2/);
    const duplicate = await server.api('POST', '/api/v1/sessions', { sessionId: 'idle', start: false });
    assert.equal(duplicate.status, 409);
    const send = await server.api('POST', '/api/v1/sessions/idle/send-text', { chatId: '15550009999', content: 'hi' });
    assert.equal(send.status, 409);
    assert.deepEqual((send.body as { error: { details: unknown } }).error.details, { status: 'STOPPED' });
    const qr = await server.api('GET', '/api/v1/sessions/idle/qr');
    assert.equal(qr.status, 409);
    const badChat = await server.api('POST', '/api/v1/sessions/idle/send-text', { chatId: 'bob', content: 'hi' });
    assert.equal(badChat.status, 400);
    assert.equal((await server.api('DELETE', '/api/v1/sessions/idle')).status, 200);
  });

  test('the OpenAPI document lists the routes and Swagger UI is served', async () => {
    const spec = await server.api<{ paths: Record<string, unknown> }>('GET', '/openapi.json');
    assert.equal(spec.status, 200);
    for (const route of ['/api/v1/sessions', '/api/v1/sessions/{id}/send-text', '/api/v1/sessions/{id}/sandbox/scan', '/api/v1/sessions/{id}/qr/image', '/api/v1/sessions/{id}/webhooks', '/api/v1/events/stream', '/api/v1/maintenance/terminate-inactive']) {
      assert.ok(spec.body.paths[route], `${route} documented`);
    }
    // a browser with the page cached asks for the init script first: it must already carry the document
    const init = await fetch(`${await server.baseUrl}/api-docs/swagger-ui-init.js`);
    assert.equal(init.status, 200);
    assert.match(await init.text(), /\/api\/v1\/sessions\/\{id\}\/send-text/);
    const docs = await fetch(`${await server.baseUrl}/api-docs/`);
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger-ui/i);
  });
});

describe('start-up settings', () => {
  test('an invalid setting stops start-up with a message naming it', async () => {
    await assert.rejects(ServerProcess.start({ env: { MAX_SESSIONS: 'many' } }), /MAX_SESSIONS/);
  });

  test('without an API key the server will not listen beyond loopback, and says why', async () => {
    await assert.rejects(ServerProcess.start({ args: ['--host', '0.0.0.0'] }), (error: Error) => {
      assert.match(error.message, /Refusing to listen on 0\.0\.0\.0 without an API key/);
      assert.match(error.message, /API_KEY/);
      assert.match(error.message, /--insecure-no-api-key/);
      return true;
    });
  });

  test('a too-short API key stops start-up without being echoed', async () => {
    await assert.rejects(ServerProcess.start({ env: { API_KEY: 'hunter2' } }), (error: Error) => {
      assert.match(error.message, /API_KEY/);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
  });
});

describe('safe defaults (real server process)', () => {
  const KEY = 'limits-key-0123456789';
  let server: ServerProcess;
  before(async () => {
    server = await ServerProcess.start({ env: { API_KEY: KEY } });
  });
  after(async () => {
    await server?.cleanup();
  });

  test('a chromiumArgs flag that could run a program is a 400 naming it; nothing is created', async () => {
    const response = await server.api<{ error: { message: string } }>(
      'POST',
      '/api/v1/sessions',
      { sessionId: 'sneaky', start: false, config: { chromiumArgs: ['--lang=en', '--renderer-cmd-prefix=/bin/sh -c "touch /tmp/pwned"'] } },
    );
    assert.equal(response.status, 400, JSON.stringify(response.body));
    assert.match(response.body.error.message, /--renderer-cmd-prefix is not allowed/);
  });

  test('webhooks to this host or a private network are refused, at creation and later, unless allowed', async () => {
    const hits: string[] = [];
    const { createServer } = await import('node:http');
    const receiver = createServer((request, response) => {
      hits.push(request.url ?? '');
      response.end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const port = (receiver.address() as { port: number }).port;
      const refused = [`http://127.0.0.1:${port}/hook`, `http://localhost:${port}/hook`, `http://[::ffff:127.0.0.1]:${port}/x`, 'http://0x7f000001/x', 'http://10.1.2.3/x', 'http://169.254.169.254/latest'];
      for (const url of refused) {
        const created = await server.api<{ error: { message: string } }>('POST', '/api/v1/sessions', { sessionId: 'hooked', start: false, config: { webhooks: [{ url }] } });
        assert.equal(created.status, 400, `${url}: ${JSON.stringify(created.body)}`);
        assert.match(created.body.error.message, /--webhook-allow-hosts/);
        const legacy = await server.api('POST', '/api/v1/sessions', { sessionId: 'hooked', start: false, config: { webhookUrl: url } });
        assert.equal(legacy.status, 400, `webhookUrl ${url}`);
      }
      assert.equal((await server.api('GET', '/api/v1/sessions/hooked')).status, 404, 'nothing was created');
      assert.equal((await server.api('POST', '/api/v1/sessions', { sessionId: 'hooked', start: false })).status, 201);
      for (const url of refused) {
        const put = await server.api('PUT', '/api/v1/sessions/hooked/webhooks', [{ url }]);
        assert.equal(put.status, 400, `PUT ${url}`);
      }
      assert.deepEqual((await server.api<{ webhooks: unknown[] }>('GET', '/api/v1/sessions/hooked/webhooks')).body.webhooks, []);
      assert.deepEqual(hits, [], 'nothing reached the receiver');
      assert.equal((await server.api('DELETE', '/api/v1/sessions/hooked')).status, 200);
    } finally {
      receiver.close();
    }
  });

  test('with the default limit, a busy bot is not refused: 1000 requests per 10 s, 300 in a burst all pass', async () => {
    const statuses = await Promise.all(Array.from({ length: 300 }, () => server.api('GET', '/api/v1/sessions').then((response) => response.status)));
    assert.deepEqual([...new Set(statuses)], [200]);
    const policy = (await server.api('GET', '/api/v1/sessions')).headers.get('ratelimit-policy');
    assert.match(policy ?? '', /q=1000;\s*w=10\b/, `the limit the server announces: ${policy}`);
  });

});

describe('rate limit (real server process)', () => {
  const KEY = 'limits-key-0123456789';
  let server: ServerProcess;
  before(async () => {
    server = await ServerProcess.start({ env: { API_KEY: KEY, RATE_LIMIT_MAX: '20', RATE_LIMIT_WINDOW_MS: '60000', TRUST_PROXY: 'loopback' } });
  });
  after(async () => {
    await server?.cleanup();
  });

  test('the rate limit counts per API key, and per client address (behind a trusted proxy) without one', async () => {
    // requests with the key come from several clients: they share the key's budget
    const withKey = (client: string) => server.api('GET', '/api/v1/sessions', undefined, { 'x-forwarded-for': client });
    for (let i = 0; i < 20; i++) assert.equal((await withKey(`198.51.100.${i % 4}`)).status, 200, `request ${i + 1}`);
    const limited = await server.api<{ error: { code: string } }>('GET', '/api/v1/sessions', undefined, { 'x-forwarded-for': '198.51.100.200' });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, 'RATE_LIMITED');
    // the key's budget is spent; clients without the key are counted by their own address, one by one
    const anonymous = (client: string) => server.api('GET', '/api/v1/sessions', undefined, { 'x-api-key': 'wrong-key-000000', 'x-forwarded-for': client });
    for (let i = 0; i < 20; i++) assert.equal((await anonymous('203.0.113.7')).status, 401);
    assert.equal((await anonymous('203.0.113.7')).status, 429, 'that address has spent its budget');
    assert.equal((await anonymous('203.0.113.8')).status, 401, 'another client behind the proxy has its own');
  });
});
