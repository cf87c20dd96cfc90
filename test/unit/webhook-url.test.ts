import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidInputError } from '../../src/shared/errors.js';
import {
  assertDeliverableAddress,
  isLinkLocalAddress,
  validateWebhookUrl,
  type LookupAll,
} from '../../src/events/webhooks/webhook-url.js';

const refuse = { allowLinkLocal: false };
const allow = { allowLinkLocal: true };

describe('validateWebhookUrl', () => {
  const accepted: Array<[string, string]> = [
    ['http://example.com/hook', 'http://example.com/hook'],
    ['https://example.com', 'https://example.com/'],
    ['HTTPS://Example.COM:8443/a?b=c#d', 'https://example.com:8443/a?b=c#d'],
    ['http://127.0.0.1:3000/in', 'http://127.0.0.1:3000/in'],
    ['http://[::1]:3000/in', 'http://[::1]:3000/in'],
    ['http://10.0.0.5/in', 'http://10.0.0.5/in'],
    ['http://169.255.0.1/', 'http://169.255.0.1/'],
    ['http://[fec0::1]/', 'http://[fec0::1]/'],
  ];
  for (const [url, normalised] of accepted) {
    it(`accepts ${url}`, () => assert.equal(validateWebhookUrl(url, refuse), normalised));
  }

  const refused: Array<[string, RegExp]> = [
    ['ftp://example.com/hook', /http or https, not 'ftp'/],
    ['file:///etc/passwd', /http or https/],
    ['javascript:alert(1)', /http or https/],
    ['example.com/hook', /not a valid absolute URL/],
    ['', /required/],
    ['https://user:pass@example.com/', /credentials/],
    ['https://token@example.com/', /credentials/],
    [`https://example.com/${'a'.repeat(2048)}`, /too long/],
    ['http://169.254.169.254/latest/meta-data/', /link-local/],
    ['http://169.254.0.1:8080/', /link-local/],
    ['http://[fe80::1]/', /link-local/],
    ['http://[FEBF::abcd]/', /link-local/],
    ['http://[::ffff:169.254.169.254]/', /link-local/],
    ['http://[::ffff:a9fe:a9fe]/', /link-local/],
    ['http://[64:ff9b::169.254.169.254]/', /link-local/],
    ['http://0xa9fea9fe/', /link-local/], // the URL parser's other IPv4 spellings
    ['http://2852039166/', /link-local/],
    ['http://169.254.169.254./', /link-local/],
  ];
  for (const [url, message] of refused) {
    it(`refuses ${url.slice(0, 60)}`, () => {
      assert.throws(() => validateWebhookUrl(url, refuse), (error: unknown) => {
        assert.ok(error instanceof InvalidInputError);
        assert.match(error.message, message);
        return true;
      });
    });
  }

  it('allows link-local addresses with the option, and nothing else changes', () => {
    assert.equal(validateWebhookUrl('http://169.254.169.254/x', allow), 'http://169.254.169.254/x');
    assert.equal(validateWebhookUrl('http://[fe80::1]/', allow), 'http://[fe80::1]/');
    assert.equal(validateWebhookUrl('http://[::ffff:169.254.169.254]/', allow), 'http://[::ffff:a9fe:a9fe]/');
    assert.throws(() => validateWebhookUrl('ftp://169.254.169.254/', allow), InvalidInputError);
    assert.throws(() => validateWebhookUrl('http://a:b@169.254.169.254/', allow), InvalidInputError);
  });

  it('accepts exactly 2048 characters', () => {
    const base = 'https://example.com/';
    assert.doesNotThrow(() => validateWebhookUrl(base + 'a'.repeat(2048 - base.length), refuse));
    assert.throws(() => validateWebhookUrl(base + 'a'.repeat(2049 - base.length), refuse), /too long/);
  });
});

describe('isLinkLocalAddress', () => {
  const table: Array<[string, boolean]> = [
    ['169.254.169.254', true],
    ['169.254.0.0', true],
    ['169.254.255.255', true],
    ['169.253.255.255', false],
    ['169.255.0.0', false],
    ['127.0.0.1', false],
    ['fe80::1', true],
    ['fe80::1%eth0', true],
    ['[fe80::1]', true],
    ['febf:ffff::1', true],
    ['fec0::1', false],
    ['::1', false],
    ['::ffff:169.254.169.254', true],
    ['::ffff:a9fe:a9fe', true],
    ['::ffff:127.0.0.1', false],
    ['not-an-ip', false],
  ];
  for (const [address, expected] of table) {
    it(`${address} -> ${expected}`, () => assert.equal(isLinkLocalAddress(address), expected));
  }
});

describe('assertDeliverableAddress', () => {
  const resolvesTo =
    (...addresses: string[]): LookupAll =>
    async () =>
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('passes public and loopback answers', async () => {
    await assertDeliverableAddress('hooks.example', { ...refuse, lookup: resolvesTo('93.184.216.34', '2606:2800::1') });
    await assertDeliverableAddress('localhost', refuse); // the real resolver
    await assertDeliverableAddress('127.0.0.1', refuse);
    await assertDeliverableAddress('[::1]', refuse);
  });

  it('refuses when any resolved address is link-local', async () => {
    await assert.rejects(
      assertDeliverableAddress('rebind.example', { ...refuse, lookup: resolvesTo('93.184.216.34', '169.254.169.254') }),
      (error: unknown) => error instanceof InvalidInputError && /rebind\.example.*169\.254\.169\.254/.test(error.message),
    );
    await assert.rejects(assertDeliverableAddress('x.example', { ...refuse, lookup: resolvesTo('fe80::1%eth0') }), InvalidInputError);
    await assert.rejects(assertDeliverableAddress('x.example', { ...refuse, lookup: resolvesTo('::ffff:169.254.1.1') }), InvalidInputError);
    await assert.rejects(assertDeliverableAddress('[fe80::1]', refuse), InvalidInputError);
    await assert.rejects(assertDeliverableAddress('169.254.169.254', refuse), InvalidInputError);
  });

  it('does not resolve at all when link-local is allowed', async () => {
    let lookups = 0;
    const lookup: LookupAll = async () => {
      lookups++;
      return [{ address: '169.254.169.254', family: 4 }];
    };
    await assertDeliverableAddress('metadata.example', { ...allow, lookup });
    await assertDeliverableAddress('169.254.169.254', allow);
    assert.equal(lookups, 0);
  });

  it('lets resolution errors through as they are (retryable, not a refusal)', async () => {
    const lookup: LookupAll = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' });
    };
    await assert.rejects(assertDeliverableAddress('nowhere.invalid', { ...refuse, lookup }), (error: unknown) => {
      assert.ok(!(error instanceof InvalidInputError));
      return true;
    });
  });
});
