import { isAppUrl } from './navigation.js';

/**
 * Who may call the core: the app's own page, in the top frame of the app's window. Not a subframe
 * (nothing should ever embed one, but if it did it would not get the core), not devtools, not a
 * page of another origin, file:// or about:blank. Pure, so it is tested without electron.
 */
export interface IpcSender {
  /** The calling frame's URL; null when the frame is gone (navigated or destroyed). */
  frameUrl: string | null;
  /** The calling frame is its web contents' main frame. */
  isTopFrame: boolean;
  /** The calling web contents is the app's window (not devtools, not another window). */
  isAppWindow: boolean;
}

export function senderMayCall(sender: IpcSender): boolean {
  return sender.isAppWindow && sender.isTopFrame && sender.frameUrl !== null && isAppUrl(sender.frameUrl);
}

/** The answer a refused sender gets (it learns nothing about the core). */
export const FORBIDDEN_SENDER = { ok: false, error: { code: 'forbidden', message: 'this page may not call Waypost' } } as const;
