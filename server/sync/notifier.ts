import { EventEmitter } from 'node:events';
import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { sha256Hex } from '../../protocol/crypto/hash.js';
import type { OfficeDatabase, OfficeDb } from '../db/connect.js';

/**
 * Live change notification. A writing transaction calls `notifySites` before it commits; Postgres
 * delivers NOTIFY only on commit (and never for a rollback), to every server instance listening,
 * and each instance tells its connected devices' event streams. PGlite does the same in-process.
 */
const payloadSchema = z.object({ sites: z.array(z.string()).max(1000), at: z.number() });

export function notificationChannel(schema: string): string {
  const readable = schema === 'public' ? 'waypost_changes' : `waypost_changes_${schema}`;
  return readable.length <= 63 ? readable : `waypost_changes_${sha256Hex(schema).slice(0, 16)}`;
}

export async function notifySites(db: OfficeDb, channel: string, siteIds: Iterable<string>, at: number): Promise<void> {
  const sites = [...new Set(siteIds)].sort();
  if (sites.length === 0) return;
  await db.execute(sql`SELECT pg_notify(${channel}, ${JSON.stringify({ sites, at })})`);
}

export type SiteListener = (at: number) => void;

/** Emits `close` when it stops, so open event streams can end. */
export class ChangeNotifier extends EventEmitter {
  #listeners = new Map<string, Set<SiteListener>>();
  #unlisten: (() => Promise<void>) | null = null;

  constructor(
    private readonly database: OfficeDatabase,
    readonly channel: string,
    private readonly logger: FastifyBaseLogger,
  ) {
    super();
    this.setMaxListeners(0);
  }

  get listening(): boolean {
    return this.#unlisten !== null;
  }

  async start(): Promise<void> {
    this.#unlisten = await this.database.listen(this.channel, (payload) => this.#deliver(payload));
  }

  async stop(): Promise<void> {
    const unlisten = this.#unlisten;
    this.#unlisten = null;
    this.#listeners.clear();
    this.emit('close');
    await unlisten?.().catch((error: unknown) => this.logger.warn({ err: error }, 'could not stop listening for changes'));
  }

  /** Calls `listener` whenever changes for `siteId` commit; returns the unsubscribe. */
  subscribe(siteId: string, listener: SiteListener): () => void {
    let listeners = this.#listeners.get(siteId);
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(siteId, listeners);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#listeners.get(siteId) === listeners) this.#listeners.delete(siteId);
    };
  }

  #deliver(payload: string): void {
    let parsed: z.infer<typeof payloadSchema>;
    try {
      parsed = payloadSchema.parse(JSON.parse(payload));
    } catch {
      this.logger.warn({ payload: payload.slice(0, 200) }, 'ignored a malformed change notification');
      return;
    }
    for (const siteId of parsed.sites) {
      for (const listener of this.#listeners.get(siteId) ?? []) listener(parsed.at);
    }
  }
}
