import { resolve } from 'node:path';
import { build as viteBuild } from 'vite';
import { DEMO_OPERATORS } from './demo-operators.js';
import { startDevHost } from './dev-host-server.js';

/**
 * `npm start` (after a renderer build) and `npm run dev` (rebuilds the renderer on change): the
 * real UI in a browser against a real device core whose data lives in .waypost-dev/.
 * Environment: WAYPOST_DEV_PORT (default 5190, 0 = any free port), WAYPOST_DEV_DATA, WAYPOST_RENDERER_DIR.
 */
const port = Number(process.env.WAYPOST_DEV_PORT ?? 5190);
const dataDir = resolve(process.env.WAYPOST_DEV_DATA ?? '.waypost-dev');
const rendererDir = resolve(process.env.WAYPOST_RENDERER_DIR ?? 'dist/renderer');

if (process.argv.includes('--watch')) {
  const configFile = resolve('vite.config.ts');
  await viteBuild({ configFile, logLevel: 'warn' });
  // Rebuilds keep the old files, so a page loaded mid-build still finds its assets.
  await viteBuild({ configFile, build: { watch: {}, emptyOutDir: false }, logLevel: 'warn' });
}

const host = await startDevHost({ port, dataDir, rendererDir });
console.log(`
Waypost dev host: ${host.url}
  device data: ${dataDir} (keys in a plain file: development only)
  device id:   ${host.core.deviceId}
  sign in with:
${DEMO_OPERATORS.map((operator) => `    ${operator.displayName.padEnd(16)} ${operator.role.padEnd(11)} badge ${operator.badgeId}  PIN ${operator.pin}`).join('\n')}
Press Ctrl+C to stop (the open session is closed with a signed entry).
`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void host.close().then(() => process.exit(0));
  });
}
