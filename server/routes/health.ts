import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.js';
import { isMigrated } from '../db/queries/health.js';
import { unavailable } from '../errors.js';

const DEFAULT_READY_TIMEOUT_MS = 1000;

/**
 * /health: the process is alive (no dependencies checked, so an orchestrator does not restart a
 * healthy process during a database blip). /ready: it can serve — database reachable, migrated,
 * notifications listening, not shutting down. It answers within its own timeout, however long
 * the database would take: a load balancer asking must not wait on a partitioned database.
 */
export function registerHealthRoutes(app: FastifyInstance, context: ServiceContext): void {
  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/ready', async () => {
    const problems: string[] = [];
    if (!context.accepting) problems.push('shutting down');
    if (!context.notifier.listening) problems.push('not listening for change notifications');
    const database = await databaseProblem(context, context.config.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    if (database) problems.push(database);
    if (problems.length > 0) {
      const reason = problems.join('; ');
      throw unavailable(`not ready: ${reason}`, { ready: false, reason });
    }
    return { status: 'ready' };
  });
}

/** What keeps the database from serving, or null; gives up waiting after `timeoutMs`. */
async function databaseProblem(context: ServiceContext, timeoutMs: number): Promise<string | null> {
  const check = isMigrated(context.database.db).then(
    (migrated) => (migrated ? null : 'database is not migrated'),
    (error: unknown) => `database unreachable: ${driverMessage(error)}`,
  );
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`database did not answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([check, giveUp]);
  } finally {
    clearTimeout(timer);
  }
}

/** The driver's own words, under drizzle's "Failed query: …" wrapping. */
function driverMessage(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
