import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { consoleDirectory } from './console-files';

export const CONSOLE_PATH = '/console';

/** Everything from the server's own origin: no CDN, no inline script, no third-party frame. */
const CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
/** Vite names every asset by its content hash, so a year is safe; index.html is re-checked each time. */
const HASHED_ASSET_CACHE = 'public, max-age=31536000, immutable';

function secure(reply: FastifyReply): void {
  reply.header('content-security-policy', CSP);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
}

/**
 * Serves the operator console (apps/console, built into dist/console) at /console from this
 * process: precompressed files (.br, .gz) when the browser takes them, long-cached hashed
 * assets, and index.html for every other console path so deep links reload to the same view.
 * `/` redirects here.
 */
export async function registerWebConsole(fastify: FastifyInstance, dir = consoleDirectory()): Promise<void> {
  fastify.get('/', (_request, reply) => reply.redirect(`${CONSOLE_PATH}/`, 302));
  if (!dir) {
    fastify.get(`${CONSOLE_PATH}*`, (_request, reply) =>
      reply.code(503).type('text/plain; charset=utf-8').send('The console is not built: run `npm run build` (npm start does it).'),
    );
    return;
  }
  await fastify.register(fastifyStatic, {
    root: dir,
    prefix: `${CONSOLE_PATH}/`,
    preCompressed: true,
    wildcard: false,
    index: false,
    cacheControl: false,
    setHeaders: (reply, file) => {
      secure(reply);
      reply.header('cache-control', path.relative(dir, file).startsWith(`assets${path.sep}`) ? HASHED_ASSET_CACHE : 'no-cache');
    },
  });
  const sendIndex = (_request: unknown, reply: FastifyReply) => {
    secure(reply);
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html');
  };
  fastify.get(CONSOLE_PATH, sendIndex);
  fastify.get(`${CONSOLE_PATH}/`, sendIndex);
  // Deep links: any console path that is not a built file is a view of the single-page app.
  fastify.get(`${CONSOLE_PATH}/*`, sendIndex);
}
