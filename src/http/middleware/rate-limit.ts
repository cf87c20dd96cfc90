import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { presentedKey, principalOf, type KeyChecker } from './access-control.js';

export interface RateLimitSettings {
  max: number;
  windowMs: number;
}

/**
 * One budget per API key when the request carries the valid key (a bot behind a NAT, or several bots sharing a
 * host, are told apart by key), per client address otherwise. A wrong key falls back to the address, so making up
 * keys does not buy fresh budgets. Behind a reverse proxy, --trust-proxy makes the address the client's.
 */
export function createRateLimiter(settings: RateLimitSettings, keys: KeyChecker): RequestHandler {
  const apiKey = keys.adminKey;
  const keyDigest = apiKey === undefined ? undefined : createHash('sha256').update(apiKey).digest('hex').slice(0, 16);
  return rateLimit({
    windowMs: settings.windowMs,
    limit: settings.max,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (request) => {
      const principal = apiKey === undefined ? undefined : principalOf(keys, presentedKey(request, true));
      if (principal?.kind === 'admin') return `key:${keyDigest}`;
      if (principal?.kind === 'scoped') return `scoped:${principal.keyId}`;
      return `ip:${ipKeyGenerator(request.ip ?? 'unknown')}`;
    },
    handler: (_request, response) => {
      response.status(429).json({ error: { code: 'RATE_LIMITED', message: 'Too many requests; slow down' } });
    },
  });
}
