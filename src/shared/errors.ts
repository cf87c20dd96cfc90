/** One error family for the whole server: every AppError maps to an HTTP status and a stable code. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options?.details;
  }
  readonly details: Record<string, unknown> | undefined;
}

export class InvalidInputError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INVALID_INPUT', 400, message, { details });
  }
}

/** A 400 about one field: the message names it, and details.issues carries it for a form to show beside the field. */
export function fieldError(path: string, message: string): InvalidInputError {
  return new InvalidInputError(`${path}: ${message}`, { issues: [{ path, message }] });
}

export class UnauthorizedError extends AppError {
  constructor(message = 'A valid x-api-key header is required') {
    super('UNAUTHORIZED', 401, message);
  }
}

/** The key is valid but may not do this (a scoped key without the role, or a route for the server's key only). */
export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('FORBIDDEN', 403, message);
  }
}

export class NotFoundError extends AppError {
  constructor(code: string, message: string) {
    super(code, 404, message);
  }
}

export class SessionNotFoundError extends NotFoundError {
  constructor(sessionId: string) {
    super('SESSION_NOT_FOUND', `Session '${sessionId}' does not exist`);
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(code, 409, message, { details });
  }
}

export class LimitReachedError extends AppError {
  constructor(message: string) {
    super('LIMIT_REACHED', 429, message);
  }
}

export class TimeoutError extends AppError {
  constructor(message: string) {
    super('TIMEOUT', 504, message);
  }
}

/** whatsapp-web.js throws plain strings ('auth timeout'); turn anything thrown into a readable message. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

/** Input larger than a configured limit (media over --max-media-bytes, say). */
export class TooLargeError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('PAYLOAD_TOO_LARGE', 413, message, { details });
  }
}

/** The thing existed but is no longer available (media WhatsApp no longer has). */
export class GoneError extends AppError {
  constructor(code: string, message: string) {
    super(code, 410, message);
  }
}
