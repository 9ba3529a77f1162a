import { join, resolve } from 'node:path';
import { z } from 'zod';
import { type DatabaseTimeouts, databaseTimeouts } from './db/connect.js';
import { type AdmissionSettings, defaultAdmission, MAX_ADMISSION_WAIT_MS } from './sync/admission.js';

/**
 * Service configuration from the environment. Every variable is checked at start and all problems
 * are reported together, naming the variable, so a misconfigured deployment fails with a message
 * instead of misbehaving later.
 */
const HOUR = 60 * 60 * 1000;

const integerFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const DEFAULT_DB_POOL_SIZE = 10;

const envSchema = z.object({
  WAYPOST_HOST: z.string().min(1).default('127.0.0.1'),
  WAYPOST_PORT: integerFrom(0, 65535).default(8787),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  WAYPOST_DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lowercase letters, digits and _ only')
    .default('public'),
  WAYPOST_DATA_DIR: z.string().min(1).optional(),
  WAYPOST_ATTACHMENTS_DIR: z.string().min(1).optional(),
  // electron-builder's output for the desktop app (latest.yml, the installer, its block map), served as the fleet's update feed.
  WAYPOST_UPDATES_DIR: z.string().min(1).optional(),
  WAYPOST_ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').max(200).optional(),
  WAYPOST_SERVER_KEY: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be 32 bytes of lowercase hex (the Ed25519 seed that signs receipts)')
    .optional(),
  WAYPOST_SERVER_KEY_FILE: z.string().min(1).optional(),
  WAYPOST_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WAYPOST_MAX_CLOCK_SKEW_MS: integerFrom(1000, 30 * 24 * HOUR).default(24 * HOUR),
  WAYPOST_SHUTDOWN_TIMEOUT_MS: integerFrom(100, 5 * 60 * 1000).default(10_000),
  WAYPOST_DB_POOL_SIZE: integerFrom(1, 200).default(DEFAULT_DB_POOL_SIZE),
  // Sync admission: unset ones follow the pool size (sync/admission.ts, defaultAdmission).
  WAYPOST_SYNC_MAX_IN_FLIGHT: integerFrom(1, 10_000).optional(),
  WAYPOST_SYNC_MAX_QUEUED: integerFrom(0, 100_000).optional(),
  WAYPOST_SYNC_QUEUE_WAIT_MS: integerFrom(0, MAX_ADMISSION_WAIT_MS).optional(),
  // Database timeouts: unset ones take the defaults of db/connect.ts (databaseTimeouts).
  WAYPOST_DB_CONNECT_TIMEOUT_MS: integerFrom(100, 5 * 60 * 1000).optional(),
  WAYPOST_DB_STATEMENT_TIMEOUT_MS: integerFrom(100, HOUR).optional(),
  WAYPOST_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: integerFrom(100, HOUR).optional(),
  WAYPOST_DB_QUERY_TIMEOUT_MS: integerFrom(100, HOUR).optional(),
  WAYPOST_READY_TIMEOUT_MS: integerFrom(100, 60 * 1000).default(1000),
  // Behind a proxy that ends TLS the office sees plain HTTP: this makes console cookies Secure anyway.
  WAYPOST_CONSOLE_SECURE_COOKIES: z.enum(['true', 'false']).default('false'),
  // The built office console (`npm run build:console`), served at /console/.
  WAYPOST_CONSOLE_DIR: z.string().min(1).default('dist/console'),
});

export interface ServiceConfig {
  host: string;
  port: number;
  database: { url?: string; dataDir?: string; schema: string; poolSize: number; timeouts: DatabaseTimeouts };
  /** How long /ready waits for the database before it answers not ready. */
  readyTimeoutMs: number;
  /** Pushes and pulls served at once, and how many may wait how long for their turn. */
  syncAdmission: AdmissionSettings;
  adminToken?: string;
  serverKey: { seedHex?: string; file?: string };
  logLevel: z.infer<typeof envSchema>['WAYPOST_LOG_LEVEL'];
  maxClockSkewMs: number;
  shutdownTimeoutMs: number;
  /** Attachments on local disk: WAYPOST_ATTACHMENTS_DIR, else `attachments` in the data directory. */
  attachmentsDir?: string;
  /** The desktop update feed's files: WAYPOST_UPDATES_DIR, else `updates` in the data directory; none: no feed. */
  updatesDir?: string;
  /** Console session cookies Secure (and `__Host-` named) even on requests that came over plain HTTP. */
  consoleSecureCookies: boolean;
  consoleDir: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Record<string, string | undefined>): ServiceConfig {
  // An empty variable means "unset" (common in compose files and shells).
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.WAYPOST_SERVER_KEY && e.WAYPOST_SERVER_KEY_FILE) {
    problems.push('WAYPOST_SERVER_KEY and WAYPOST_SERVER_KEY_FILE: set one, not both');
  }
  if (e.DATABASE_URL && e.WAYPOST_DATA_DIR) {
    problems.push('WAYPOST_DATA_DIR is for the embedded database; it cannot be combined with DATABASE_URL');
  }
  if (e.DATABASE_URL && !e.WAYPOST_SERVER_KEY && !e.WAYPOST_SERVER_KEY_FILE) {
    problems.push('WAYPOST_SERVER_KEY or WAYPOST_SERVER_KEY_FILE is required with DATABASE_URL (receipts must stay verifiable across restarts)');
  }
  const timeouts = databaseTimeouts({
    connectMs: e.WAYPOST_DB_CONNECT_TIMEOUT_MS,
    statementMs: e.WAYPOST_DB_STATEMENT_TIMEOUT_MS,
    idleInTransactionMs: e.WAYPOST_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    queryMs: e.WAYPOST_DB_QUERY_TIMEOUT_MS,
  });
  if (timeouts.queryMs <= timeouts.statementMs) {
    problems.push('WAYPOST_DB_QUERY_TIMEOUT_MS must be longer than WAYPOST_DB_STATEMENT_TIMEOUT_MS (the database cancels a slow statement itself first)');
  }
  const admission = defaultAdmission(e.WAYPOST_DB_POOL_SIZE, e.WAYPOST_SYNC_MAX_IN_FLIGHT);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    host: e.WAYPOST_HOST,
    port: e.WAYPOST_PORT,
    database: {
      url: e.DATABASE_URL,
      dataDir: e.WAYPOST_DATA_DIR,
      schema: e.WAYPOST_DB_SCHEMA,
      poolSize: e.WAYPOST_DB_POOL_SIZE,
      timeouts,
    },
    readyTimeoutMs: e.WAYPOST_READY_TIMEOUT_MS,
    syncAdmission: {
      maxInFlight: admission.maxInFlight,
      maxQueued: e.WAYPOST_SYNC_MAX_QUEUED ?? admission.maxQueued,
      maxWaitMs: e.WAYPOST_SYNC_QUEUE_WAIT_MS ?? admission.maxWaitMs,
    },
    adminToken: e.WAYPOST_ADMIN_TOKEN,
    serverKey: { seedHex: e.WAYPOST_SERVER_KEY, file: e.WAYPOST_SERVER_KEY_FILE },
    logLevel: e.WAYPOST_LOG_LEVEL,
    maxClockSkewMs: e.WAYPOST_MAX_CLOCK_SKEW_MS,
    shutdownTimeoutMs: e.WAYPOST_SHUTDOWN_TIMEOUT_MS,
    attachmentsDir: e.WAYPOST_ATTACHMENTS_DIR ?? (e.WAYPOST_DATA_DIR ? join(e.WAYPOST_DATA_DIR, 'attachments') : undefined),
    updatesDir: e.WAYPOST_UPDATES_DIR ?? (e.WAYPOST_DATA_DIR ? join(e.WAYPOST_DATA_DIR, 'updates') : undefined),
    consoleSecureCookies: e.WAYPOST_CONSOLE_SECURE_COOKIES === 'true',
    consoleDir: resolve(e.WAYPOST_CONSOLE_DIR),
  };
}
