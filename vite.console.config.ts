import { builtinModules } from 'node:module';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const NODE_BUILTINS = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);

/** The console runs in a browser: a module that reaches Node (through protocol/, say) fails the build instead of the page. */
function noNodeModules(): Plugin {
  return {
    name: 'waypost-console-no-node',
    enforce: 'pre',
    resolveId(source, importer) {
      if (NODE_BUILTINS.has(source)) throw new Error(`the office console cannot load ${source} (imported by ${importer ?? 'an entry'}): import only browser-safe protocol modules`);
      return null;
    },
  };
}

/** The office console: built to dist/console, served by the office at /console/. */
export default defineConfig({
  root: 'console',
  base: '/console/',
  plugins: [noNodeModules(), react()],
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: true,
    // No inline script: the office's CSP has no 'unsafe-inline'.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});
