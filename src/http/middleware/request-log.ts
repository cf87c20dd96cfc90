import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from '../../shared/logger.js';
import { SESSION_ID_PATTERN } from '../../sessions/session-config.js';

export const REQUEST_ID_HEADER = 'x-request-id';
/** A request id a client or proxy sent is kept only when it is this plain (it is echoed in a header and logged). */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** The route of requests no route answered: one label, whatever path was asked for. */
export const UNMATCHED_ROUTE = 'unmatched';

export interface RequestLogDeps {
  logger: Logger;
  /** --access-log: one line per request at info level. */
  accessLog: boolean;
  onFinished?: (method: string, route: string, status: number, seconds: number) => void;
}

/**
 * Gives every request an id (the client's x-request-id when it is plain, a new one otherwise, echoed back) and, once
 * answered, logs one line and reports its duration. Only the route pattern is recorded, never the URL: an API key
 * in ?apiKey= and the ids of chats and messages stay out of logs and metric labels.
 */
export function requestLog(deps: RequestLogDeps): RequestHandler {
  return (request, response, next) => {
    const startedAt = process.hrtime.bigint();
    const given = request.header(REQUEST_ID_HEADER);
    const requestId = given !== undefined && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
    response.setHeader(REQUEST_ID_HEADER, requestId);
    // read now: once the answer is done its socket may be gone (request.ip would then throw in proxy-addr)
    const ip = request.ip;
    let reported = false;
    const report = () => {
      if (reported) return;
      reported = true;
      const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
      const method = KNOWN_METHODS.has(request.method) ? request.method : 'OTHER';
      const route = routeOf(request);
      // a client that went away before the answer was complete: nginx's 499
      const status = response.writableFinished ? response.statusCode : 499;
      deps.onFinished?.(method, route, status, seconds);
      if (!deps.accessLog) return;
      const session = sessionOf(request);
      deps.logger.info('request', {
        requestId,
        method,
        route,
        status,
        durationMs: Math.round(seconds * 10_000) / 10,
        ...(session ? { session } : {}),
        ip,
      });
    };
    response.once('finish', report);
    response.once('close', report);
    next();
  };
}

const MOUNT = Symbol('wamux.mount');
type Mounted = Request & { [MOUNT]?: string };

/**
 * First in a router mounted on `mount` (/api/v1): remembers it for the route label. Express forgets req.baseUrl when
 * an error leaves the router, and keeps it as the client spelled it (Express matches paths case-insensitively).
 */
export function rememberMount(mount: string): RequestHandler {
  return (request, _response, next) => {
    (request as Mounted)[MOUNT] = mount;
    next();
  };
}

/** The pattern of the route that answered (/api/v1/sessions/:id), or UNMATCHED_ROUTE. */
export function routeOf(request: Request): string {
  const pattern: unknown = (request.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern !== 'string') return UNMATCHED_ROUTE;
  return `${(request as Mounted)[MOUNT] ?? ''}${pattern}`;
}

function sessionOf(request: Request): string | undefined {
  const id: unknown = (request.params as Record<string, unknown> | undefined)?.id;
  return typeof id === 'string' && SESSION_ID_PATTERN.test(id) ? id : undefined;
}
