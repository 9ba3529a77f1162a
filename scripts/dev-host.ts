import { resolve } from 'node:path';
import { build as viteBuild } from 'vite';
import { DEMO_OPERATORS } from './demo-operators.js';
import { type DevHostOffice, startDevHost } from './dev-host-server.js';

/**
 * `npm run dev` (rebuilds the renderer on change): the real UI in a browser against a real device
 * core whose data lives in .waypost-dev/standalone. `npm start` runs a device together with an office (scripts/start.ts).
 * Environment: WAYPOST_DEV_PORT (default 5190, 0 = any free port), WAYPOST_DEV_DATA, WAYPOST_RENDERER_DIR;
 * WAYPOST_OFFICE_URL to sync with an office, and WAYPOST_ENROLLMENT_TOKEN to enroll on the first start.
 */
const port = Number(process.env.WAYPOST_DEV_PORT ?? 5190);
const dataDir = resolve(process.env.WAYPOST_DEV_DATA ?? '.waypost-dev/standalone');
const rendererDir = resolve(process.env.WAYPOST_RENDERER_DIR ?? 'dist/renderer');
const officeUrl = process.env.WAYPOST_OFFICE_URL;
const enrollmentToken = process.env.WAYPOST_ENROLLMENT_TOKEN;

if (process.argv.includes('--watch')) {
  const configFile = resolve('vite.config.ts');
  await viteBuild({ configFile, logLevel: 'warn' });
  // Rebuilds keep the old files, so a page loaded mid-build still finds its assets.
  await viteBuild({ configFile, build: { watch: {}, emptyOutDir: false }, logLevel: 'warn' });
}

const office: DevHostOffice | undefined = officeUrl
  ? {
      url: officeUrl,
      enrollmentToken: async () => {
        if (!enrollmentToken) throw new Error('this device is not enrolled yet: set WAYPOST_ENROLLMENT_TOKEN to a token from the office');
        return enrollmentToken;
      },
    }
  : undefined;

const host = await startDevHost({ port, dataDir, rendererDir, office });
const operators = office
  ? `  office:      ${office.url} (operators come from the office)`
  : `  sign in with:
${DEMO_OPERATORS.map((operator) => `    ${operator.displayName.padEnd(16)} ${operator.role.padEnd(11)} badge ${operator.badgeId}  PIN ${operator.pin}`).join('\n')}`;
console.log(`
Waypost dev host: ${host.url}
  device data: ${dataDir} (keys in a plain file: development only)
  device id:   ${host.core.deviceId}
${operators}
Press Ctrl+C to stop (the open session is closed with a signed entry).
`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void host.close().then(() => process.exit(0));
  });
}
