import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TEXT_RULE, findUnsafeText } from '../protocol/text.js';
import { ApiFailure } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A body key whose items the route reads one by one, answering each (push entries): not checked here. */
    itemsReadOneByOne?: string;
  }
}

/**
 * The text rule (protocol/text.ts) at the office's door: path parameters, query strings and JSON
 * bodies holding what no string may hold are refused with a 400 naming where, before any route,
 * schema or database sees them. The shared schemas hold the same rule; this keeps a field a schema
 * leaves open (free JSON, a URL id) from ever reaching Postgres, which cannot store it.
 */
export function registerTextGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const found = unsafeTextIn(request);
    if (found) throw new ApiFailure(400, 'invalid-request', `invalid ${found.where}: ${found.path} ${found.problem}; ${TEXT_RULE}`);
  });
}

function unsafeTextIn(request: FastifyRequest): { where: string; path: string; problem: string } | null {
  const parts: [string, unknown][] = [
    ['path', request.params],
    ['query', request.query],
    ['request body', withoutItemsReadOneByOne(request.body, request.routeOptions.config.itemsReadOneByOne)],
  ];
  for (const [where, value] of parts) {
    const found = findUnsafeText(value);
    if (found) return { where, ...found };
  }
  return null;
}

function withoutItemsReadOneByOne(body: unknown, key: string | undefined): unknown {
  if (!key || typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const { [key]: _items, ...rest } = body as Record<string, unknown>;
  return rest;
}
