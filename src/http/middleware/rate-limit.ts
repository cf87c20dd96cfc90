import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { apiKeyMatches } from './api-key.js';

export interface RateLimitSettings {
  max: number;
  windowMs: number;
}

/**
 * One budget per API key when the request carries the valid key (a bot behind a NAT, or several bots sharing a
 * host, are told apart by key), per client address otherwise. A wrong key falls back to the address, so making up
 * keys does not buy fresh budgets. Behind a reverse proxy, --trust-proxy makes the address the client's.
 */
export function createRateLimiter(settings: RateLimitSettings, apiKey: string | undefined): RequestHandler {
  const keyDigest = apiKey === undefined ? undefined : createHash('sha256').update(apiKey).digest('hex').slice(0, 16);
  return rateLimit({
    windowMs: settings.windowMs,
    limit: settings.max,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (request) => {
      if (apiKey !== undefined && apiKeyMatches(apiKey, presentedKey(request))) return `key:${keyDigest}`;
      return `ip:${ipKeyGenerator(request.ip ?? 'unknown')}`;
    },
    handler: (_request, response) => {
      response.status(429).json({ error: { code: 'RATE_LIMITED', message: 'Too many requests; slow down' } });
    },
  });
}

/** The key as a client may send it: the header, or ?apiKey= on the live stream (browsers' EventSource sets no headers). */
function presentedKey(request: Request): string | undefined {
  const header = request.header('x-api-key');
  if (header !== undefined) return header;
  const query: unknown = request.query.apiKey;
  return typeof query === 'string' ? query : undefined;
}
