import { APP_HOST, APP_SCHEME } from './app-protocol.js';

/**
 * What the app's page may do beyond showing itself: nothing, except asking for the camera. It may
 * not navigate away, open windows (nor have the shell open a URL in the browser for it: nothing the
 * page supplies ever reaches shell.openExternal), attach webviews, or get any other permission.
 * Pure decisions on URLs, so a test can throw hostile ones at them; it does not import electron.
 */
export type Verdict = 'allow' | 'deny';

/** A URL of this app's own origin (app://waypost, no credentials, no port), whatever its path. */
export function isAppUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === '';
}

/** The page is one document: the only navigation is back to its own start page. */
export function decideNavigation(url: string): Verdict {
  if (!isAppUrl(url)) return 'deny';
  const { pathname } = new URL(url);
  return pathname === '/' || pathname === '/index.html' ? 'allow' : 'deny';
}

/**
 * Every window.open, target=_blank link and form to a new window is refused, and none is handed to
 * the OS browser: a page that could make the shell open URLs could launch any registered protocol handler.
 */
export function decideWindowOpen(_url: string): { action: 'deny' } {
  return { action: 'deny' };
}

/** A permission request or check, as Electron describes it. */
export interface PermissionAsk {
  permission: string;
  requestingUrl: string;
  isMainFrame: boolean;
  /** For 'media': what the page wants ('video' is the camera, 'audio' the microphone). */
  mediaTypes?: readonly string[];
}

/**
 * The camera, for photographing defects and damage at capture (the photo pickers), from the app's
 * own top frame, without the microphone. Everything else (notifications, geolocation, clipboard,
 * HID, serial, USB, screen capture, the microphone…) is refused.
 */
export function decidePermission(ask: PermissionAsk): Verdict {
  if (ask.permission !== 'media' || !ask.isMainFrame || !isAppUrl(ask.requestingUrl)) return 'deny';
  const types = ask.mediaTypes ?? [];
  return types.length > 0 && types.every((type) => type === 'video') ? 'allow' : 'deny';
}
