import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { build as esbuild } from 'esbuild';
import { build as viteBuild } from 'vite';

/**
 * Builds what electron-builder packages: dist/renderer (vite), dist/main/shell/main.js (the shell),
 * dist/main/shell/core-process.js (the device core, run as a utility process; ESM bundles both)
 * and dist/preload/index.cjs (sandboxed preloads must be CommonJS).
 * Native and updater modules stay outside the bundle and ship in node_modules.
 */
const ELECTRON_NODE = 'node22';
const ELECTRON_CHROME = 'chrome138';

rmSync(resolve('dist/main'), { recursive: true, force: true });
rmSync(resolve('dist/preload'), { recursive: true, force: true });

await viteBuild({ configFile: resolve('vite.config.ts'), logLevel: 'warn' });

await esbuild({
  entryPoints: ['main/shell/main.ts', 'main/shell/core-process.ts'],
  outdir: 'dist/main/shell',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: ELECTRON_NODE,
  external: ['electron', 'better-sqlite3', 'electron-updater'],
  // Bundled CommonJS dependencies still call require().
  banner: { js: "import { createRequire as waypostCreateRequire } from 'node:module'; const require = waypostCreateRequire(import.meta.url);" },
  sourcemap: true,
  logLevel: 'warning',
});

await esbuild({
  entryPoints: ['preload/index.ts'],
  outfile: 'dist/preload/index.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: [ELECTRON_NODE, ELECTRON_CHROME],
  external: ['electron'],
  logLevel: 'warning',
});

console.log('built dist/renderer, dist/main/shell/main.js, dist/main/shell/core-process.js and dist/preload/index.cjs');
