import pg from 'pg';
import { readCpuMs, readProcStat, readTreeCpuMs } from './proc.js';

/**
 * CPU Postgres spent for one client, two ways:
 *
 * - the backends serving it: pg_stat_activity filtered by its application_name, polled, each
 *   backend's own /proc CPU from the mark (or from its birth, for one that appeared later) to the
 *   last poll that saw it. A backend that exits between polls loses at most one interval; the pool
 *   keeps busy connections, so few do.
 * - all of Postgres: the postmaster's process tree (its own time, its reaped children's, its live
 *   children's) between the mark and the reading. It includes the WAL writer and checkpointer this
 *   client's writes keep busy, and whatever else uses the same server meanwhile (other tests).
 */
export class PostgresCpu {
  readonly #client: pg.Client;
  readonly #applicationName: string;
  readonly #intervalMs: number;
  /** Per backend: CPU at the mark (0 for one born later) and at the last poll that saw it. */
  readonly #backends = new Map<number, { base: number; last: number }>();
  #postmasterPid: number | null = null;
  #treeAtMark: number | null = null;
  #timer: NodeJS.Timeout | null = null;
  #polling: Promise<void> = Promise.resolve();

  private constructor(client: pg.Client, applicationName: string, intervalMs: number) {
    this.#client = client;
    this.#applicationName = applicationName;
    this.#intervalMs = intervalMs;
  }

  static async open(databaseUrl: string, applicationName: string, intervalMs = 200): Promise<PostgresCpu> {
    const client = new pg.Client({ connectionString: databaseUrl, application_name: 'waypost_bench_observer', statement_timeout: 5_000, query_timeout: 10_000 });
    await client.connect();
    const sampler = new PostgresCpu(client, applicationName, intervalMs);
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    sampler.#postmasterPid = readProcStat(rows[0]!.pid)?.ppid ?? null;
    return sampler;
  }

  /** Starts counting from now, and keeps polling until `stop`. */
  async mark(): Promise<void> {
    this.#backends.clear();
    for (const pid of await this.#pids()) {
      const cpu = readCpuMs(pid);
      if (cpu !== null) this.#backends.set(pid, { base: cpu, last: cpu });
    }
    this.#treeAtMark = this.#postmasterPid === null ? null : readTreeCpuMs(this.#postmasterPid);
    this.#timer ??= setInterval(() => {
      this.#polling = this.#polling.then(() => this.#poll()).catch(() => {});
    }, this.#intervalMs);
  }

  /** CPU ms since the mark: of this client's backends, and of the whole Postgres tree (null if unreadable). */
  async read(): Promise<{ backendsMs: number; backends: number; allPostgresMs: number | null }> {
    await this.#polling;
    await this.#poll();
    let backendsMs = 0;
    for (const { base, last } of this.#backends.values()) backendsMs += last - base;
    const tree = this.#postmasterPid === null ? null : readTreeCpuMs(this.#postmasterPid);
    return { backendsMs, backends: this.#backends.size, allPostgresMs: tree === null || this.#treeAtMark === null ? null : tree - this.#treeAtMark };
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#polling;
    await this.#client.end().catch(() => {});
  }

  async #poll(): Promise<void> {
    for (const pid of await this.#pids()) {
      const cpu = readCpuMs(pid);
      if (cpu === null) continue;
      const known = this.#backends.get(pid);
      if (known) known.last = cpu;
      else this.#backends.set(pid, { base: 0, last: cpu });
    }
  }

  async #pids(): Promise<number[]> {
    const { rows } = await this.#client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [this.#applicationName]);
    return rows.map((row) => row.pid);
  }
}
