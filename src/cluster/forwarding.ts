import type { IncomingHttpHeaders } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError, InvalidInputError, describeError } from '../shared/errors.js';
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
    // one session's live stream (with its catch-up) comes from the instance whose log has it
    const streamed = request.query.session;
    if (pathOf(request) === '/api/v1/events/stream' && typeof streamed === 'string') return deps.placeOf(streamed);
    const sessionId = sessionIdIn(request.path);
    return sessionId === undefined ? { kind: 'here' } : deps.placeOf(sessionId);
  }
}

function pathOf(request: Request): string {
  return new URL(request.originalUrl, 'http://placeholder.invalid').pathname;
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
  const url = targetUrl(request, target.url);
  // a client that goes away ends the forwarded request too
  const gone = new AbortController();
  response.once('close', () => gone.abort());
  try {
    answer = await undici().request(url, {
      signal: gone.signal,
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
  // with backpressure, and the owner's answer dropped if the client goes away
  await pipeline(answer.body, response).catch(() => response.destroy());
}

/**
 * The owner's URL for this request: only the path and query of the request go along, so that a request line in
 * absolute form (`GET http://elsewhere/api/v1/...`), or a path starting with `//`, cannot point it at another host.
 */
export function targetUrl(request: Pick<Request, 'originalUrl'>, ownerUrl: string): URL {
  const { pathname, search } = new URL(request.originalUrl, 'http://placeholder.invalid');
  if (!pathname.startsWith('/api/v1/') || pathname.startsWith('//')) throw new InvalidInputError('The request path cannot be passed on to another instance');
  const url = new URL(ownerUrl);
  url.pathname = pathname;
  url.search = search;
  return url;
}
