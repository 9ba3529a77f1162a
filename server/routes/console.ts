import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { ApiError } from '../../protocol/wire.js';
import type { ServiceContext } from '../context.js';

/** Where the console lives; the app's router uses the same base. */
export const CONSOLE_BASE = '/console/';

/**
 * The console's pages allow scripts, styles and requests from the office itself and nothing else:
 * no inline script or style (the build has none), no framing, no plugins, forms post only here.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

const PAGE_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  // The page names the current build's assets: always ask whether it changed.
  'cache-control': 'no-cache',
};

/** Addresses a person tries for the office's face, each taken to its screen. */
const ENTRY_POINTS: Record<string, string> = { '/': '', '/console': '', '/dispatch': 'dispatch', '/review': 'review', '/audit': 'audit', '/maintenance': 'maintenance', '/fleet': 'fleet' };

/**
 * The office console: a single-page app built to `config.consoleDir`, its files under /console/
 * and every other /console/ path answered with its page (the app routes in the browser).
 */
export async function registerConsoleRoutes(app: FastifyInstance, context: ServiceContext): Promise<void> {
  for (const [path, screen] of Object.entries(ENTRY_POINTS)) {
    app.get(path, (request, reply) => {
      const query = request.url.indexOf('?');
      return reply.redirect(`${CONSOLE_BASE}${screen}${query >= 0 ? request.url.slice(query) : ''}`);
    });
  }

  const root = context.config.consoleDir;
  if (!root || !existsSync(join(root, 'index.html'))) {
    app.get(`${CONSOLE_BASE}*`, (_request, reply) =>
      reply.status(503).send({ code: 'unavailable', message: 'the office console is not built: run "npm run build:console" and restart the office' } satisfies ApiError),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: CONSOLE_BASE,
    // Files are listed once at start; paths that are not files fall to the page below.
    wildcard: false,
    index: false,
    // Set below, per kind of file.
    cacheControl: false,
    setHeaders: (response, path) => {
      response.setHeader('x-content-type-options', 'nosniff');
      if (path.endsWith('.html')) for (const [name, value] of Object.entries(PAGE_HEADERS)) response.setHeader(name, value);
      // Built assets are named by their content: they never change under the same name.
      else if (path.includes('/assets/')) response.setHeader('cache-control', 'public, max-age=31536000, immutable');
    },
  });
  app.get(`${CONSOLE_BASE}*`, (request, reply) => {
    const last = request.url.split('?')[0]!.split('/').at(-1) ?? '';
    // A missing script or image is a 404, not the page (which would load as the wrong type).
    if (last.includes('.')) return reply.status(404).send({ code: 'not-found', message: `no file ${request.url.split('?')[0]}` } satisfies ApiError);
    return reply.headers(PAGE_HEADERS).sendFile('index.html');
  });
}
