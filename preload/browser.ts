import type { IpcResult, WaypostApi } from '../main/ipc/contract.js';

/**
 * The dev host's stand-in for the Electron preload: the same `window.waypost` API, carried by
 * fetch to the dev host's /ipc endpoint, which runs the same handler as the Electron shell.
 */
const HOST_UNREACHABLE: IpcResult<never> = {
  ok: false,
  error: { code: 'host-unreachable', message: 'The Waypost dev host is not answering. Is it still running?' },
};

const api: WaypostApi = {
  async invoke(method, input) {
    try {
      const response = await fetch('/ipc', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ method, input }),
      });
      return await response.json();
    } catch {
      return HOST_UNREACHABLE;
    }
  },
};

Object.defineProperty(window, 'waypost', { value: Object.freeze(api), enumerable: true });
