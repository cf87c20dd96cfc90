import { request } from 'node:http';
import { Server } from 'proxy-chain';

/** A session's upstream proxy, as its config gives it. */
export interface UpstreamProxy {
  protocol: 'http' | 'https' | 'socks4' | 'socks5' | 'socks5h';
  /** host:port */
  address: string;
  username?: string;
  password?: string;
}

/** What the check opens a tunnel to: where every session's browser goes. */
const CHECK_TARGET = 'web.whatsapp.com:443';
const CHECK_TIMEOUT_MS = 15_000;

/** proxy-chain's answers to a CONNECT it could not chain, as a reason a user can act on. */
const UPSTREAM_FAILURES: Record<number, string> = {
  597: 'the proxy refused the username or password',
  594: 'the proxy refused the connection',
  593: 'the proxy address does not resolve',
  595: 'the proxy closed the connection',
  504: 'the proxy did not answer in time',
  590: 'the proxy refused to connect to web.whatsapp.com',
};

/** A failed tunnel's answer as a reason: SOCKS errors come as 599 with the socket error as status text. */
function reasonOf(status: number, statusText: string): string {
  if (UPSTREAM_FAILURES[status]) return UPSTREAM_FAILURES[status];
  if (/ECONNREFUSED/.test(statusText)) return UPSTREAM_FAILURES[594]!;
  if (/ENOTFOUND|EAI_AGAIN/.test(statusText)) return UPSTREAM_FAILURES[593]!;
  if (/timed out|ETIMEDOUT/i.test(statusText)) return UPSTREAM_FAILURES[504]!;
  if (/ECONNRESET|closed/i.test(statusText)) return UPSTREAM_FAILURES[595]!;
  return `the tunnel failed (${status} ${statusText})`.trim();
}

/** The upstream as a URL, credentials encoded; never logged (it holds the password). */
export function upstreamUrl(proxy: UpstreamProxy): string {
  const credentials =
    proxy.username === undefined ? '' : `${encodeURIComponent(proxy.username)}${proxy.password === undefined ? '' : `:${encodeURIComponent(proxy.password)}`}@`;
  return `${proxy.protocol}://${credentials}${proxy.address}`;
}

/** The proxy without its credentials, for messages. */
export function describeProxy(proxy: UpstreamProxy): string {
  return `${proxy.protocol}://${proxy.address}`;
}

/**
 * A local HTTP proxy on loopback that chains every connection of one browser to the session's upstream proxy with
 * its credentials. Chromium cannot authenticate to a SOCKS proxy at all, and to an HTTP one only through the page;
 * with the forwarder it needs neither. Started with the session's browser and closed with it.
 */
export class ProxyForwarder {
  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly upstream: UpstreamProxy,
  ) {}

  static async start(upstream: UpstreamProxy): Promise<ProxyForwarder> {
    const chained = upstreamUrl(upstream);
    const server = new Server({ port: 0, host: '127.0.0.1', verbose: false, prepareRequestFunction: () => ({ upstreamProxyUrl: chained }) });
    await server.listen();
    return new ProxyForwarder(server, server.port, upstream);
  }

  /** What Chromium's --proxy-server gets. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Opens one tunnel through the upstream: rejects with the reason when the proxy cannot be used. */
  check(target = CHECK_TARGET, timeoutMs = CHECK_TIMEOUT_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (reason: string) => reject(new Error(`proxy ${describeProxy(this.upstream)}: ${reason}`));
      const connect = request({ host: '127.0.0.1', port: this.port, method: 'CONNECT', path: target, timeout: timeoutMs });
      connect.once('connect', (response, socket) => {
        socket.destroy();
        const status = response.statusCode ?? 0;
        if (status === 200) resolve();
        else fail(reasonOf(status, response.statusMessage ?? ''));
      });
      connect.once('timeout', () => {
        connect.destroy();
        fail(`no tunnel within ${timeoutMs / 1000} s`);
      });
      connect.once('error', (error) => fail(error.message));
      connect.end();
    });
  }

  async close(): Promise<void> {
    await this.server.close(true);
  }
}
