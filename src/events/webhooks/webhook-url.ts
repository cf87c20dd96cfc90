import {
  checkUrlAsWritten,
  createOutboundPolicy,
  MAX_URL_LENGTH,
  RefusedAddressError,
  type AllowEntry,
  type OutboundPolicy,
} from '../../net/outbound-policy.js';
import { resolveChecked, type ResolveAll } from '../../net/guarded-connections.js';

export const MAX_WEBHOOK_URL_LENGTH = MAX_URL_LENGTH;

/** Named in refusals: how an operator allows a refused webhook target. */
export const WEBHOOK_ALLOW_SETTING = '--webhook-allow-hosts (WEBHOOK_ALLOW_HOSTS)';

/** What the older setting --webhook-allow-link-local (true) allows: 169.254.0.0/16 and fe80::/10, in every spelling. */
export function linkLocalAllowEntries(): AllowEntry[] {
  return [
    { kind: 'subnet', network: '169.254.0.0', prefix: 16, family: 'ipv4' },
    { kind: 'subnet', network: 'fe80::', prefix: 10, family: 'ipv6' },
  ];
}

export interface WebhookPolicyOptions {
  /** parseAllowHosts(--webhook-allow-hosts). */
  allowHosts: readonly AllowEntry[];
  /** --webhook-allow-link-local. */
  allowLinkLocal?: boolean;
}

/** The outbound policy of webhook deliveries, whose refusals name --webhook-allow-hosts. */
export function createWebhookPolicy(options: WebhookPolicyOptions): OutboundPolicy {
  return createOutboundPolicy({
    allowHosts: [...options.allowHosts, ...(options.allowLinkLocal ? linkLocalAllowEntries() : [])],
    allowSetting: WEBHOOK_ALLOW_SETTING,
  });
}

/**
 * Checks a webhook URL at configuration time and returns it normalised (WHATWG URL href, which is what is
 * requested later). Throws InvalidInputError: not http(s), credentials in it, longer than 2048 characters,
 * or an IP-literal host (in any spelling the URL parser accepts, e.g. 0x7f000001) the policy refuses.
 * Host names are checked at delivery time, on the addresses they resolve to (the guarded fetch).
 */
export function validateWebhookUrl(url: string, policy: OutboundPolicy): string {
  return checkUrlAsWritten(url, policy, {
    label: 'Webhook URL',
    credentialsAdvice: 'use the webhook secret to authenticate deliveries',
  });
}

/**
 * validateWebhookUrl, and a host name that resolves to a refused address (http://localhost:4000) is refused now,
 * with the reason, rather than failing silently at every delivery. A name that does not resolve yet is accepted:
 * the receiver may come up later, and every delivery checks the address it connects to anyway.
 */
export async function checkWebhookTarget(url: string, policy: OutboundPolicy, resolve?: ResolveAll): Promise<string> {
  const normalised = validateWebhookUrl(url, policy);
  try {
    await resolveChecked(new URL(normalised).hostname, policy, resolve);
  } catch (error) {
    if (error instanceof RefusedAddressError) throw error;
  }
  return normalised;
}
