/**
 * The local forwarder that carries a browser's connections to a proxy with credentials (real sockets: a SOCKS5
 * proxy that requires a password, and a TCP echo server standing in for the site).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { ProxyForwarder, upstreamUrl } from '../../src/browser/proxy-forwarder.js';
import { ProxySchema } from '../../src/sessions/session-config.js';
import { SocksProxy } from '../support/socks-proxy.js';

const CREDENTIALS = { username: 'desk@crm', password: 'p:ss/word 1' };
let echo: Server;
let echoPort: number;
let proxy: SocksProxy;

before(async () => {
  echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
  echoPort = (echo.address() as AddressInfo).port;
  proxy = await SocksProxy.start(CREDENTIALS, () => ({ host: '127.0.0.1', port: echoPort }));
});
after(async () => {
  await proxy?.close();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});

/** Opens a tunnel through the forwarder and sends a line through it; resolves with what came back. */
function throughTunnel(forwarder: ProxyForwarder, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const tunnel = request({ host: '127.0.0.1', port: forwarder.port, method: 'CONNECT', path: 'chat.example.test:443' });
    tunnel.once('connect', (response, socket) => {
      if (response.statusCode !== 200) return reject(new Error(`tunnel: ${response.statusCode}`));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString());
      });
      socket.write(line);
    });
    tunnel.once('error', reject);
    tunnel.end();
  });
}

test('with the right credentials the check passes and connections go through the SOCKS5 proxy', async () => {
  const forwarder = await ProxyForwarder.start({ protocol: 'socks5', address: `127.0.0.1:${proxy.port}`, ...CREDENTIALS });
  try {
    const before = proxy.connections;
    await forwarder.check();
    assert.equal(await throughTunnel(forwarder, 'hello'), 'hello');
    assert.equal(proxy.connections - before, 2, 'the check and the tunnel, both through the proxy');
    assert.deepEqual(proxy.requested.slice(-2), ['web.whatsapp.com', 'chat.example.test'], 'names are resolved by the proxy');
  } finally {
    await forwarder.close();
  }
  await assert.rejects(new Promise((resolve, reject) => connect(forwarder.port, '127.0.0.1', () => resolve(undefined)).once('error', reject)), /ECONNREFUSED/);
});

test('a wrong password or an unreachable proxy fails the check with a reason, and never shows the password', async () => {
  const wrong = await ProxyForwarder.start({ protocol: 'socks5', address: `127.0.0.1:${proxy.port}`, username: CREDENTIALS.username, password: 'not-it' });
  try {
    const failures = proxy.authFailures;
    await assert.rejects(wrong.check(), (error: Error) => {
      assert.equal(error.message, `proxy socks5://127.0.0.1:${proxy.port}: the proxy refused the username or password`);
      return true;
    });
    assert.equal(proxy.authFailures - failures, 1);
  } finally {
    await wrong.close();
  }
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const unreachable = await ProxyForwarder.start({ protocol: 'socks5', address: `127.0.0.1:${deadPort}`, ...CREDENTIALS });
  try {
    await assert.rejects(unreachable.check(), /: the proxy refused the connection$/);
  } finally {
    await unreachable.close();
  }
});

test('credentials are URL-encoded for the upstream, and the short form of a proxy reads as the long one', () => {
  assert.equal(
    upstreamUrl({ protocol: 'socks5h', address: 'proxy.lan:1080', ...CREDENTIALS }),
    'socks5h://desk%40crm:p%3Ass%2Fword%201@proxy.lan:1080',
  );
  assert.deepEqual(ProxySchema.parse({ address: 'socks5://desk%40crm:p%3Ass%2Fword%201@proxy.lan:1080' }), {
    protocol: 'socks5',
    address: 'proxy.lan:1080',
    ...CREDENTIALS,
  });
  assert.deepEqual(ProxySchema.parse({ address: 'http://proxy.lan:3128' }), { protocol: 'http', address: 'proxy.lan:3128' });
  assert.equal(ProxySchema.safeParse({ address: 'ftp://proxy.lan:21' }).success, false);
  assert.equal(ProxySchema.safeParse({ address: 'socks5://proxy.lan' }).success, false, 'a port is needed');
  assert.deepEqual(ProxySchema.parse({ address: 'http://u:p@proxy.lan:80' }), { protocol: 'http', address: 'proxy.lan:80', username: 'u', password: 'p' }, "the scheme's default port is kept");
  assert.equal(ProxySchema.safeParse({ address: 'socks5://u:%E0%A4%A@proxy.lan:1080' }).success, false, 'a malformed escape is a 400, not a crash');
  assert.equal(ProxySchema.safeParse({ protocol: 'socks5', address: 'proxy.lan:70000' }).success, false);
});
