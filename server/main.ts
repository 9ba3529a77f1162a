import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino, type Logger } from 'pino';
import { systemClock, systemRandomness } from '../protocol/runtime.js';
import { type Signer, createSigner } from '../protocol/crypto/ed25519.js';
import { bytesToHex, hexToBytes } from '../protocol/crypto/hash.js';
import { buildServer, closeServer } from './app.js';
import { hashSecret, newSecret } from './auth.js';
import { ConfigError, type ServiceConfig, loadConfig } from './config.js';
import { type OfficeDatabase, openDatabase } from './db/connect.js';
import { isDatabaseUnavailable } from './db/errors.js';
import { hasActiveAdmin, upsertBootstrapAdmin } from './db/queries/identity.js';
import { SyncAdmission } from './sync/admission.js';

/**
 * `npm start` for the office service: configuration from the environment, the database (embedded
 * PGlite unless DATABASE_URL is set) migrated, an administrator bootstrapped, then HTTP on
 * 127.0.0.1 unless told otherwise. SIGINT/SIGTERM drain requests and close the database.
 */
export async function startService(env: Record<string, string | undefined>): Promise<{ stop(): Promise<void>; url: string }> {
  const config = loadConfig(env);
  const logger = pino({ level: config.logLevel, base: { service: 'waypost-office' } });
  if (!config.database.url && !config.database.dataDir) {
    logger.warn('embedded database in memory: nothing is kept after exit (set WAYPOST_DATA_DIR or DATABASE_URL)');
  }
  const { dataDir } = config.database;
  // Said before the first wait on the database, so a start that stalls there shows where.
  logger.info({ database: config.database.url ? 'postgres' : 'pglite', timeouts: config.database.timeouts }, 'opening the database');
  const database = await openDatabase({ ...config.database, dataDir: dataDir ? join(dataDir, 'pglite') : undefined });
  try {
    await database.migrate();
    await bootstrapAdmin(database, config, logger);
    const serverSigner = loadServerSigner(config, logger);
    const app = await buildServer({
      database,
      clock: systemClock,
      random: systemRandomness,
      serverSigner,
      logger,
      config: {
        maxClockSkewMs: config.maxClockSkewMs,
        attachmentsDir: config.attachmentsDir,
        readyTimeoutMs: config.readyTimeoutMs,
        console: { secureCookies: config.consoleSecureCookies },
        consoleDir: config.consoleDir,
        updatesDir: config.updatesDir,
      },
      syncAdmission: new SyncAdmission(config.syncAdmission),
    });
    const url = await app.listen({ host: config.host, port: config.port });
    logger.info({ url, database: database.backend, schema: database.schema, serverPublicKey: bytesToHex(serverSigner.publicKey) }, 'office service ready');
    let stopping: Promise<void> | null = null;
    const stop = () => {
      stopping ??= (async () => {
        logger.info('shutting down: draining requests');
        const timer = setTimeout(() => {
          logger.error('shutdown timed out; exiting');
          process.exit(1);
        }, config.shutdownTimeoutMs);
        timer.unref();
        try {
          await closeServer(app, Math.floor(config.shutdownTimeoutMs / 2));
        } finally {
          await database.close();
          serverSigner.destroy();
          clearTimeout(timer);
          logger.info('stopped');
        }
      })();
      return stopping;
    };
    return { stop, url };
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
}

/**
 * WAYPOST_ADMIN_TOKEN names the bootstrap administrator's token. Without it, a first start (no
 * administrator yet) creates one and prints its token once.
 */
async function bootstrapAdmin(database: OfficeDatabase, config: ServiceConfig, logger: Logger): Promise<void> {
  const now = Date.now();
  if (config.adminToken) {
    await upsertBootstrapAdmin(database.db, hashSecret(config.adminToken), now);
    return;
  }
  if (await hasActiveAdmin(database.db)) return;
  const token = newSecret(systemRandomness, 'office');
  await upsertBootstrapAdmin(database.db, hashSecret(token), now);
  logger.warn({ adminToken: token }, 'created the bootstrap administrator; keep this token, it is shown only once');
}

/** The receipt-signing key: from the environment, from its file (created on first start), or for this run only. */
function loadServerSigner(config: ServiceConfig, logger: Logger): Signer {
  if (config.serverKey.seedHex) return createSigner(hexToBytes(config.serverKey.seedHex), 'node');
  const file = config.serverKey.file ?? (config.database.dataDir ? join(config.database.dataDir, 'server-signing-key.hex') : undefined);
  if (!file) {
    logger.warn('receipt signing key is temporary (set WAYPOST_SERVER_KEY or WAYPOST_SERVER_KEY_FILE)');
    return createSigner(systemRandomness.bytes(32), 'node');
  }
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${bytesToHex(systemRandomness.bytes(32))}\n`, { mode: 0o600, flag: 'wx' });
    logger.info({ file }, 'created the receipt signing key');
  }
  const seedHex = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(seedHex)) throw new ConfigError([`${file}: must hold 32 bytes of lowercase hex`]);
  return createSigner(hexToBytes(seedHex), 'node');
}

async function main(): Promise<void> {
  let service: Awaited<ReturnType<typeof startService>>;
  try {
    service = await startService(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`waypost office service: ${error.message}\n`);
      process.exit(2);
    }
    // The database's absence is said in one line; anything else is a bug, shown with its stack.
    const detail = isDatabaseUnavailable(error) ? (error as Error).message : ((error as Error).stack ?? String(error));
    process.stderr.write(`waypost office service failed to start: ${detail}\n`);
    process.exit(1);
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      service.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main();
}
