import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../app.js';
import { isMigrated } from '../db/queries/health.js';

/**
 * /health: the process is alive (no dependencies checked, so an orchestrator does not restart a
 * healthy process during a database blip). /ready: it can serve — database reachable, migrated,
 * notifications listening, not shutting down.
 */
export function registerHealthRoutes(app: FastifyInstance, context: ServiceContext): void {
  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/ready', async (_request, reply) => {
    const problems: string[] = [];
    if (!context.accepting) problems.push('shutting down');
    if (!context.notifier.listening) problems.push('not listening for change notifications');
    try {
      if (!(await isMigrated(context.database.db))) problems.push('database is not migrated');
    } catch (error) {
      problems.push(`database unreachable: ${(error as Error).message}`);
    }
    if (problems.length > 0) return reply.status(503).send({ code: 'unavailable', message: problems.join('; ') });
    return { status: 'ready' };
  });
}
