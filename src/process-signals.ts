import type { Server } from 'node:http';
import type { Logger } from './shared/logger.js';
import { describeError } from './shared/errors.js';

/** whatsapp-web.js leaves some rejections unhandled (a closed tab mid-request); one session's trouble must not end the server. */
export function keepAliveOnStrayErrors(logger: Logger): void {
  process.on('unhandledRejection', (reason) => logger.error('unhandled rejection', { error: describeError(reason) }));
  process.on('uncaughtException', (error) => logger.error('uncaught exception', { error: error.stack ?? describeError(error) }));
}

/** SIGTERM/SIGINT: stop taking requests, close everything, exit 0 (1 when closing failed). */
export function handleShutdown(server: Server, logger: Logger, closeEverything: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    server.close();
    server.closeAllConnections();
    closeEverything()
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error('shutdown failed', { error: describeError(error) });
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
