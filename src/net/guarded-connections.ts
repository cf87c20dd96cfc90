import { isIP, type LookupFunction } from 'node:net';
import { promises as dns } from 'node:dns';
import type { Agent, RequestInit as UndiciRequestInit } from 'undici';
import { RefusedAddressError, stripBrackets, stripZone, type OutboundPolicy } from './outbound-policy.js';
import { undici } from './undici-module.js';

/**
 * Connections that go only where the policy allows: a host name is resolved once per connection and the socket
 * connects to the address that was checked (no second resolution a DNS-rebinding name could answer differently).
 */

export interface ResolvedAddress {
  address: string;
  family: number;
}
/** The shape of dns.promises.lookup(hostname, { all: true }); injectable for tests. */
export type ResolveAll = (hostname: string) => Promise<ResolvedAddress[]>;

export interface GuardOptions {
  /** dns.promises.lookup(hostname, { all: true }) unless given. */
  resolve?: ResolveAll;
}

const systemResolve: ResolveAll = (hostname) => dns.lookup(hostname, { all: true });

/**
 * Resolves `host` once and returns its addresses when the policy lets the server connect to all of them;
 * rejects with RefusedAddressError naming the first refused one otherwise. Resolution errors pass through.
 */
export async function resolveChecked(host: string, policy: OutboundPolicy, resolve: ResolveAll = systemResolve): Promise<ResolvedAddress[]> {
  const name = stripBrackets(host);
  if (isIP(stripZone(name))) {
    assertConnectable(name, name, policy);
    return [{ address: name, family: isIP(stripZone(name)) }];
  }
  const answers = await resolve(name);
  if (answers.length === 0) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND', hostname: name });
  if (!policy.allowsHostName(name)) {
    // one refused answer refuses the host: the system may connect to any of them, in any order
    for (const { address } of answers) assertConnectable(name, address, policy);
  }
  return answers;
}

function assertConnectable(host: string, address: string, policy: OutboundPolicy): void {
  const range = policy.refusalOf(address);
  if (range !== undefined) throw new RefusedAddressError(host, address, range, policy.allowSetting);
}

/**
 * A `lookup` for net.connect / tls.connect: one resolution per connection, checked against the policy, and the
 * socket connects to what was checked. Handles both the single-address and the `all: true` (autoSelectFamily)
 * forms of the callback. Net never calls it for IP-literal hosts: check those before connecting.
 */
export function createGuardedLookup(policy: OutboundPolicy, options: GuardOptions = {}): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    resolveChecked(hostname, policy, options.resolve).then(
      (answers) => {
        const family = lookupOptions.family === 'IPv4' ? 4 : lookupOptions.family === 'IPv6' ? 6 : (lookupOptions.family ?? 0);
        const usable = family === 0 ? answers : answers.filter((answer) => answer.family === family);
        const first = usable[0];
        if (first === undefined) {
          callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }), '');
        } else if (lookupOptions.all) {
          callback(null, usable);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), ''),
    );
  };
}

/**
 * fetch() on undici whose sockets connect only where the policy allows: host names are resolved once, by the
 * guarded lookup (no second resolution that a DNS-rebinding name could answer differently), IP literals are
 * checked before connecting, and redirects, when followed, go through the same check. A refusal rejects with
 * TypeError('fetch failed') whose cause is a RefusedAddressError (see findRefusedAddressError).
 * Takes a URL (string or URL), not a Request.
 */
export function createGuardedFetch(policy: OutboundPolicy, options: GuardOptions = {}): typeof fetch {
  let dispatcher: Agent | undefined;
  return (input, init) => fetchThrough((dispatcher ??= createGuardedAgent(policy, options)))(input, init);
}

/** undici's fetch over this pool (one made by createGuardedAgent). Takes a URL (string or URL), not a Request. */
export function fetchThrough(dispatcher: Agent): typeof fetch {
  return (input, init) => {
    if (typeof input !== 'string' && !(input instanceof URL)) {
      return Promise.reject(new TypeError('The guarded fetch takes a URL (string or URL), not a Request'));
    }
    // undici's fetch and the global one share the WHATWG shapes but not their type declarations
    const undiciInit = { ...(init as UndiciRequestInit | undefined), dispatcher };
    return undici().fetch(input, undiciInit) as unknown as Promise<Response>;
  };
}

/**
 * An undici connection pool whose every connection goes through the policy: IP literals are checked before
 * connecting, host names by the guarded lookup. For undici's request() and fetch(); refusals fail the request
 * with a RefusedAddressError (possibly as a cause).
 */
export function createGuardedAgent(policy: OutboundPolicy, options: GuardOptions = {}): Agent {
  const { Agent, buildConnector } = undici();
  const connect = buildConnector({ lookup: createGuardedLookup(policy, options) });
  return new Agent({
    connect: (connectOptions, callback) => {
      const literal = stripBrackets(connectOptions.hostname);
      const range = isIP(stripZone(literal)) ? policy.refusalOf(literal) : undefined;
      if (range !== undefined) callback(new RefusedAddressError(literal, literal, range, policy.allowSetting), null);
      else connect(connectOptions, callback);
    },
  });
}
