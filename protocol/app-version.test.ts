import { describe, expect, it } from 'vitest';
import { compareAppVersions, isAppVersion, meetsRequiredVersion } from './app-version.js';

describe('app versions', () => {
  it('orders builds by their numbers, a pre-release before its release, and tags as semver does', () => {
    const ascending = ['0.4.2', '0.4.10', '0.5.0-alpha', '0.5.0-alpha.1', '0.5.0-alpha.beta', '0.5.0-beta.2', '0.5.0-beta.11', '0.5.0-rc.1', '0.5.0', '1', '1.0.1', '10.0.0'];
    for (let i = 0; i + 1 < ascending.length; i++) {
      expect(compareAppVersions(ascending[i]!, ascending[i + 1]!), `${ascending[i]} < ${ascending[i + 1]}`).toBeLessThan(0);
      expect(compareAppVersions(ascending[i + 1]!, ascending[i]!)).toBeGreaterThan(0);
    }
    expect(compareAppVersions('1.0', '1.0.0')).toBe(0);
  });

  it('refuses what is not a build name: no answer rather than a guess', () => {
    for (const text of ['', 'v1.2.3', '1.2.3.4', 'latest', '1..2', '1.2.3-', '1.2.3+build', `1.2.3-${'x'.repeat(40)}`]) {
      expect(isAppVersion(text), text).toBe(false);
      expect(compareAppVersions(text, '1.0.0')).toBeNull();
    }
  });

  it('a device meets a requirement with the same build or a later one; one that never said its build does not', () => {
    expect(meetsRequiredVersion('0.5.0', '0.5.0')).toBe(true);
    expect(meetsRequiredVersion('0.5.1', '0.5.0')).toBe(true);
    expect(meetsRequiredVersion('0.5.0-rc.1', '0.5.0')).toBe(false);
    expect(meetsRequiredVersion(null, '0.5.0')).toBe(false);
    expect(meetsRequiredVersion('a build', '0.5.0')).toBe(false);
  });
});
