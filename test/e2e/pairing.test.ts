import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerProcess, pollUntil, waitForStatus } from './harness.js';

interface ErrorBody {
  error: { code: string; message: string };
}

describe('linking without a camera: pairing code (real server, Chromium, whatsapp-web.js, sandbox)', () => {
  let server: ServerProcess;
  before(async () => {
    server = await ServerProcess.start();
  });
  after(async () => {
    await server?.cleanup();
  });

  test('the session shows a pairing code for a phone number; that phone enters it and the session is WORKING as that account', async () => {
    const created = await server.api('POST', '/api/v1/sessions', { sessionId: 'bycode', waitForQR: true });
    assert.equal(created.body.status, 'SCAN_QR_CODE', JSON.stringify(created.body));
    const refused = await server.api<ErrorBody>('POST', '/api/v1/sessions/bycode/pairing-code', { phone: 'not a number' });
    assert.equal(refused.status, 400);

    const asked = await server.api<{ id: string; code: string }>('POST', '/api/v1/sessions/bycode/pairing-code', { phone: '+15550000301' });
    assert.equal(asked.status, 200, JSON.stringify(asked.body));
    assert.match(asked.body.code, /^[1-9A-HJ-NP-TV-Z]{8}$/, 'eight characters, as WhatsApp shows them');
    // the code rotates (the library asks for a new one every 3 minutes): the session and the event log hold the current one
    await pollUntil(async () => (await server.api('GET', '/api/v1/sessions/bycode')).body.pairingCode === asked.body.code, {
      what: 'the pairing code in the session view',
    });
    const events = await server.api<{ events: { event: string; payload: { code?: string } }[] }>('GET', '/api/v1/sessions/bycode/events?limit=1000');
    assert.ok(events.body.events.some((event) => event.event === 'pairing.code' && event.payload.code === asked.body.code), 'a pairing.code event');

    const wrong = await server.api<ErrorBody>('POST', '/api/v1/sessions/bycode/sandbox/pair', { code: asked.body.code === 'AAAAAAAA' ? 'BBBBBBBB' : 'AAAAAAAA' });
    assert.equal(wrong.status, 409, JSON.stringify(wrong.body));
    assert.equal((await server.api('GET', '/api/v1/sessions/bycode/status')).body.status, 'SCAN_QR_CODE', 'a wrong code links nothing');

    const typed = `${asked.body.code.slice(0, 4)}-${asked.body.code.slice(4).toLowerCase()}`; // as a person types it
    const paired = await server.api('POST', '/api/v1/sessions/bycode/sandbox/pair', { code: typed, pushName: 'Code Desk' });
    assert.equal(paired.status, 200, JSON.stringify(paired.body));
    const status = await waitForStatus(server, 'bycode', 'WORKING');
    assert.deepEqual(status.me, { id: '15550000301@c.us', pushName: 'Code Desk' });

    const again = await server.api<ErrorBody>('POST', '/api/v1/sessions/bycode/pairing-code', { phone: '15550000301' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'PAIRING_NOT_AVAILABLE');
    const sent = await server.api('POST', '/api/v1/sessions/bycode/send-text', { chatId: '15559990301', content: 'linked by code' });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
  });

  test('a stopped session has no pairing code to give: 409 with its status', async () => {
    await server.api('POST', '/api/v1/sessions', { sessionId: 'idle', start: false });
    const response = await server.api<ErrorBody & { error: { details: { status: string } } }>('POST', '/api/v1/sessions/idle/pairing-code', { phone: '15550000302' });
    assert.equal(response.status, 409);
    assert.equal(response.body.error.details.status, 'STOPPED');
  });
});
