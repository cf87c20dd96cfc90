import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { InvalidInputError } from '../../src/shared/errors.js';
import {
  checkUrlAsWritten,
  createOutboundPolicy,
  findRefusedAddressError,
  parseAllowHosts,
  RefusedAddressError,
  type RefusedRange,
} from '../../src/net/outbound-policy.js';
import { createGuardedFetch, createGuardedLookup, resolveChecked, type ResolveAll } from '../../src/net/guarded-connections.js';

const byDefault = createOutboundPolicy({ allowHosts: [] });
const allowing = (text: string) => createOutboundPolicy({ allowHosts: parseAllowHosts(text), allowSetting: '--test-allow' });

/** A resolver answering from a table; counts its calls per name. */
function resolverOf(table: Record<string, string[] | (() => string[])>) {
  const calls: string[] = [];
  const resolve: ResolveAll = async (hostname) => {
    calls.push(hostname);
    const entry = table[hostname];
    if (entry === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    const addresses = typeof entry === 'function' ? entry() : entry;
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, calls };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

interface Server {
  port: number;
  connections: number;
  requests: number;
}

/** A real HTTP server answering `name`, closing every connection after one answer (so each request connects anew). */
async function startServer(host: string, name: string, port = 0): Promise<Server> {
  const state: Server = { port: 0, connections: 0, requests: 0 };
  const server = http.createServer((_request, response) => {
    state.requests++;
    response.writeHead(200, { connection: 'close' }).end(name);
  });
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  state.port = (server.address() as AddressInfo).port;
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return state;
}

describe('OutboundPolicy: refused by default, in every spelling', () => {
  const refused: Array<[RefusedRange, string[]]> = [
    ['loopback', ['127.0.0.1', '127.255.255.254', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::127.0.0.1', '::ffff:0:127.0.0.1', '64:ff9b::127.0.0.1']],
    ['unspecified', ['0.0.0.0', '0.1.2.3', '::', '::ffff:0.0.0.0', '::ffff:0:0.0.0.0', '64:ff9b::0.0.0.0']],
    [
      'private',
      ['10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.255', '192.168.0.1', '192.168.255.255', 'fc00::1', 'fdff:ffff::1', '::ffff:10.0.0.1', '::10.0.0.1', '::ffff:0:192.168.0.1', '64:ff9b::172.16.0.1'],
    ],
    ['carrier-grade NAT', ['100.64.0.1', '100.127.255.255', '::ffff:100.64.0.1', '::100.64.0.1', '::ffff:0:100.64.0.1', '64:ff9b::100.100.0.1']],
    [
      'link-local',
      ['169.254.169.254', '169.254.0.0', '169.254.255.255', 'fe80::1', 'fe80::1%eth0', '[fe80::1]', 'febf:ffff::1', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '::169.254.1.1', '::ffff:0:169.254.1.1', '64:ff9b::169.254.169.254'],
    ],
    ['multicast', ['224.0.0.1', '239.255.255.255', 'ff02::1', 'ff0e::1', '::ffff:224.0.0.1', '::224.0.0.1', '::ffff:0:224.0.0.1', '64:ff9b::239.1.1.1']],
    ['broadcast', ['255.255.255.255', '::ffff:255.255.255.255', '::255.255.255.255', '::ffff:0:255.255.255.255', '64:ff9b::255.255.255.255']],
    ['reserved', ['192.0.0.8', '198.18.0.1', '198.19.255.255', '240.0.0.1', '250.1.2.3', 'fec0::1', 'feff::1', '64:ff9b:1::a', '2001:0:4136:e378::1']],
  ];

  it('6to4 addresses (2002::/16) carry an IPv4 address: refused like that address', () => {
    assert.equal(byDefault.refusalOf('2002:7f00:1::'), 'loopback');
    assert.equal(byDefault.refusalOf('2002:a9fe:a9fe::1'), 'link-local');
    assert.equal(byDefault.refusalOf('2002:c0a8:101::1'), 'private');
    assert.equal(byDefault.refusalOf('2002:5db8:d70e::1'), undefined, '6to4 of a public address');
  });
  for (const [range, addresses] of refused) {
    it(`${range}: ${addresses.join(' ')}`, () => {
      for (const address of addresses) assert.equal(byDefault.refusalOf(address), range, address);
    });
  }

  it('lets everything else through', () => {
    const open = [
      '8.8.8.8', '93.184.216.34', '1.0.0.1', '9.255.255.255', '11.0.0.0', '100.63.255.255', '100.128.0.0', '126.255.255.255', '128.0.0.0',
      '169.253.255.255', '169.255.0.0', '172.15.255.255', '172.32.0.0', '192.167.255.255', '192.169.0.0', '223.255.255.255',
      '2606:2800:220:1::1', '2001:db8::1', 'fbff::1', 'fe7f::1', 'fe00::1', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8', '64:ff9c::127.0.0.1', '198.20.0.0', '192.0.1.1', '223.1.1.1',
    ];
    for (const address of open) assert.equal(byDefault.refusalOf(address), undefined, address);
  });

  it('refuses to judge something that is not an IP address', () => {
    assert.throws(() => byDefault.refusalOf('localhost'), TypeError);
  });
});

describe('OutboundPolicy: allow-list', () => {
  it('an IP address allows that address (in every spelling) and nothing next to it', () => {
    const policy = allowing('127.0.0.1');
    for (const address of ['127.0.0.1', '::ffff:127.0.0.1', '::ffff:7f00:1', '64:ff9b::127.0.0.1']) assert.equal(policy.refusalOf(address), undefined, address);
    assert.equal(policy.refusalOf('127.0.0.2'), 'loopback');
    assert.equal(policy.refusalOf('::1'), 'loopback');
    assert.equal(policy.refusalOf('10.0.0.1'), 'private');
  });

  it('a CIDR allows its range', () => {
    const policy = allowing('10.0.0.0/8, 192.168.1.0/24');
    for (const address of ['10.0.0.0', '10.200.3.4', '10.255.255.255', '::ffff:10.1.1.1', '192.168.1.77']) assert.equal(policy.refusalOf(address), undefined, address);
    assert.equal(policy.refusalOf('192.168.2.1'), 'private');
    assert.equal(policy.refusalOf('172.16.0.1'), 'private');
  });

  it('IPv6 addresses and CIDRs', () => {
    const policy = allowing('::1, fd00::/8, [fe80::]/10');
    for (const address of ['::1', 'fd12:3456::1', 'fe80::1', 'fe80::1%eth0']) assert.equal(policy.refusalOf(address), undefined, address);
    assert.equal(policy.refusalOf('fc00::1'), 'private');
    assert.equal(policy.refusalOf('127.0.0.1'), 'loopback');
  });

  it('a host name is matched exactly, case-insensitively, trailing dot ignored', () => {
    const policy = allowing('Receiver.LAN,localhost.');
    for (const name of ['receiver.lan', 'RECEIVER.lan', 'receiver.lan.', 'localhost']) assert.equal(policy.allowsHostName(name), true, name);
    for (const name of ['sub.receiver.lan', 'receiver.lan.evil', 'other.lan', '127.0.0.1']) assert.equal(policy.allowsHostName(name), false, name);
    assert.equal(policy.refusalOf('127.0.0.1'), 'loopback', 'a host name allows no address');
  });
});

describe('parseAllowHosts', () => {
  it('reads addresses, CIDRs and host names', () => {
    assert.deepEqual(parseAllowHosts(' 127.0.0.1,localhost , 10.0.0.0/8,::1,receiver.lan,[fd00::]/8,[::2],Bücher.Example.,'), [
      { kind: 'address', address: '127.0.0.1', family: 'ipv4' },
      { kind: 'host', name: 'localhost' },
      { kind: 'subnet', network: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { kind: 'address', address: '::1', family: 'ipv6' },
      { kind: 'host', name: 'receiver.lan' },
      { kind: 'subnet', network: 'fd00::', prefix: 8, family: 'ipv6' },
      { kind: 'address', address: '::2', family: 'ipv6' },
      { kind: 'host', name: 'xn--bcher-kva.example' },
    ]);
    assert.deepEqual(parseAllowHosts(''), []);
    assert.deepEqual(parseAllowHosts(' , '), []);
  });

  const bad: Array<[string, RegExp]> = [
    ['10.0.0.0/33', /prefix length .* 0 to 32/],
    ['::/129', /prefix length .* 0 to 128/],
    ['10.0.0.0/', /prefix length/],
    ['10.0.0.0/8/8', /prefix length/],
    ['10.0.0/8', /CIDR/],
    ['receiver.lan/24', /CIDR/],
    ['http://receiver.lan', /no scheme, port or path/],
    ['receiver.lan:8080', /no scheme, port or path/],
    ['bad host', /no scheme, port or path/],
    ['-bad.example', /no scheme, port or path/],
    ['*.example.com', /wildcards/],
    ['fe80::1%eth0', /zone ids/],
    ['127.1', /not a valid IP address/],
    ['0x7f000001', /not a valid IP address/],
    ['1.2.3.256', /not a valid IP address/],
  ];
  for (const [entry, reason] of bad) {
    it(`refuses '${entry}', naming it`, () => {
      assert.throws(() => parseAllowHosts(`127.0.0.1,${entry},::1`), (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.ok(error.message.startsWith(`Invalid allow-list entry '${entry}': `), error.message);
        assert.match(error.message, reason);
        return true;
      });
    });
  }
});

describe('checkUrlAsWritten', () => {
  const literal: Array<[string, RefusedRange]> = [
    ['http://127.0.0.1:3000/in', 'loopback'],
    ['http://0x7f000001/', 'loopback'],
    ['http://2130706433/', 'loopback'],
    ['http://127.1/', 'loopback'],
    ['http://0177.0.0.1/', 'loopback'],
    ['http://[::1]/', 'loopback'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://[::127.0.0.1]/', 'loopback'],
    ['http://[::ffff:0:127.0.0.1]/', 'loopback'],
    ['http://[64:ff9b::7f00:1]/', 'loopback'],
    ['http://0/', 'unspecified'],
    ['http://[::]/', 'unspecified'],
    ['https://10.1/', 'private'],
    ['https://[fd00::1]:8443/', 'private'],
    ['http://100.64.0.1/', 'carrier-grade NAT'],
    ['http://0xa9fea9fe/', 'link-local'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://255.255.255.255/', 'broadcast'],
  ];
  for (const [url, range] of literal) {
    it(`refuses ${url} (${range}) and says how to allow it`, () => {
      assert.throws(() => checkUrlAsWritten(url, allowing('receiver.lan'), { label: 'Hook URL' }), (error: unknown) => {
        assert.ok(error instanceof RefusedAddressError);
        assert.ok(error instanceof InvalidInputError);
        assert.equal(error.range, range);
        assert.match(error.message, /^Hook URL is refused: /);
        assert.ok(error.message.includes(`${range} address`), error.message);
        assert.match(error.message, /--test-allow/);
        return true;
      });
    });
  }

  it('accepts refused literals once allowed, and does not resolve host names', () => {
    const policy = allowing('127.0.0.0/8,::1');
    assert.equal(checkUrlAsWritten('http://0x7f000001:8080/x', policy), 'http://127.0.0.1:8080/x');
    assert.equal(checkUrlAsWritten('http://[::1]/', policy), 'http://[::1]/');
    assert.equal(checkUrlAsWritten('http://localhost/', byDefault), 'http://localhost/');
    assert.equal(checkUrlAsWritten('https://93.184.216.34/', byDefault), 'https://93.184.216.34/');
  });

  it('refuses what is not an http(s) URL without credentials, whatever the allow-list', () => {
    const everything = allowing('0.0.0.0/0,::/0');
    assert.throws(() => checkUrlAsWritten('ftp://127.0.0.1/', everything), /http or https, not 'ftp'/);
    assert.throws(() => checkUrlAsWritten('http://a:b@127.0.0.1/', everything, { credentialsAdvice: 'use X' }), /credentials \(user:password@\); use X$/);
    assert.throws(() => checkUrlAsWritten(`http://127.0.0.1/${'a'.repeat(2048)}`, everything), /too long/);
  });
});

describe('resolveChecked and the guarded lookup', () => {
  it('passes public answers, resolving once', async () => {
    const { resolve, calls } = resolverOf({ 'hooks.example': ['93.184.216.34', '2606:2800:220:1::1'] });
    const answers = await resolveChecked('hooks.example', byDefault, resolve);
    assert.deepEqual(answers.map((answer) => answer.address), ['93.184.216.34', '2606:2800:220:1::1']);
    assert.deepEqual(calls, ['hooks.example']);
  });

  it('refuses a host when any of its addresses is refused, whichever comes first', async () => {
    for (const addresses of [['93.184.216.34', '10.0.0.5'], ['10.0.0.5', '93.184.216.34']]) {
      const { resolve } = resolverOf({ 'mixed.example': addresses });
      await assert.rejects(resolveChecked('mixed.example', byDefault, resolve), (error: unknown) => {
        assert.ok(error instanceof RefusedAddressError);
        assert.deepEqual([error.host, error.address, error.range], ['mixed.example', '10.0.0.5', 'private']);
        assert.match(error.message, /'mixed\.example' resolves to a private address \(10\.0\.0\.5\)/);
        return true;
      });
    }
    const { resolve } = resolverOf({ 'x.example': ['fe80::1%eth0'], 'y.example': ['::ffff:169.254.1.1'] });
    await assert.rejects(resolveChecked('x.example', byDefault, resolve), RefusedAddressError);
    await assert.rejects(resolveChecked('y.example', byDefault, resolve), RefusedAddressError);
    await assert.rejects(resolveChecked('[fe80::1]', byDefault, resolve), RefusedAddressError);
    await assert.rejects(resolveChecked('169.254.169.254', byDefault, resolve), RefusedAddressError);
  });

  it('an allowed host name passes whatever it resolves to; an allowed CIDR passes its addresses', async () => {
    const { resolve } = resolverOf({ 'receiver.lan': ['127.0.0.1', '10.0.0.5'], 'db.lan': ['10.0.0.7'] });
    assert.equal((await resolveChecked('receiver.lan', allowing('Receiver.LAN.'), resolve)).length, 2);
    assert.equal((await resolveChecked('db.lan', allowing('10.0.0.0/24'), resolve)).length, 1);
    await assert.rejects(resolveChecked('receiver.lan', allowing('10.0.0.0/24'), resolve), /127\.0\.0\.1/);
  });

  it('refuses localhost through the system resolver', async () => {
    await assert.rejects(resolveChecked('localhost', byDefault), (error: unknown) => {
      assert.ok(error instanceof RefusedAddressError);
      assert.equal(error.range, 'loopback');
      return true;
    });
  });

  it('lets resolution errors through as they are (not a refusal)', async () => {
    const { resolve } = resolverOf({ 'empty.example': [] });
    for (const name of ['nowhere.invalid', 'empty.example']) {
      await assert.rejects(resolveChecked(name, byDefault, resolve), (error: unknown) => {
        assert.ok(!(error instanceof InvalidInputError));
        assert.equal((error as NodeJS.ErrnoException).code, 'ENOTFOUND');
        return true;
      });
    }
  });

  it('answers in both forms net.connect asks for, and errors through the callback', async () => {
    const { resolve } = resolverOf({ 'two.example': ['93.184.216.34', '2606:2800:220:1::1'], 'bad.example': ['10.0.0.1'] });
    const lookup = createGuardedLookup(byDefault, { resolve });
    const ask = (hostname: string, options: LookupOptions) =>
      new Promise<{ error: Error | null; address: string | LookupAddress[]; family?: number }>((done) =>
        lookup(hostname, options, (error, address, family) => done({ error, address, family })),
      );
    assert.deepEqual(await ask('two.example', {}), { error: null, address: '93.184.216.34', family: 4 });
    assert.deepEqual(await ask('two.example', { family: 6 }), { error: null, address: '2606:2800:220:1::1', family: 6 });
    assert.deepEqual((await ask('two.example', { all: true })).address, [
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::1', family: 6 },
    ]);
    assert.ok((await ask('bad.example', { all: true })).error instanceof RefusedAddressError);
    assert.equal((await ask('nowhere.example', {})).error?.message, 'getaddrinfo ENOTFOUND nowhere.example');
  });
});

describe('createGuardedFetch (real sockets)', () => {
  it('refuses a loopback server by default without connecting, in every spelling', async () => {
    const server = await startServer('127.0.0.1', 'server');
    const guarded = createGuardedFetch(byDefault);
    for (const host of ['127.0.0.1', '[::ffff:127.0.0.1]', '0x7f000001', 'localhost']) {
      await assert.rejects(guarded(`http://${host}:${server.port}/`), (error: unknown) => {
        const refused = findRefusedAddressError(error);
        assert.ok(refused, `refused as ${host}: ${String(error)}`);
        assert.equal(refused.range, 'loopback');
        return true;
      });
    }
    assert.deepEqual([server.connections, server.requests], [0, 0]);
  });

  it('reaches it once allowed, by address or by host name', async () => {
    const server = await startServer('127.0.0.1', 'server');
    const byAddress = createGuardedFetch(allowing('127.0.0.1'));
    const response = await byAddress(`http://127.0.0.1:${server.port}/`, { method: 'POST', body: '{}' });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'server');

    const { resolve } = resolverOf({ 'receiver.test': ['127.0.0.1'] });
    const byName = createGuardedFetch(allowing('receiver.test'), { resolve });
    assert.equal(await (await byName(`http://receiver.test:${server.port}/`)).text(), 'server');
    assert.equal(server.requests, 2);
  });

  it('checks where a followed redirect goes too', async () => {
    const target = await startServer('127.0.0.1', 'target');
    const front = http.createServer((_request, response) => response.writeHead(302, { location: `http://127.0.0.1:${target.port}/` }).end());
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(async () => {
      front.closeAllConnections();
      await new Promise<void>((resolve) => front.close(() => resolve()));
    });
    const { resolve } = resolverOf({ 'front.test': ['127.0.0.1'] });
    const guarded = createGuardedFetch(allowing('front.test'), { resolve });
    await assert.rejects(guarded(`http://front.test:${(front.address() as AddressInfo).port}/`), (error: unknown) => {
      assert.equal(findRefusedAddressError(error)?.address, '127.0.0.1');
      return true;
    });
    assert.equal(target.connections, 0);
  });

  it('takes only URLs', async () => {
    const guarded = createGuardedFetch(byDefault);
    await assert.rejects(guarded(new Request('http://example.com/')), /takes a URL/);
  });

  it('DNS rebinding: one lookup per connection, and the socket goes to the address that was checked', async () => {
    // Allowed: 127.0.0.2 (as a CIDR, so the name itself is not allowed). The name answers 127.0.0.2 once, then
    // 127.0.0.1, where a trap listens on the same port: a second lookup for the same connection would reach it.
    const checked = await startServer('127.0.0.2', 'checked');
    const trap = await startServer('127.0.0.1', 'trap', checked.port);
    let lookups = 0;
    const { resolve, calls } = resolverOf({ 'rebind.test': () => (++lookups === 1 ? ['127.0.0.2'] : ['127.0.0.1']) });
    const guarded = createGuardedFetch(allowing('127.0.0.2/32'), { resolve });

    const response = await guarded(`http://rebind.test:${checked.port}/`);
    assert.equal(await response.text(), 'checked');
    assert.deepEqual(calls, ['rebind.test'], 'exactly one lookup for the connection');
    assert.deepEqual([checked.connections, trap.connections], [1, 0]);

    // the server closed that connection: the next request connects anew, looks up anew, and is refused
    await assert.rejects(guarded(`http://rebind.test:${checked.port}/`), (error: unknown) => {
      const refused = findRefusedAddressError(error);
      assert.deepEqual([refused?.host, refused?.address, refused?.range], ['rebind.test', '127.0.0.1', 'loopback']);
      return true;
    });
    assert.equal(calls.length, 2);
    assert.deepEqual([checked.connections, trap.connections, trap.requests], [1, 0, 0]);
  });
});
