import { isIP } from 'node:net';

/** Express's `trust proxy`: false (default: the peer address is the client), a hop count, or trusted proxy addresses. */
export type TrustProxySetting = false | number | string[];

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * --trust-proxy: `false`, a number of proxy hops, or a comma-separated list of proxy addresses, CIDRs and the names
 * loopback, linklocal, uniquelocal. `true` (trust every hop) is refused: any client could then pick its own address.
 */
export function parseTrustProxy(text: string): TrustProxySetting {
  const value = text.trim();
  if (value === 'false' || value === '0') return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > 10) throw new Error(`${hops} proxy hops is implausible (at most 10)`);
    return hops;
  }
  if (value === 'true') {
    throw new Error("'true' would trust any client's X-Forwarded-For; give a hop count or the proxies' addresses");
  }
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const entry of entries) {
    if (NAMED_RANGES.has(entry)) continue;
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const maxPrefix = family === 6 ? 128 : 32;
    const prefixOk = prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= maxPrefix);
    if (family === 0 || !prefixOk || extra !== undefined) {
      throw new Error(`'${entry.slice(0, 60)}' is not an IP address, a CIDR, or one of loopback, linklocal, uniquelocal`);
    }
  }
  if (entries.length === 0) throw new Error('no proxy addresses given');
  return entries;
}

/** Whether listening on this host keeps the server reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./i.test(bare);
  return false;
}
