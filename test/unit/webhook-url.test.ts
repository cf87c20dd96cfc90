import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidInputError } from '../../src/shared/errors.js';
import { parseAllowHosts, RefusedAddressError } from '../../src/net/outbound-policy.js';
import { checkWebhookTarget, createWebhookPolicy, linkLocalAllowEntries, validateWebhookUrl } from '../../src/events/webhooks/webhook-url.js';

const refuse = createWebhookPolicy({ allowHosts: [] });
const allowLinkLocal = createWebhookPolicy({ allowHosts: [], allowLinkLocal: true });

describe('validateWebhookUrl', () => {
  const accepted: Array<[string, string]> = [
    ['http://example.com/hook', 'http://example.com/hook'],
    ['https://example.com', 'https://example.com/'],
    ['HTTPS://Example.COM:8443/a?b=c#d', 'https://example.com:8443/a?b=c#d'],
    ['http://93.184.216.34:3000/in', 'http://93.184.216.34:3000/in'],
    ['http://[2606:2800:220:1::1]:3000/in', 'http://[2606:2800:220:1::1]:3000/in'],
    ['http://169.255.0.1/', 'http://169.255.0.1/'],
    ['http://[fe00::1]/', 'http://[fe00::1]/'],
    ['http://localhost:3000/in', 'http://localhost:3000/in'], // a name: checked on what it resolves to, at delivery
  ];
  for (const [url, normalised] of accepted) {
    it(`accepts ${url}`, () => assert.equal(validateWebhookUrl(url, refuse), normalised));
  }

  const refused: Array<[string, RegExp]> = [
    ['http://[fec0::1]/', /reserved address/],
    ['http://[2002:7f00:1::]/', /loopback address/],
    ['ftp://example.com/hook', /http or https, not 'ftp'/],
    ['file:///etc/passwd', /http or https/],
    ['javascript:alert(1)', /http or https/],
    ['example.com/hook', /not a valid absolute URL/],
    ['', /required/],
    ['https://user:pass@example.com/', /credentials.*webhook secret/],
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
    ['http://127.0.0.1:3000/in', /loopback/],
    ['http://0x7f000001/', /loopback/],
    ['http://[::1]:3000/in', /loopback/],
    ['http://[::ffff:127.0.0.1]/', /loopback/],
    ['http://10.0.0.5/in', /private/],
    ['http://[fd00::5]/in', /private/],
    ['http://0.0.0.0/', /unspecified/],
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

  it('says how to allow a refused address', () => {
    assert.throws(() => validateWebhookUrl('http://127.0.0.1:3000/in', refuse), (error: unknown) => {
      assert.ok(error instanceof RefusedAddressError);
      assert.equal(
        error.message,
        'Webhook URL is refused: 127.0.0.1 is a loopback address, which is refused by default; to allow it, add 127.0.0.1 (or a CIDR containing it) to --webhook-allow-hosts (WEBHOOK_ALLOW_HOSTS)',
      );
      return true;
    });
  });

  it('allows loopback and private targets on the allow-list, and nothing else changes', () => {
    const policy = createWebhookPolicy({ allowHosts: parseAllowHosts('127.0.0.1,::1,10.0.0.0/8') });
    assert.equal(validateWebhookUrl('http://127.0.0.1:3000/in', policy), 'http://127.0.0.1:3000/in');
    assert.equal(validateWebhookUrl('http://0x7f000001:3000/in', policy), 'http://127.0.0.1:3000/in');
    assert.equal(validateWebhookUrl('http://[::1]:3000/in', policy), 'http://[::1]:3000/in');
    assert.equal(validateWebhookUrl('http://10.0.0.5/in', policy), 'http://10.0.0.5/in');
    assert.throws(() => validateWebhookUrl('http://127.0.0.2/', policy), /loopback/);
    assert.throws(() => validateWebhookUrl('http://192.168.0.1/', policy), /private/);
    assert.throws(() => validateWebhookUrl('http://169.254.169.254/', policy), /link-local/);
    assert.throws(() => validateWebhookUrl('ftp://127.0.0.1/', policy), InvalidInputError);
  });

  it('allows link-local addresses with --webhook-allow-link-local, and nothing else changes', () => {
    assert.equal(validateWebhookUrl('http://169.254.169.254/x', allowLinkLocal), 'http://169.254.169.254/x');
    assert.equal(validateWebhookUrl('http://[fe80::1]/', allowLinkLocal), 'http://[fe80::1]/');
    assert.equal(validateWebhookUrl('http://[::ffff:169.254.169.254]/', allowLinkLocal), 'http://[::ffff:a9fe:a9fe]/');
    assert.throws(() => validateWebhookUrl('ftp://169.254.169.254/', allowLinkLocal), InvalidInputError);
    assert.throws(() => validateWebhookUrl('http://a:b@169.254.169.254/', allowLinkLocal), InvalidInputError);
    assert.throws(() => validateWebhookUrl('http://127.0.0.1/', allowLinkLocal), /loopback/);
  });

  it('accepts exactly 2048 characters', () => {
    const base = 'https://example.com/';
    assert.doesNotThrow(() => validateWebhookUrl(base + 'a'.repeat(2048 - base.length), refuse));
    assert.throws(() => validateWebhookUrl(base + 'a'.repeat(2049 - base.length), refuse), /too long/);
  });
});

describe('linkLocalAllowEntries (the --webhook-allow-link-local setting)', () => {
  const table: Array<[string, boolean]> = [
    ['169.254.169.254', true],
    ['169.254.0.0', true],
    ['169.254.255.255', true],
    ['fe80::1', true],
    ['fe80::1%eth0', true],
    ['[fe80::1]', true],
    ['febf:ffff::1', true],
    ['::ffff:169.254.169.254', true],
    ['::ffff:a9fe:a9fe', true],
    ['64:ff9b::169.254.169.254', true],
    ['127.0.0.1', false],
    ['::1', false],
    ['::ffff:127.0.0.1', false],
    ['10.0.0.1', false],
  ];
  for (const [address, allowed] of table) {
    it(`${address} -> ${allowed ? 'allowed' : 'still refused'}`, () => {
      assert.equal(refuse.refusalOf(address) !== undefined, true, 'refused by default');
      assert.equal(allowLinkLocal.refusalOf(address) === undefined, allowed);
    });
  }

  it('is 169.254.0.0/16 and fe80::/10', () => {
    assert.deepEqual(linkLocalAllowEntries(), parseAllowHosts('169.254.0.0/16,fe80::/10'));
  });
});

describe('checkWebhookTarget (when a webhook is set)', () => {
  const answers: Record<string, string[]> = { localhost: ['127.0.0.1'], 'lan.example': ['192.168.1.20'], 'crm.example': ['93.184.215.14'] };
  const resolve = async (host: string) => {
    const found = answers[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: 4 }));
  };
  const policy = createWebhookPolicy({ allowHosts: [] });

  it('refuses a name that resolves to loopback or a private network, naming the address and the setting', async () => {
    for (const url of ['http://localhost:4000/hook', 'https://lan.example/in']) {
      await assert.rejects(checkWebhookTarget(url, policy, resolve), (error: unknown) => {
        assert.ok(error instanceof RefusedAddressError, String(error));
        assert.match(error.message, /127\.0\.0\.1|192\.168\.1\.20/);
        assert.match(error.message, /--webhook-allow-hosts/);
        return true;
      });
    }
  });

  it('accepts a public name, a name that does not resolve yet, and an allowed name', async () => {
    assert.equal(await checkWebhookTarget('https://crm.example/wa', policy, resolve), 'https://crm.example/wa');
    assert.equal(await checkWebhookTarget('https://not-yet.example/wa', policy, resolve), 'https://not-yet.example/wa');
    const allowed = createWebhookPolicy({ allowHosts: parseAllowHosts('localhost') });
    assert.equal(await checkWebhookTarget('http://localhost:4000/hook', allowed, resolve), 'http://localhost:4000/hook');
  });
});
