import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import {
  HEADER_CONTENT_TYPE,
  HEADER_DELIVERY_ID,
  HEADER_EVENT,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  HEADER_USER_AGENT,
  signDelivery,
  verifySignature,
} from '../../src/events/webhooks/webhook-signature.js';

const secret = 'whsec_test_0123456789';
const timestamp = '1700000000';
const body = '{"id":"evt_1","event":"message","payload":{"body":"héllo"}}';
const nowMs = 1_700_000_000_000;

describe('signDelivery', () => {
  it('is sha256=<hex> of HMAC-SHA256 over "<timestamp>.<body>"', () => {
    const expected = 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
    assert.equal(signDelivery(secret, timestamp, body), expected);
    assert.match(signDelivery(secret, timestamp, body), /^sha256=[0-9a-f]{64}$/);
  });

  it('matches a fixed vector (HMAC-SHA256("key", "1.{}"))', () => {
    const vector = createHmac('sha256', 'key').update('1.{}').digest('hex');
    assert.equal(signDelivery('key', '1', '{}'), `sha256=${vector}`);
  });

  it('exports lower-case header names', () => {
    assert.deepEqual(
      [HEADER_CONTENT_TYPE, HEADER_USER_AGENT, HEADER_DELIVERY_ID, HEADER_EVENT, HEADER_TIMESTAMP, HEADER_SIGNATURE],
      ['content-type', 'user-agent', 'x-wamux-delivery', 'x-wamux-event', 'x-wamux-timestamp', 'x-wamux-signature'],
    );
  });
});

describe('verifySignature', () => {
  const header = signDelivery(secret, timestamp, body);

  it('accepts the signature it was given', () => {
    assert.equal(verifySignature(secret, timestamp, body, header, 300, nowMs), true);
  });

  it('detects tampering with the body, the timestamp, the secret or the signature', () => {
    assert.equal(verifySignature(secret, timestamp, body.replace('héllo', 'hello'), header, 300, nowMs), false);
    assert.equal(verifySignature(secret, '1700000001', body, header, 300, nowMs), false);
    assert.equal(verifySignature('other-secret', timestamp, body, header, 300, nowMs), false);
    const flipped = header.slice(0, -1) + (header.endsWith('0') ? '1' : '0');
    assert.equal(verifySignature(secret, timestamp, body, flipped, 300, nowMs), false);
  });

  it('answers false (never throws) for malformed headers', () => {
    for (const bad of [undefined, null, '', 'sha256=', 'sha256=abc', header.slice('sha256='.length), `sha1=${header.slice(7)}`, `${header}00`]) {
      assert.equal(verifySignature(secret, timestamp, body, bad, 300, nowMs), false, String(bad));
    }
    assert.equal(verifySignature(secret, 'not-a-number', body, signDelivery(secret, 'not-a-number', body), 300, nowMs), false);
  });

  it('enforces the tolerance on both sides of now', () => {
    assert.equal(verifySignature(secret, timestamp, body, header, 300, nowMs + 300_000), true);
    assert.equal(verifySignature(secret, timestamp, body, header, 300, nowMs + 301_000), false);
    assert.equal(verifySignature(secret, timestamp, body, header, 300, nowMs - 301_000), false);
    assert.equal(verifySignature(secret, timestamp, body, header, 10, nowMs + 11_000), false);
    assert.equal(verifySignature(secret, timestamp, body, header, Infinity, nowMs + 10 ** 12), true);
  });

  it('defaults to a 5-minute tolerance against the real clock', () => {
    const fresh = String(Math.floor(Date.now() / 1000));
    assert.equal(verifySignature(secret, fresh, body, signDelivery(secret, fresh, body)), true);
    assert.equal(verifySignature(secret, timestamp, body, header), false);
  });
});
