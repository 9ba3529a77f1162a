import type { WaypostApi } from '../main/ipc/contract.js';

declare global {
  interface Window {
    /** Put there by the preload (Electron) or the dev host's browser shim. */
    readonly waypost: WaypostApi;
  }
}
