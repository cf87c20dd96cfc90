import { createHash } from 'node:crypto';
import type { EventType } from './event-envelope.js';
import type { WebhookKey, WebhookTarget } from './webhooks/webhook-types.js';

/** A webhook's key in a session's log: stable for its URL, short, and no secret in it. */
export function webhookKeyOf(url: string): WebhookKey {
  return createHash('sha256').update(url).digest('hex').slice(0, 16);
}

/** The webhooks of one session: the global ones, the legacy webhookUrl, and those set through the API. */
export function collectTargets(
  globalTargets: readonly WebhookTarget[],
  session: { webhookUrl?: string; webhooks?: readonly WebhookTarget[] },
): Map<WebhookKey, WebhookTarget> {
  const targets = new Map<WebhookKey, WebhookTarget>();
  const add = (target: WebhookTarget) => targets.set(webhookKeyOf(target.url), target);
  globalTargets.forEach(add);
  if (session.webhookUrl) add({ url: session.webhookUrl });
  session.webhooks?.forEach(add);
  return targets;
}

export function wants(target: WebhookTarget, event: EventType): boolean {
  return target.events === undefined || target.events.length === 0 || target.events.includes(event);
}
