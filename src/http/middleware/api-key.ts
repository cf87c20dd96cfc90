import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Compares digests, so neither the key's length nor its content leaks through timing. */
export function apiKeyMatches(apiKey: string, given: string | undefined): boolean {
  return given !== undefined && timingSafeEqual(digest(given), digest(apiKey));
}
