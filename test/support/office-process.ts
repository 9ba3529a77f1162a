import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The office service as its own process, as `npm run start:server` runs it (server/main.ts,
 * configured by the environment), on real Postgres in a schema of its own: the fleet benchmark's
 * office, and the one the process tests kill and start again. Its standard output (pino JSON
 * lines, the product's default level unless WAYPOST_BENCH_OFFICE_LOG_LEVEL says otherwise) goes to
 * a file, where the caller reads the address it logs when ready.
 */
export interface OfficeProcess {
  url: string;
  pid: number;
  adminToken: string;
  schema: string;
  /** The application_name its Postgres connections carry, to find its backends. */
  applicationName: string;
  logFile: string;
  logLevel: string;
  /** The receipt-signing key's seed: an office started again with it signs as this one did. */
  serverKeyHex: string;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL, as a power cut or the OOM killer would: no draining, no goodbye to the database. */
  kill(): Promise<void>;
}

export interface OfficeProcessOptions {
  databaseUrl: string;
  schema: string;
  /** Where the log goes: `<dir>/<logName>` (default office.log). */
  dir: string;
  logName?: string;
  /** Listen on this port (0, any free one, by default): an office started again is found where it was. */
  port?: number;
  /** Its configuration, kept across restarts: the bootstrap administrator's token and the receipt key. */
  adminToken?: string;
  serverKeyHex?: string;
}

const READY_TIMEOUT_MS = 60_000;

/** Every child this module started, killed if the benchmark process exits before stopping them. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startOfficeProcess(options: OfficeProcessOptions): Promise<OfficeProcess> {
  const applicationName = `waypost_bench_${options.schema}`;
  const url = new URL(options.databaseUrl);
  url.searchParams.set('application_name', applicationName);
  const adminToken = options.adminToken ?? `wpo_bench-admin-${randomBytes(16).toString('hex')}`;
  const serverKeyHex = options.serverKeyHex ?? randomBytes(32).toString('hex');
  const logLevel = process.env.WAYPOST_BENCH_OFFICE_LOG_LEVEL || 'info';
  const logFile = join(options.dir, options.logName ?? 'office.log');
  const log = openSync(logFile, 'w');
  // WAYPOST_BENCH_OFFICE_PROFILE=dir: the office writes a V8 CPU profile there as it stops.
  const profileDir = process.env.WAYPOST_BENCH_OFFICE_PROFILE;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  // node --import tsx rather than the tsx command: one process, whose /proc counters are the office's own.
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'server/main.ts'], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: {
      ...process.env,
      DATABASE_URL: url.toString(),
      WAYPOST_DB_SCHEMA: options.schema,
      WAYPOST_HOST: '127.0.0.1',
      WAYPOST_PORT: String(options.port ?? 0),
      WAYPOST_ADMIN_TOKEN: adminToken,
      WAYPOST_SERVER_KEY: serverKeyHex,
      WAYPOST_LOG_LEVEL: logLevel,
    },
    stdio: ['ignore', log, 'pipe'],
  });
  closeSync(log);
  running.add(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    if (stderr.length < 20_000) stderr += text;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));

  const stop = async (graceMs = 15_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  };

  try {
    const started = Date.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the office exited with ${child.exitCode} before it was ready: ${stderr.trim()}`);
      const ready = readyUrl(logFile);
      if (ready) return { url: ready, pid: child.pid!, adminToken, schema: options.schema, applicationName, logFile, logLevel, serverKeyHex, stop, kill };
      if (Date.now() - started > READY_TIMEOUT_MS) throw new Error(`the office was not ready within ${READY_TIMEOUT_MS} ms: ${stderr.trim()}`);
      await sleep(100);
    }
  } catch (error) {
    await stop(2_000);
    throw error;
  }
}

/** The URL of the "office service ready" line, once the log has it. */
function readyUrl(logFile: string): string | null {
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('office service ready')) continue;
    const url = (JSON.parse(line) as { url?: unknown }).url;
    if (typeof url === 'string') return url;
  }
  return null;
}

/** Lines and bytes the office logged (requests are logged at info). */
export function logSize(logFile: string): { bytes: number; lines: number } {
  try {
    const text = readFileSync(logFile, 'utf8');
    return { bytes: statSync(logFile).size, lines: text.split('\n').filter(Boolean).length };
  } catch {
    return { bytes: 0, lines: 0 };
  }
}
