import { contextBridge, ipcRenderer } from 'electron';
import { IPC_CHANNEL } from '../main/ipc/channel.js';
import type { WaypostApi } from '../main/ipc/contract.js';

/**
 * The renderer's only door to the core: `window.waypost.invoke(method, input)` over one IPC channel.
 * Only the method name and input cross; the main process validates both (main/ipc/handlers.ts).
 */
const api: WaypostApi = {
  invoke: (method, input) => ipcRenderer.invoke(IPC_CHANNEL, method, input),
};

contextBridge.exposeInMainWorld('waypost', api);
