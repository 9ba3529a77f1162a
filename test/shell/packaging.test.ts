import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { DebugLogger } from 'builder-util';
import { describe, expect, it } from 'vitest';

/**
 * electron-builder.yml, read and checked against electron-builder's own schema as `npm run dist`
 * would, without downloading Electron: the fuses that close Node-style entry points into the
 * packaged app, and the packaging of the core process's bundle.
 */
async function loadConfig() {
  return getConfig(process.cwd(), null, null);
}

describe('the packaging configuration', () => {
  it('passes electron-builder\'s validation (and a misspelt fuse would not)', async () => {
    const config = await loadConfig();
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    const misspelt = { ...config, electronFuses: { ...config.electronFuses, runAsNodee: false } };
    await expect(validateConfiguration(misspelt as typeof config, new DebugLogger(false))).rejects.toThrow(/configuration\.electronFuses/);
  });

  it('flips the fuses: no run-as-node, no NODE_OPTIONS or --inspect, encrypted cookies, only an integrity-checked asar', async () => {
    const config = await loadConfig();
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
    // The fuses check an asar: the app must be packed into one (the default, unless switched off).
    expect(config.asar).not.toBe(false);
  });

  it('packages the whole bundle folder, core process included', async () => {
    const config = await loadConfig();
    const files = (config.files as { filter: string[] }[]).flatMap((set) => set.filter);
    expect(files).toContain('dist/main/**');
  });
});
