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
    const docs = await fetch(`${await server.baseUrl}/api-docs/`);
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger-ui/i);
  });
});

describe('start-up settings', () => {
  test('an invalid setting stops start-up with a message naming it', async () => {
    await assert.rejects(ServerProcess.start({ env: { MAX_SESSIONS: 'many' } }), /MAX_SESSIONS/);
  });
});
