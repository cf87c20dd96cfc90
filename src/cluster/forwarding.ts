import type { IncomingHttpHeaders } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../shared/logger.js';
import { AppError, describeError } from '../shared/errors.js';
import { undici } from '../net/undici-module.js';

/** Marks a request one instance passed to another: it is answered there, never passed on again. */
export const FORWARDED_BY = 'x-wamux-forwarded-by';

/** Where a session's requests go: this instance, another one, or nowhere yet (its owner died, a takeover is under way). */
export type SessionPlace = { kind: 'here' } | { kind: 'instance'; name: string; url: string } | { kind: 'moving' } | { kind: 'unknown' };

export interface ForwardingDeps {
  self: string;
  /** Where an existing session is driven. */
  placeOf(sessionId: string): Promise<SessionPlace>;
  /** Where a new session goes (the instance with the most room). */
  placeForNew(): Promise<SessionPlace>;
  /** Sessions requests wait on at most, end to end (a send may wait for a wake). */
  timeoutMs: number;
  logger: Logger;
}

class SessionMovingError extends AppError {
  constructor(sessionId: string) {
    super('SESSION_MOVING', 503, `Session '${sessionId}' is being taken over by another instance; try again in a few seconds`);
  }
}

class InstanceUnreachableError extends AppError {
  constructor(instance: string, cause: unknown) {
    super('INSTANCE_UNREACHABLE', 502, `Instance '${instance}', which drives this session, did not answer: ${describeError(cause)}`);
  }
}

// hop-by-hop headers and those the forwarded request sets itself
const NOT_FORWARDED = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

/**
 * Any instance answers for any session: a request for a session another instance drives is passed to it (body
 * and all, before this instance parses anything) and its answer passed back; a new session is created on the
 * instance placement picks. Must come after the key check and before body parsing.
 */
export function clusterForwarding(deps: ForwardingDeps): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    if (request.headers[FORWARDED_BY] !== undefined) return next();
    void route(request)
      .then((place) => {
        if (place.kind === 'instance') return forward(request, response, place, deps);
        if (place.kind === 'moving') throw new SessionMovingError(sessionIdIn(request.path) ?? '');
        next();
      })
      .catch(next);
  };

  async function route(request: Request): Promise<SessionPlace> {
    if (request.method === 'POST' && request.path === '/sessions') return deps.placeForNew();
    const sessionId = sessionIdIn(request.path);
    return sessionId === undefined ? { kind: 'here' } : deps.placeOf(sessionId);
  }
}

function sessionIdIn(path: string): string | undefined {
  const match = /^\/sessions\/([^/]+)(?:\/|$)/.exec(path);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
}

async function forward(request: Request, response: Response, target: { name: string; url: string }, deps: ForwardingDeps): Promise<void> {
  const headers: Record<string, string | string[]> = { [FORWARDED_BY]: deps.self };
  for (const [name, value] of Object.entries(request.headers as IncomingHttpHeaders)) {
    if (value !== undefined && !NOT_FORWARDED.has(name)) headers[name] = value;
  }
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  let answer: Awaited<ReturnType<ReturnType<typeof undici>['request']>>;
  try {
    answer = await undici().request(new URL(request.originalUrl, target.url), {
      method: request.method as 'GET',
      headers,
      body: hasBody ? request : undefined,
      headersTimeout: deps.timeoutMs,
      bodyTimeout: deps.timeoutMs,
    });
  } catch (error) {
    throw new InstanceUnreachableError(target.name, error);
  }
  response.status(answer.statusCode);
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value !== undefined && !NOT_FORWARDED.has(name)) response.setHeader(name, value);
  }
  response.setHeader('x-wamux-instance', target.name);
  for await (const chunk of answer.body) response.write(chunk);
  response.end();
}
