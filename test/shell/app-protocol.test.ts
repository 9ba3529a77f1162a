import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { APP_INDEX_URL, APP_ORIGIN, resolveAppRequest } from '../../main/shell/app-protocol.js';
import { tempDir } from '../support/device.js';

/**
 * The app:// protocol handler's decision, on a real folder shaped like the built renderer, with a
 * secret next to it and symlinks out of it: the app's files are served, and no hostile URL reads
 * anything but them.
 */
let root: string;
let secret: string;

beforeAll(() => {
  const dir = tempDir('waypost-app-protocol-');
  root = join(dir, 'renderer');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html>');
  writeFileSync(join(root, 'icon.svg'), '<svg/>');
  writeFileSync(join(root, 'assets', 'index-Bx9f_2.js'), 'export {}');
  writeFileSync(join(root, 'assets', 'index-D41d8.css'), 'body{}');
  secret = join(dir, 'device-keys.sealed');
  writeFileSync(secret, 'sealed');
  mkdirSync(join(dir, 'renderer-evil'));
  writeFileSync(join(dir, 'renderer-evil', 'index.html'), 'evil');
  // Symlinks inside the served folder that lead out of it (a tampered install, or a build gone wrong).
  symlinkSync(secret, join(root, 'assets', 'linked.js'));
  symlinkSync(dir, join(root, 'up'));
});

describe('the app protocol serves the app', () => {
  it.each([
    [APP_ORIGIN, 'index.html', 'text/html; charset=utf-8'],
    [`${APP_ORIGIN}/`, 'index.html', 'text/html; charset=utf-8'],
    [APP_INDEX_URL, 'index.html', 'text/html; charset=utf-8'],
    [`${APP_ORIGIN}/icon.svg`, 'icon.svg', 'image/svg+xml'],
    [`${APP_ORIGIN}/assets/index-Bx9f_2.js`, 'assets/index-Bx9f_2.js', 'text/javascript; charset=utf-8'],
    [`${APP_ORIGIN}/assets/index-D41d8.css`, 'assets/index-D41d8.css', 'text/css; charset=utf-8'],
    // The query and fragment never reach the path.
    [`${APP_INDEX_URL}?file=../../device-keys.sealed`, 'index.html', 'text/html; charset=utf-8'],
    [`${APP_INDEX_URL}#/../../device-keys.sealed`, 'index.html', 'text/html; charset=utf-8'],
    // Dot segments are resolved by the URL parser within the origin: they cannot rise above the root.
    [`${APP_ORIGIN}/../../index.html`, 'index.html', 'text/html; charset=utf-8'],
    [`${APP_ORIGIN}/assets/../index.html`, 'index.html', 'text/html; charset=utf-8'],
  ])('%s → %s', (url, file, contentType) => {
    const decision = resolveAppRequest(url, root);
    expect(decision).toEqual({ ok: true, file: expect.any(String), contentType });
    expect(decision.ok && decision.file.endsWith(`/renderer/${file}`)).toBe(true);
  });

  it('answers HEAD as GET and refuses every other method', () => {
    expect(resolveAppRequest(APP_INDEX_URL, root, 'HEAD').ok).toBe(true);
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'get']) {
      expect(resolveAppRequest(APP_INDEX_URL, root, method)).toMatchObject({ ok: false, status: 405 });
    }
  });
});

const HOSTILE = [
  // Traversal, plain and encoded once.
  '/%2e%2e/device-keys.sealed',
  '/%2E%2E/device-keys.sealed',
  '/.%2e/device-keys.sealed',
  '/%2e./device-keys.sealed',
  '/assets/%2e%2e/%2e%2e/device-keys.sealed',
  '/..%2fdevice-keys.sealed',
  '/..%2Fdevice-keys.sealed',
  '/%2e%2e%2fdevice-keys.sealed',
  '/assets%2f..%2f..%2fdevice-keys.sealed',
  '/%2f..%2f..%2fetc%2fpasswd',
  // Encoded twice (a second decode somewhere would make them traversals).
  '/%252e%252e/device-keys.sealed',
  '/%252e%252e%252fdevice-keys.sealed',
  '/..%252fdevice-keys.sealed',
  '/%25252e%25252e/device-keys.sealed',
  // Backslashes, raw and encoded (Windows separators).
  '/..\\device-keys.sealed',
  '/assets\\..\\..\\device-keys.sealed',
  '/..%5cdevice-keys.sealed',
  '/..%5Cdevice-keys.sealed',
  '/%5c%5c..%5cdevice-keys.sealed',
  '/%255c..%255cdevice-keys.sealed',
  // Absolute paths smuggled in a segment.
  '/%2fetc%2fpasswd',
  '//etc/passwd',
  '/%2F%2Fetc%2Fpasswd',
  // NUL and control characters.
  '/index.html%00.js',
  '/index.html%00',
  '/%00/../device-keys.sealed',
  '/assets/index-Bx9f_2.js%0a',
  '/index.html%0d%0a',
  '/%09index.html',
  // Overlong and broken UTF-8 for '.', '/' and '\'.
  '/%c0%ae%c0%ae/device-keys.sealed',
  '/%c0%af..%c0%afdevice-keys.sealed',
  '/%e0%80%ae%e0%80%ae/device-keys.sealed',
  '/%c1%9c..%c1%9cdevice-keys.sealed',
  '/%c0%2e%c0%2e/device-keys.sealed',
  '/%ff%fe/index.html',
  '/%e2%80',
  // Unicode look-alikes of dots and slashes.
  '/%e2%80%a4%e2%80%a4/device-keys.sealed',
  '/%ef%bc%8e%ef%bc%8e%ef%bc%8fdevice-keys.sealed',
  '/%e2%88%95etc%e2%88%95passwd',
  // Drive letters and UNC paths.
  '/C:/Windows/win.ini',
  '/c:%5cWindows%5cwin.ini',
  '/C%3a%5cWindows%5cwin.ini',
  '/%5c%5cserver%5cshare%5cfile',
  '/%5c%5c%3f%5cC:%5cWindows%5cwin.ini',
  '/%5c%5c.%5cpipe%5cwaypost',
  // Windows name tricks: devices, streams, trailing dots and spaces, short names.
  '/NUL',
  '/nul.js',
  '/assets/CON.css',
  '/COM1.txt',
  '/LPT1',
  '/index.html::$DATA',
  '/index.html:stream',
  '/index.html.',
  '/index.html%20',
  '/index.html%20.',
  '/INDEX~1.HTM',
  // Dotfiles and empty segments.
  '/.env',
  '/assets/.htaccess',
  '/assets//index-Bx9f_2.js',
  '/assets/',
  '/assets/.',
  // Query and fragment markers hidden by encoding.
  '/index.html%3f..%2f..%2fdevice-keys.sealed',
  '/index.html%23..%2fdevice-keys.sealed',
  '/%3f/../device-keys.sealed',
  // Names that exist but are not files of the app, or are links out of it.
  '/assets',
  '/up/device-keys.sealed',
  '/up/renderer-evil/index.html',
  '/assets/linked.js',
  '/up',
  // Files that do not exist.
  '/device-keys.sealed',
  '/assets/missing.js',
  // Very long paths and too many segments.
  `/${'a'.repeat(3_000)}`,
  `/${'a/'.repeat(200)}index.html`,
  `/${'%2e%2e/'.repeat(300)}device-keys.sealed`,
];

describe('the app protocol refuses hostile paths', () => {
  it('has at least 50 of them', () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(50);
  });

  it.each(HOSTILE)('%s', (path) => {
    const decision = resolveAppRequest(`${APP_ORIGIN}${path}`, root);
    expect(decision.ok).toBe(false);
    // Even a refusal never names a file: it carries a status and a short reason only.
    expect(decision).toEqual({ ok: false, status: expect.any(Number), reason: expect.any(String) });
    expect(JSON.stringify(decision)).not.toContain(secret);
  });
});

const FOREIGN = [
  'file:///etc/passwd',
  `file://${'/'}index.html`,
  'http://waypost/index.html',
  'https://waypost/index.html',
  'app://evil/index.html',
  'app://waypost.evil/index.html',
  'app://evil.waypost/index.html',
  'app://waypost@evil/index.html',
  'app://user:pass@waypost/index.html',
  'app://user@waypost/index.html',
  'app://WAYPOST/index.html',
  'app://waypost:8080/index.html',
  'app:///index.html',
  'app:index.html',
  'app:/index.html',
  'apps://waypost/index.html',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'not a url',
  '',
];

describe('the app protocol answers only its own origin', () => {
  it.each(FOREIGN)('%s', (url) => {
    expect(resolveAppRequest(url, root).ok).toBe(false);
  });
});

describe('the app protocol on an injected file system', () => {
  it('refuses a file whose real path leaves the folder even when the folder itself is reached through a link', () => {
    // The root is a link (a packaged app's resources dir can be); its files' real paths must stay under its real path.
    const files = {
      realpath: (path: string) => path.replace('/linked-root', '/real-root').replace('/real-root/escape.js', '/elsewhere/escape.js'),
      isFile: () => true,
    };
    expect(resolveAppRequest(`${APP_ORIGIN}/index.html`, '/linked-root', 'GET', files)).toEqual({
      ok: true,
      file: '/real-root/index.html',
      contentType: 'text/html; charset=utf-8',
    });
    expect(resolveAppRequest(`${APP_ORIGIN}/escape.js`, '/linked-root', 'GET', files)).toMatchObject({ ok: false, status: 403 });
  });
});
