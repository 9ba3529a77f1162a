import { describe, expect, it } from 'vitest';
import { readRelease, withRolloutShare } from './feed.js';

const MANIFEST = `version: 0.3.0
files:
  - url: Waypost-Setup-0.3.0.exe
    sha512: 7xq0Tw==
    size: 84127343
path: Waypost-Setup-0.3.0.exe
sha512: 7xq0Tw==
releaseDate: '2026-11-30T09:12:44.120Z'
`;

describe('the update manifest', () => {
  it('names the release, its installer and the block map electron-updater fetches beside it', () => {
    expect(readRelease(MANIFEST)).toEqual({
      version: '0.3.0',
      files: ['Waypost-Setup-0.3.0.exe', 'Waypost-Setup-0.3.0.exe.blockmap'],
      releaseDate: '2026-11-30T09:12:44.120Z',
    });
  });

  it('is no release without a version or an installer', () => {
    expect(readRelease('files:\n  - url: a.exe\n')).toBeNull();
    expect(readRelease('version: 0.3.0\n')).toBeNull();
    expect(readRelease('')).toBeNull();
  });

  it('carries the rollout share below 100 only, replacing one the build wrote', () => {
    expect(withRolloutShare(MANIFEST, 25)).toBe(`${MANIFEST}stagingPercentage: 25\n`);
    expect(withRolloutShare(`${MANIFEST}stagingPercentage: 10\n`, 40)).toBe(`${MANIFEST}stagingPercentage: 40\n`);
    expect(withRolloutShare(`${MANIFEST}stagingPercentage: 10\n`, 100)).toBe(MANIFEST);
    expect(withRolloutShare(MANIFEST, 0)).toContain('stagingPercentage: 0\n');
  });
});
