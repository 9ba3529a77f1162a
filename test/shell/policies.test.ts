import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_INDEX_URL, APP_ORIGIN } from '../../main/shell/app-protocol.js';
import { CONTENT_SECURITY_POLICY, APP_RESPONSE_HEADERS } from '../../main/shell/csp.js';
import { senderMayCall } from '../../main/shell/ipc-sender.js';
import { decideNavigation, decidePermission, decideWindowOpen } from '../../main/shell/navigation.js';
import { windowMayClose, windowOptions } from '../../main/shell/window-options.js';

/**
 * The shell's security decisions, each a pure function main.ts wires to Electron: what the page
 * may navigate to, open, ask permission for and who may call the core, against hostile inputs.
 */
const HOSTILE_URLS = [
  'https://evil.example/',
  'http://127.0.0.1:8080/ipc',
  'http://localhost/',
  'file:///C:/Windows/System32/calc.exe',
  'file:///etc/passwd',
  'file://server/share/payload.html',
  'javascript:alert(document.domain)',
  'JaVaScRiPt:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  'blob:app://waypost/5c0a4b1e-0000-4000-8000-000000000000',
  'about:blank',
  'about:srcdoc',
  'chrome://settings',
  'chrome://gpu',
  'devtools://devtools/bundled/inspector.html',
  'view-source:app://waypost/index.html',
  'ms-msdt:/id PCWDiagnostic /skip force',
  'search-ms:query=calc&crumb=location:\\\\evil\\share',
  'mailto:someone@example.com',
  'tel:+15555550100',
  'ftp://evil.example/file',
  'ws://evil.example/socket',
  'smb://evil.example/share',
  'app://evil/index.html',
  'app://waypost.evil.example/index.html',
  'app://evil.example/app://waypost/index.html',
  'app://waypost@evil.example/index.html',
  'app://user:secret@waypost/index.html',
  'app://WAYPOST/index.html',
  'app:///index.html',
  'app:waypost/index.html',
  'apps://waypost/index.html',
  '//evil.example/',
  '/index.html',
  'not a url at all',
  '',
];

describe('navigation', () => {
  it('stays on the app: only its own start page', () => {
    expect(decideNavigation(APP_INDEX_URL)).toBe('allow');
    expect(decideNavigation(`${APP_ORIGIN}/`)).toBe('allow');
    expect(decideNavigation(`${APP_INDEX_URL}#top`)).toBe('allow');
  });

  it('goes nowhere else in the app (a page of its assets is not a page to run)', () => {
    expect(decideNavigation(`${APP_ORIGIN}/assets/index.js`)).toBe('deny');
    expect(decideNavigation(`${APP_ORIGIN}/icon.svg`)).toBe('deny');
  });

  it(`refuses ${HOSTILE_URLS.length} hostile URLs`, () => {
    expect(HOSTILE_URLS.length).toBeGreaterThanOrEqual(30);
    expect(HOSTILE_URLS.filter((url) => decideNavigation(url) !== 'deny')).toEqual([]);
  });
});

describe('new windows and openExternal', () => {
  it('opens no window, for the app itself as for anything else', () => {
    for (const url of [APP_INDEX_URL, ...HOSTILE_URLS]) expect(decideWindowOpen(url)).toEqual({ action: 'deny' });
  });

  it('never calls shell.openExternal: no shell or preload source calls it or its kin', () => {
    const sources = ['main/shell', 'preload'].flatMap((dir) => readdirSync(dir).filter((name) => name.endsWith('.ts')).map((name) => join(dir, name)));
    expect(sources).toContain('main/shell/main.ts');
    for (const file of sources) expect(readFileSync(file, 'utf8'), file).not.toMatch(/\b(openExternal|openPath|showItemInFolder)\s*\(/);
  });
});

describe('permissions', () => {
  const camera = { permission: 'media', requestingUrl: APP_INDEX_URL, isMainFrame: true, mediaTypes: ['video'] };

  it('grants the camera to the app page, nothing with it', () => {
    expect(decidePermission(camera)).toBe('allow');
    expect(decidePermission({ ...camera, mediaTypes: ['video', 'audio'] })).toBe('deny');
    expect(decidePermission({ ...camera, mediaTypes: ['audio'] })).toBe('deny');
    expect(decidePermission({ ...camera, mediaTypes: [] })).toBe('deny');
    expect(decidePermission({ ...camera, mediaTypes: undefined })).toBe('deny');
  });

  it('refuses the camera to a subframe and to any other page', () => {
    expect(decidePermission({ ...camera, isMainFrame: false })).toBe('deny');
    expect(HOSTILE_URLS.filter((requestingUrl) => decidePermission({ ...camera, requestingUrl }) !== 'deny')).toEqual([]);
  });

  it.each([
    'notifications',
    'geolocation',
    'clipboard-read',
    'clipboard-sanitized-write',
    'display-capture',
    'fullscreen',
    'hid',
    'serial',
    'usb',
    'midi',
    'midiSysex',
    'openExternal',
    'pointerLock',
    'keyboardLock',
    'idle-detection',
    'storage-access',
    'top-level-storage-access',
    'window-management',
    'fileSystem',
    'speaker-selection',
    'unknown',
  ])('refuses %s, even to the app page', (permission) => {
    expect(decidePermission({ ...camera, permission })).toBe('deny');
  });
});

describe('who may call the core', () => {
  const app = { frameUrl: APP_INDEX_URL, isTopFrame: true, isAppWindow: true };

  it('the app page in the top frame of the app window', () => {
    expect(senderMayCall(app)).toBe(true);
    expect(senderMayCall({ ...app, frameUrl: `${APP_ORIGIN}/` })).toBe(true);
  });

  it.each([
    ['a subframe of the app page', { ...app, isTopFrame: false }],
    ['a frame that is gone', { ...app, frameUrl: null }],
    ['another window (devtools, a stray window)', { ...app, isAppWindow: false }],
    ['devtools', { ...app, frameUrl: 'devtools://devtools/bundled/devtools_app.html' }],
    ['about:blank', { ...app, frameUrl: 'about:blank' }],
    ['file://', { ...app, frameUrl: 'file:///C:/Program%20Files/Waypost/resources/app.asar/dist/renderer/index.html' }],
    ['another origin', { ...app, frameUrl: 'https://evil.example/' }],
    ['another app:// host', { ...app, frameUrl: 'app://evil/index.html' }],
    ['credentials in the URL', { ...app, frameUrl: 'app://waypost@evil/index.html' }],
    ['a data: page', { ...app, frameUrl: 'data:text/html,hi' }],
    ['the old dev host', { ...app, frameUrl: 'http://127.0.0.1:5173/' }],
  ])('not %s', (_name, sender) => {
    expect(senderMayCall(sender)).toBe(false);
  });

  it('none of the hostile URLs, even in the top frame of the app window', () => {
    expect(HOSTILE_URLS.filter((frameUrl) => senderMayCall({ ...app, frameUrl }))).toEqual([]);
  });
});

describe('the window', () => {
  it('isolates, sandboxes and keeps Node out of the page', () => {
    const { webPreferences } = windowOptions({ preload: '/app/dist/preload/index.cjs', devTools: false, kind: 'cab' });
    expect(webPreferences).toMatchObject({
      preload: '/app/dist/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
    });
  });

  it('is an ordinary window on a cab laptop and the whole screen, with no frame to close or move, on a gate kiosk', () => {
    expect(windowOptions({ preload: 'p', devTools: false, kind: 'cab' })).toMatchObject({ kiosk: false, fullscreen: false, frame: true, resizable: true, movable: true, minimizable: true });
    const kiosk = windowOptions({ preload: 'p', devTools: false, kind: 'kiosk' });
    expect(kiosk).toMatchObject({ kiosk: true, fullscreen: true, frame: false, resizable: false, movable: false, minimizable: false, autoHideMenuBar: true });
    // The same locked-down page either way.
    expect(kiosk.webPreferences).toEqual(windowOptions({ preload: 'p', devTools: false, kind: 'cab' }).webPreferences);
  });

  it('closes a gate kiosk only once a supervisor closed the app or the machine shuts down; a cab laptop whenever asked', () => {
    const asked = { bySupervisor: false, machineShuttingDown: false };
    // What is tried: Alt+F4 or the taskbar on a kiosk, with nobody or a clerk signed in.
    expect(windowMayClose('kiosk', asked)).toBe(false);
    expect(windowMayClose('kiosk', { ...asked, bySupervisor: true })).toBe(true);
    expect(windowMayClose('kiosk', { ...asked, machineShuttingDown: true })).toBe(true);
    expect(windowMayClose('cab', asked)).toBe(true);
  });
});

/** The directives of a policy by name. */
function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...sources]) => [name!.toLowerCase(), sources]),
  );
}

describe('the content security policy', () => {
  it('runs and styles only the app\'s own files', () => {
    const policy = directives(CONTENT_SECURITY_POLICY);
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.get('script-src')).toEqual(["'self'"]);
    expect(policy.get('style-src')).toEqual(["'self'"]);
    expect(policy.get('object-src')).toEqual(["'none'"]);
    expect(policy.get('base-uri')).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-|\*|https?:|wasm/);
    expect(APP_RESPONSE_HEADERS['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
  });

  it('is the one renderer/index.html declares, and that page has no inline script or style', () => {
    const html = readFileSync('renderer/index.html', 'utf8');
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html);
    expect(meta?.[1]).toBe(CONTENT_SECURITY_POLICY);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    for (const script of html.match(/<script[^>]*>[\s\S]*?<\/script>/gi) ?? []) expect(script).toMatch(/^<script[^>]*\ssrc="[^"]+"[^>]*><\/script>$/);
  });
});
