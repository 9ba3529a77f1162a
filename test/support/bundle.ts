import { createRequire } from 'node:module';
import { build } from 'esbuild';

/**
 * Bundles a child process's TypeScript entry into one ES module for plain `node`: starting it
 * through tsx costs ~1.2 s per start against ~0.3 s for the bundle (measured here), which is what
 * tests that kill and start a child hundreds of times spend most of their time on.
 */
export async function bundleChild(entry: string, outfile: string): Promise<void> {
  const nativeSqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    // Less to parse at each start; identifiers stay, so a failing child's stack reads.
    minifyWhitespace: true,
    minifySyntax: true,
    // Bundled CommonJS dependencies (tweetnacl) call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);" },
    // The native addon stays where npm put it; the bundle imports it by absolute path.
    plugins: [{ name: 'native-sqlite', setup: (b) => b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: nativeSqlite, external: true })) }],
  });
}
