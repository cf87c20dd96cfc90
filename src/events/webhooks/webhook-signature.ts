import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers sent with every delivery (lower case, as node:http exposes them to receivers). */
export const HEADER_CONTENT_TYPE = 'content-type';
export const HEADER_USER_AGENT = 'user-agent';
/** Unique per delivery (the same across its retries): receivers de-duplicate on it (delivery is at least once). */
export const HEADER_DELIVERY_ID = 'x-wamux-delivery';
/** The event type of the envelope in the body, e.g. `message`. */
export const HEADER_EVENT = 'x-wamux-event';
/** Unix seconds of this attempt; part of the signed text. */
export const HEADER_TIMESTAMP = 'x-wamux-timestamp';
/** `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`); only when the webhook has a secret. */
export const HEADER_SIGNATURE = 'x-wamux-signature';

export const WEBHOOK_USER_AGENT = 'wamux-webhooks';
export const SIGNATURE_PREFIX = 'sha256=';
/** How old (or how far in the future) a timestamp verifySignature accepts by default. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

/** `sha256=<hex>` of HMAC-SHA256 over `${timestamp}.${body}` with the webhook's secret. */
export function signDelivery(secret: string, timestamp: string, body: string): string {
  return SIGNATURE_PREFIX + createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/**
 * What a receiver does with a delivery: true when `header` is the signature of `${timestamp}.${body}` under
 * `secret` (compared in constant time) and the timestamp is within toleranceSeconds of `now` (epoch ms).
 * A tolerance of Infinity skips the age check. Never throws on malformed input; answers false.
 */
export function verifySignature(
  secret: string,
  timestamp: string,
  body: string,
  header: string | null | undefined,
  toleranceSeconds: number = DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  now: number = Date.now(),
): boolean {
  if (typeof header !== 'string' || !header.startsWith(SIGNATURE_PREFIX)) return false;
  if (!/^\d{1,15}$/.test(timestamp)) return false;
  if (Number.isFinite(toleranceSeconds) && Math.abs(now / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const given = Buffer.from(header.slice(SIGNATURE_PREFIX.length), 'utf8');
  const expected = Buffer.from(signDelivery(secret, timestamp, body).slice(SIGNATURE_PREFIX.length), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
