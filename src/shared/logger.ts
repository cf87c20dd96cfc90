import winston from 'winston';

export type Logger = winston.Logger;

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const REDACTED = '[redacted]';

/**
 * Replaces every secret the server knows (API key, webhook secret) wherever it appears in a log line, whatever
 * carried it there (a query string, an error message, a header dump). Secrets shorter than 8 characters are
 * refused by the settings, so this never blanks out ordinary words.
 */
function redactSecrets(known: readonly string[]): winston.Logform.Format {
  const secrets = known.filter((secret) => secret.length >= 8);
  return winston.format((info) => {
    if (secrets.length === 0) return info;
  const scrub = (value: unknown): unknown => {
    if (typeof value === 'string') return secrets.reduce((text, secret) => text.split(secret).join(REDACTED), value);
    if (Array.isArray(value)) return value.map(scrub);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, scrub(inner)]));
    }
    return value;
  };
    for (const key of Object.keys(info)) info[key] = scrub(info[key]);
    info.message = scrub(info.message);
    return info;
  })();
}

/**
 * Log output whose reader went away (the parent exited, a pipe closed) fails every write with EPIPE. Unhandled, that
 * error is an uncaught exception, whose log line fails the same way: the process spun at full CPU, growing, and
 * never stopped. Lines with nowhere to go are dropped instead; the server runs on.
 */
function dropLinesOnceOutputCloses(): void {
  for (const output of [process.stdout, process.stderr]) {
    if (!output.listeners('error').includes(ignoreOutputError)) output.on('error', ignoreOutputError);
  }
}
function ignoreOutputError(): void {}

export function createLogger(level: LogLevel = 'info', secrets: readonly string[] = []): Logger {
  dropLinesOnceOutputCloses();
  const logger = winston.createLogger({
    level,
    format: winston.format.combine(redactSecrets(secrets), winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn'] })],
  });
  // winston builds and pipes every entry before its transport drops one below the level: a debug line per
  // message sent cost as much as the event log's write. Child loggers inherit the no-ops.
  const skip = (() => logger) as winston.LeveledLogMethod;
  for (const name of LOG_LEVELS) if (!logger.isLevelEnabled(name)) logger[name] = skip;
  return logger;
}

/** A logger that writes nothing: for unit tests and library code that was given none. */
export function createSilentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
