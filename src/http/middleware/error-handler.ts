import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';

interface HttpError {
  status?: number;
  type?: string;
  expose?: boolean;
}

/** Every error leaves as {error:{code,message}}; unexpected ones are logged with their stack and answered vaguely. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, request, response, _next) => {
    if (error instanceof AppError) {
      response.status(error.status).json({ error: { code: error.code, message: error.message, details: error.details } });
      return;
    }
    const httpError = error as HttpError;
    if (httpError.type === 'entity.parse.failed') {
      response.status(400).json({ error: { code: 'INVALID_JSON', message: 'The request body is not valid JSON' } });
      return;
    }
    if (httpError.type === 'entity.too.large') {
      response.status(413).json({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is too large' } });
      return;
    }
    if (httpError.expose && httpError.status && httpError.status < 500) {
      response.status(httpError.status).json({ error: { code: 'BAD_REQUEST', message: String((error as Error).message) } });
      return;
    }
    logger.error('unhandled error', {
      method: request.method,
      path: request.path,
      error: error instanceof Error ? error.stack : String(error),
    });
    response.status(500).json({ error: { code: 'INTERNAL', message: 'Internal server error' } });
  };
}

export const notFoundHandler: RequestHandler = (request, response) => {
  response.status(404).json({ error: { code: 'ROUTE_NOT_FOUND', message: `No route ${request.method} ${request.path}` } });
};
