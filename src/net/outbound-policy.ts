import { BlockList, isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { InvalidInputError } from '../shared/errors.js';

/**
 * Which addresses the server may open outbound connections to (webhooks, fetched media...): everything
 * except the ranges below, in every spelling, unless an allow-list entry says otherwise.
 */

export type RefusedRange =
  | 'loopback'
  | 'unspecified'
  | 'private'
  | 'carrier-grade NAT'
  | 'link-local'
  | 'multicast'
  | 'broadcast'
  | 'reserved';

type Family = 'ipv4' | 'ipv6';

export type AllowEntry =
  | { readonly kind: 'address'; readonly address: string; readonly family: Family }
  | { readonly kind: 'subnet'; readonly network: string; readonly prefix: number; readonly family: Family }
  | { readonly kind: 'host'; readonly name: string };

export interface OutboundPolicyOptions {
  allowHosts: readonly AllowEntry[];
  /** How a user allows a refused target (named in error messages), e.g. '--webhook-allow-hosts'. */
  allowSetting?: string;
}

export interface OutboundPolicy {
  /** The refused range `address` (an IP literal; brackets and zone id allowed) is in, or undefined when it may be connected to. */
  refusalOf(address: string): RefusedRange | undefined;
  /** True when the host name itself is allowed: then its addresses are not checked. */
  allowsHostName(hostname: string): boolean;
  readonly allowSetting: string;
}

/** A connection was refused by the policy; not worth retrying. */
export class RefusedAddressError extends InvalidInputError {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: RefusedRange,
    allowSetting: string,
    /** Put before the explanation, e.g. 'Webhook URL is refused: '. */
    context = '',
  ) {
    super(context + describeRefusal(host, address, range, allowSetting), { host, address, range });
  }
}

/** Refused ranges, checked in this order (::1 is also IPv4-compatible 0.0.0.1: it must be found as loopback first). */
const REFUSED_RANGES: ReadonlyArray<readonly [RefusedRange, ReadonlyArray<readonly [string, number]>]> = [
  ['loopback', [['127.0.0.0', 8], ['::1', 128]]],
  ['unspecified', [['0.0.0.0', 8], ['::', 128]]],
  ['private', [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['fc00::', 7]]],
  ['carrier-grade NAT', [['100.64.0.0', 10]]],
  ['link-local', [['169.254.0.0', 16], ['fe80::', 10]]],
  ['multicast', [['224.0.0.0', 4], ['ff00::', 8]]],
  ['broadcast', [['255.255.255.255', 32]]],
  // IETF protocol assignments, benchmarking, future use; deprecated site-local; local-use NAT64; Teredo (its IPv4
  // address is obfuscated, so it cannot be checked: refused whole)
  [
    'reserved',
    [['192.0.0.0', 24], ['198.18.0.0', 15], ['240.0.0.0', 4], ['fec0::', 10], ['64:ff9b:1::', 48], ['2001::', 32]],
  ],
];

/** IPv6 /96 prefixes whose last 32 bits are an IPv4 address: mapped, compatible (deprecated), translated, NAT64. */
const IPV4_EMBEDDING_PREFIXES = ['::ffff:', '::', '::ffff:0:', '64:ff9b::'];

/** 6to4 (2002::/16) carries an IPv4 address in bits 16 to 48: 2002:AABB:CCDD::. */
function sixToFourNetwork(ipv4: string): string {
  const [a, b, c, d] = ipv4.split('.').map(Number) as [number, number, number, number];
  const hex = (high: number, low: number) => ((high << 8) | low).toString(16);
  return `2002:${hex(a, b)}:${hex(c, d)}::`;
}

const refusedLists: ReadonlyArray<readonly [RefusedRange, BlockList]> = REFUSED_RANGES.map(([range, subnets]) => {
  const list = new BlockList();
  for (const [network, prefix] of subnets) addSubnet(list, network, prefix);
  return [range, list] as const;
});

/** Adds the subnet; an IPv4 one also in each IPv6 form that embeds IPv4, so that every spelling of it matches. */
function addSubnet(list: BlockList, network: string, prefix: number): void {
  if (isIP(network) === 6) {
    list.addSubnet(network, prefix, 'ipv6');
    return;
  }
  list.addSubnet(network, prefix, 'ipv4');
  for (const embedding of IPV4_EMBEDDING_PREFIXES) list.addSubnet(`${embedding}${network}`, 96 + prefix, 'ipv6');
  list.addSubnet(sixToFourNetwork(network), 16 + prefix, 'ipv6');
}

export function createOutboundPolicy(options: OutboundPolicyOptions): OutboundPolicy {
  const allowed = new BlockList();
  const allowedNames = new Set<string>();
  for (const entry of options.allowHosts) {
    if (entry.kind === 'host') allowedNames.add(normaliseHostName(entry.name));
    else if (entry.kind === 'address') addSubnet(allowed, entry.address, entry.family === 'ipv4' ? 32 : 128);
    else addSubnet(allowed, entry.network, entry.prefix);
  }
  return {
    allowSetting: options.allowSetting ?? 'the allow-list',
    refusalOf(address) {
      const bare = stripZone(stripBrackets(address));
      const family = familyOf(bare);
      if (family === undefined) throw new TypeError(`Not an IP address: '${address}'`);
      const range = refusedLists.find(([, list]) => list.check(bare, family))?.[0];
      return range === undefined || allowed.check(bare, family) ? undefined : range;
    },
    allowsHostName: (hostname) => allowedNames.has(normaliseHostName(hostname)),
  };
}

/**
 * Parses a comma-separated allow-list: IP addresses (IPv6 with or without brackets), CIDRs and host names,
 * e.g. '127.0.0.1,localhost,10.0.0.0/8,::1,receiver.lan'. Empty entries are skipped. Throws an Error naming
 * the first bad entry.
 */
export function parseAllowHosts(text: string): AllowEntry[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      try {
        return parseAllowEntry(entry);
      } catch (error) {
        throw new Error(`Invalid allow-list entry '${entry}': ${(error as Error).message}`);
      }
    });
}

const NOT_A_HOST = 'not an IP address, a CIDR or a host name (no scheme, port or path)';

function parseAllowEntry(entry: string): AllowEntry {
  if (entry.includes('://')) throw new Error(NOT_A_HOST);
  if (entry.includes('%')) throw new Error('zone ids (%eth0) are not supported; write the address without it');
  const slash = entry.indexOf('/');
  if (slash !== -1) {
    const network = stripBrackets(entry.slice(0, slash));
    const prefixText = entry.slice(slash + 1);
    const family = familyOf(network);
    if (family === undefined) throw new Error('a CIDR must be an IP address, a slash and a prefix length, e.g. 10.0.0.0/8 or fd00::/8');
    const maxPrefix = family === 'ipv4' ? 32 : 128;
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maxPrefix) {
      throw new Error(`the prefix length must be a whole number from 0 to ${maxPrefix}`);
    }
    return { kind: 'subnet', network, prefix: Number(prefixText), family };
  }
  const address = stripBrackets(entry);
  const family = familyOf(address);
  if (family !== undefined) return { kind: 'address', address, family };
  if (entry.includes('*')) throw new Error('wildcards are not supported; list each host name');
  // a URL parser reads a host ending in a number as an IPv4 address (http://127.1/ is 127.0.0.1): never a name
  if (/(^|\.)(\d+|0x[0-9a-f]*)$/i.test(entry.replace(/\.$/, ''))) {
    throw new Error('not a valid IP address (write IPv4 addresses as four decimal numbers, e.g. 127.0.0.1)');
  }
  const name = normaliseHostName(domainToASCII(entry));
  const labels = name.split('.');
  if (name === '' || name.length > 253 || !labels.every((label) => /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(label))) {
    throw new Error(NOT_A_HOST);
  }
  return { kind: 'host', name };
}

export const MAX_URL_LENGTH = 2048;

export interface UrlCheckOptions {
  /** What the URL is, at the start of error messages. */
  label?: string;
  /** Said after the refusal of a URL with credentials in it. */
  credentialsAdvice?: string;
}

/**
 * Checks a URL as written (configuration time) and returns it normalised (WHATWG URL href). Throws
 * InvalidInputError: not http(s), credentials in it, longer than 2048 characters, no host, or an IP-literal
 * host (in any spelling the URL parser accepts, e.g. 0x7f000001) that the policy refuses (RefusedAddressError).
 * Host names are not resolved here: the guarded lookup checks what they resolve to, at connection time.
 */
export function checkUrlAsWritten(url: string, policy: OutboundPolicy, options: UrlCheckOptions = {}): string {
  const label = options.label ?? 'URL';
  if (typeof url !== 'string' || url.trim() === '') throw new InvalidInputError(`${label} is required`);
  if (url.length > MAX_URL_LENGTH) {
    throw new InvalidInputError(`${label} is too long (${url.length} characters; at most ${MAX_URL_LENGTH})`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new InvalidInputError(`${label} is not a valid absolute URL: '${truncate(url)}'`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidInputError(`${label} must use http or https, not '${parsed.protocol.replace(/:$/, '')}'`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    const advice = options.credentialsAdvice ? `; ${options.credentialsAdvice}` : '';
    throw new InvalidInputError(`${label} must not contain credentials (user:password@)${advice}`);
  }
  if (parsed.hostname === '') throw new InvalidInputError(`${label} has no host`);
  const literal = stripBrackets(parsed.hostname);
  const range = isIP(literal) ? policy.refusalOf(literal) : undefined;
  if (range !== undefined) throw new RefusedAddressError(literal, literal, range, policy.allowSetting, `${label} is refused: `);
  if (parsed.href.length > MAX_URL_LENGTH) {
    throw new InvalidInputError(`${label} is too long once normalised (at most ${MAX_URL_LENGTH} characters)`);
  }
  return parsed.href;
}

/** The RefusedAddressError behind `error` (itself, or a cause of it, as fetch wraps it), if any. */
export function findRefusedAddressError(error: unknown): RefusedAddressError | undefined {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof RefusedAddressError) return current;
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}

function describeRefusal(host: string, address: string, range: RefusedRange, allowSetting: string): string {
  const article = /^[aeiou]/.test(range) ? 'an' : 'a';
  return host === address
    ? `${address} is ${article} ${range} address, which is refused by default; to allow it, add ${address} (or a CIDR containing it) to ${allowSetting}`
    : `'${host}' resolves to ${article} ${range} address (${address}), which is refused by default; to allow it, add '${host}' or ${address} to ${allowSetting}`;
}

function familyOf(address: string): Family | undefined {
  const family = isIP(address);
  return family === 4 ? 'ipv4' : family === 6 ? 'ipv6' : undefined;
}

function normaliseHostName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export function stripZone(address: string): string {
  const i = address.indexOf('%');
  return i === -1 ? address : address.slice(0, i);
}

function truncate(text: string, max = 100): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
