import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { systemRandomness } from '../protocol/runtime.js';
import { newSecret } from '../server/auth.js';
import { ConfigError } from '../server/config.js';
import { startService } from '../server/main.js';
import { DEMO_OPERATORS } from './demo-operators.js';
import { bootstrapDemoOffice, DEMO_SITE, type DemoConsoleUser, ensureDemoConsoleUsers, issueEnrollmentToken, OfficeApi } from './demo-office.js';
import { startDevHost } from './dev-host-server.js';

/**
 * `npm start`: the whole product on embedded defaults, in one process. The office service on
 * embedded PGlite (.waypost-dev/office), a demo organisation set up through its admin API, and a
 * device (the dev host: the real UI in a browser, .waypost-dev/device) that enrolls with that office
 * on its first start and takes its operators from it.
 *
 * Environment: WAYPOST_PORT (office, default 8787), WAYPOST_DEV_PORT (app, default 5190),
 * WAYPOST_DEMO_DIR (default .waypost-dev), WAYPOST_ADMIN_TOKEN (else one is made and kept in the
 * office's data), WAYPOST_LOG_LEVEL (office log, default warn), WAYPOST_RENDERER_DIR, WAYPOST_CONSOLE_DIR
 * (the built office console, default dist/console: `npm start` builds it first).
 */
const env = process.env;
const dataDir = resolve(env.WAYPOST_DEMO_DIR ?? '.waypost-dev');
const officeDir = join(dataDir, 'office');
const deviceDir = join(dataDir, 'device');
const adminToken = env.WAYPOST_ADMIN_TOKEN || adminTokenFrom(join(officeDir, 'admin-token'));

let office: Awaited<ReturnType<typeof startService>>;
try {
  office = await startService({
    // The embedded database, whatever DATABASE_URL this shell has (`npm run start:server` honours it).
    ...env,
    DATABASE_URL: undefined,
    WAYPOST_DATA_DIR: officeDir,
    WAYPOST_HOST: '127.0.0.1',
    WAYPOST_ADMIN_TOKEN: adminToken,
    WAYPOST_LOG_LEVEL: env.WAYPOST_LOG_LEVEL ?? 'warn',
  });
} catch (error) {
  process.stderr.write(`waypost: the office did not start: ${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}

const officeApi = new OfficeApi(office.url, adminToken);
let device: Awaited<ReturnType<typeof startDevHost>>;
let consoleUsers: DemoConsoleUser[];
try {
  await bootstrapDemoOffice(officeApi);
  consoleUsers = await ensureDemoConsoleUsers(officeApi, join(officeDir, 'demo-console-users.json'), systemRandomness);
  device = await startDevHost({
    port: Number(env.WAYPOST_DEV_PORT ?? 5190),
    dataDir: deviceDir,
    rendererDir: resolve(env.WAYPOST_RENDERER_DIR ?? 'dist/renderer'),
    office: { url: office.url, enrollmentToken: () => issueEnrollmentToken(officeApi, DEMO_SITE.id, 'kiosk'), label: 'Demo kiosk' },
  });
} catch (error) {
  process.stderr.write(`waypost: ${error instanceof Error ? error.message : String(error)}\n`);
  await office.stop();
  process.exit(1);
}

const status = device.sync?.status();
const trouble =
  status?.lastError && !status.lastError.transient
    ? `\n  ! The device could not sync: ${status.lastError.message}.\n    If ${officeDir} was deleted, the device is enrolled with an office that no longer exists: delete ${dataDir} to start over.\n`
    : '';
console.log(`
Waypost is running: an office and one device, data in ${dataDir}
  App (the device UI):  ${device.url}
  Try it offline:       ${device.url}dev   (cut and restore the device's link to the office)
  Office console:       ${office.url}/console/   (sign in with the admin token: "Sign in with an office API token")
  Office API:           ${office.url}   (GET /health)
  Admin token:          ${adminToken}
  Device:               ${device.core.deviceId} (a kiosk at ${DEMO_SITE.name})

  Sign in with (operators the device took from the office):
${DEMO_OPERATORS.map((operator) => `    ${operator.displayName.padEnd(15)} ${operator.role.padEnd(11)} badge ${operator.badgeId}   PIN ${operator.pin}`).join('\n')}

  Console users, one per role (sign in at ${office.url}/console/ with the email and password):
${consoleUsers.map((user) => `    ${user.role.padEnd(12)} ${user.email.padEnd(30)} password ${user.password}`).join('\n')}
${trouble}
  Record a gate event, press "Sync now", then see what the office holds from this device:
    curl -H "authorization: Bearer ${adminToken}" "${office.url}/v1/audit/export?deviceId=${device.core.deviceId}"

Press Ctrl+C to stop both (the open session is closed with a signed entry).
`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping: the device first, then the office');
    void (async () => {
      let code = 0;
      for (const stop of [() => device.close(), () => office.stop()]) {
        try {
          await stop();
        } catch (error) {
          console.error('waypost: stopping failed:', error);
          code = 1;
        }
      }
      process.exit(code);
    })();
  });
}

/** The demo administrator's token: made once, kept next to the office's data (a development setup only). */
function adminTokenFrom(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(resolve(file, '..'), { recursive: true });
  const token = newSecret(systemRandomness, 'office');
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return token;
}
