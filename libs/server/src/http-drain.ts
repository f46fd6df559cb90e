import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';

/** Long enough for any upload or query in flight; event streams never end by themselves and are cut after it. */
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Stops the HTTP server accepting connections and waits for the requests in flight (new ones on
 * kept-alive connections get 503), before anything they use is shut down. Streams still open
 * after DRAIN_TIMEOUT_MS are closed.
 */
export async function drainHttp(app: NestFastifyApplication, logger: Logger): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const closed = app.getHttpAdapter().close();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    closed.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), DRAIN_TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    logger.warn(`HTTP requests still open ${DRAIN_TIMEOUT_MS / 1000} s after shutdown began are closed`);
    fastify.server.closeAllConnections();
    await closed;
  }
}
