import { BlockList, isIP } from 'node:net';
import { promises as dns } from 'node:dns';
import { InvalidInputError } from '../../shared/errors.js';

export const MAX_WEBHOOK_URL_LENGTH = 2048;

export interface WebhookUrlOptions {
  /** Allow link-local targets (169.254.0.0/16, fe80::/10 and their IPv4-embedding IPv6 forms). Default policy: refused. */
  allowLinkLocal: boolean;
}

export interface LookupAddress {
  address: string;
  family: number;
}
/** The shape of dns.promises.lookup(hostname, { all: true }); injectable for tests. */
export type LookupAll = (hostname: string) => Promise<LookupAddress[]>;

export interface DeliverableAddressOptions extends WebhookUrlOptions {
  lookup?: LookupAll;
}

/** Raised when a webhook's host resolves to a refused address: not worth retrying. */
export class RefusedAddressError extends InvalidInputError {}

const linkLocal = new BlockList();
linkLocal.addSubnet('169.254.0.0', 16, 'ipv4'); // also matches IPv4-mapped IPv6 (::ffff:169.254.x.x)
linkLocal.addSubnet('fe80::', 10, 'ipv6');
linkLocal.addSubnet('::a9fe:0', 112, 'ipv6'); // IPv4-compatible (deprecated) ::169.254.x.x
linkLocal.addSubnet('::ffff:0:a9fe:0', 112, 'ipv6'); // IPv4-translated ::ffff:0:169.254.x.x
linkLocal.addSubnet('64:ff9b::a9fe:0', 112, 'ipv6'); // NAT64 well-known prefix 64:ff9b::169.254.x.x

/** True when `address` (an IP literal, brackets and zone id allowed) is link-local in any of its forms. */
export function isLinkLocalAddress(address: string): boolean {
  const bare = stripZone(stripBrackets(address));
  const family = isIP(bare);
  if (family === 4) return linkLocal.check(bare, 'ipv4');
  if (family === 6) return linkLocal.check(bare, 'ipv6');
  return false;
}

/**
 * Checks a webhook URL at configuration time and returns it normalised (WHATWG URL href, which is what is
 * requested later). Throws InvalidInputError: not http(s), credentials in it, longer than 2048 characters,
 * or a literal link-local IP (in any spelling the URL parser accepts, e.g. 0xa9fea9fe) unless allowed.
 * Host names are checked again at delivery time, on their resolved addresses (assertDeliverableAddress).
 */
export function validateWebhookUrl(url: string, options: WebhookUrlOptions): string {
  if (typeof url !== 'string' || url.trim() === '') throw new InvalidInputError('Webhook URL is required');
  if (url.length > MAX_WEBHOOK_URL_LENGTH) {
    throw new InvalidInputError(`Webhook URL is too long (${url.length} characters; at most ${MAX_WEBHOOK_URL_LENGTH})`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new InvalidInputError(`Webhook URL is not a valid absolute URL: '${truncate(url)}'`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidInputError(`Webhook URL must use http or https, not '${parsed.protocol.replace(/:$/, '')}'`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new InvalidInputError('Webhook URL must not contain credentials (user:password@); use the webhook secret to authenticate deliveries');
  }
  if (parsed.hostname === '') throw new InvalidInputError('Webhook URL has no host');
  if (!options.allowLinkLocal && isLinkLocalAddress(parsed.hostname)) {
    throw new InvalidInputError(
      `Webhook URL points at a link-local address (${parsed.hostname}), which is refused (cloud metadata services live there); the server can be configured to allow it`,
    );
  }
  if (parsed.href.length > MAX_WEBHOOK_URL_LENGTH) {
    throw new InvalidInputError(`Webhook URL is too long once normalised (at most ${MAX_WEBHOOK_URL_LENGTH} characters)`);
  }
  return parsed.href;
}

/**
 * At delivery time: resolves `hostname` (as in URL.hostname; IPv6 brackets allowed) with
 * dns.promises.lookup(all: true) and throws RefusedAddressError when any address is link-local and that is
 * not allowed. With allowLinkLocal nothing is resolved. Lookup failures (ENOTFOUND...) propagate as they are.
 */
export async function assertDeliverableAddress(hostname: string, options: DeliverableAddressOptions): Promise<void> {
  if (options.allowLinkLocal) return;
  const host = stripBrackets(hostname);
  const addresses: string[] = isIP(stripZone(host))
    ? [host]
    : (await (options.lookup ?? defaultLookup)(host)).map((entry) => entry.address);
  const refused = addresses.find((address) => isLinkLocalAddress(address));
  if (refused !== undefined) {
    throw new RefusedAddressError(`Webhook host '${host}' resolves to a link-local address (${refused}), which is refused`);
  }
}

const defaultLookup: LookupAll = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function stripZone(address: string): string {
  const i = address.indexOf('%');
  return i === -1 ? address : address.slice(0, i);
}

function truncate(text: string, max = 100): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
