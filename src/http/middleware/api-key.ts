import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { UnauthorizedError } from '../../shared/errors.js';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Requires header x-api-key to equal the configured key; compares digests so neither length nor content leaks. */
export function requireApiKey(apiKey: string): RequestHandler {
  const expected = digest(apiKey);
  return (request, _response, next) => {
    const given = request.header('x-api-key');
    if (given === undefined || !timingSafeEqual(digest(given), expected)) return next(new UnauthorizedError());
    next();
  };
}
