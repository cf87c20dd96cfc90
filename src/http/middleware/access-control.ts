import type { Request, RequestHandler, Response } from 'express';
import { ForbiddenError, SessionNotFoundError, UnauthorizedError } from '../../shared/errors.js';
import { ADMIN, canSee, hasRole, type Principal } from '../../auth/principal.js';
import { ruleFor, type RouteRule } from '../route-access.js';
import { apiKeyMatches } from './api-key.js';

/** Tells who a presented key is: the server's key, a scoped key, or nobody. */
export interface KeyChecker {
  /** The server's own key; undefined when it runs without one (loopback only): every request is then the admin. */
  adminKey: string | undefined;
  scoped: (presented: string) => Principal | undefined;
}

/** The key as a client may send it: the header, or ?apiKey= (browsers' EventSource cannot set headers). */
export function presentedKey(request: Request, allowQuery: boolean): string | undefined {
  const header = request.header('x-api-key');
  if (header !== undefined || !allowQuery) return header;
  const query: unknown = request.query.apiKey;
  return typeof query === 'string' ? query : undefined;
}

/** Who the key stands for; undefined for a missing or wrong key (a server without a key treats everyone as admin). */
export function principalOf(keys: KeyChecker, presented: string | undefined): Principal | undefined {
  if (keys.adminKey === undefined) return ADMIN;
  if (presented === undefined) return undefined;
  if (apiKeyMatches(keys.adminKey, presented)) return ADMIN;
  return keys.scoped(presented);
}

/** The principal authorize() found for this request; a route reached without it answers nothing (fail closed). */
export function principalFrom(response: Response): Principal {
  const principal = (response.locals as { principal?: Principal }).principal;
  if (!principal) throw new UnauthorizedError();
  return principal;
}

/** For a route open to anyone by the operator's choice (--metrics-public): served as to the admin. */
export const asAdmin: RequestHandler = (_request, response, next) => {
  (response.locals as { principal?: Principal }).principal = ADMIN;
  next();
};

/** Whether the principal may link a phone to its sessions: QR and pairing codes are the link itself. */
export function mayLink(principal: Principal): boolean {
  return hasRole(principal, 'control');
}

/**
 * Checks the key, then what it may do: the route's role, and the session the path names. A session outside a
 * scoped key's list is answered 404, as one that does not exist, so that ids do not leak; a role the key lacks is
 * 403. Routes nobody documented are the admin's only.
 */
export function authorize(keys: KeyChecker, rules: readonly RouteRule[], options: { allowQueryKey?: boolean } = {}): RequestHandler {
  return (request, response, next) => {
    const principal = principalOf(keys, presentedKey(request, options.allowQueryKey ?? false));
    if (!principal) {
      return next(new UnauthorizedError(options.allowQueryKey ? 'A valid x-api-key header or apiKey query parameter is required' : undefined));
    }
    (response.locals as { principal?: Principal }).principal = principal;
    if (principal.kind === 'admin') return next();
    const found = ruleFor(rules, request.method, `${request.baseUrl}${request.path}`);
    if (!found || found.rule.access === 'admin') return next(new ForbiddenError('This key may not call this route'));
    if (found.sessionId !== undefined && !canSee(principal, found.sessionId)) return next(new SessionNotFoundError(found.sessionId));
    if (found.rule.access !== 'public' && !hasRole(principal, found.rule.access)) {
      return next(new ForbiddenError(`This key lacks the '${found.rule.access}' role`));
    }
    next();
  };
}
