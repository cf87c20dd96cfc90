import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { UnauthorizedError } from '../../shared/errors.js';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Compares digests, so neither the key's length nor its content leaks through timing. */
export function apiKeyMatches(apiKey: string, given: string | undefined): boolean {
  return given !== undefined && timingSafeEqual(digest(given), digest(apiKey));
}

/** Requires header x-api-key to equal the configured key. */
export function requireApiKey(apiKey: string): RequestHandler {
  return (request, _response, next) => {
    if (!apiKeyMatches(apiKey, request.header('x-api-key'))) return next(new UnauthorizedError());
    next();
  };
}
