import { afterEach, beforeEach } from 'vitest';
import { createIpcHandler, type IpcHandler } from '../../main/ipc/handlers.js';
import { openTestDevice, type TestDevice } from './device.js';

/** A fresh unenrolled test device and the IPC handler the renderer would call, for each test. */
export interface IpcTestDevice {
  device: TestDevice;
  handle: IpcHandler;
}

/**
 * Opens a test device with its IPC handler before each test of the calling file and closes it after,
 * so every test starts from an empty store. Read the fields inside a test: each test gets new ones.
 */
export function useIpcTestDevice(): IpcTestDevice {
  const ipc = {} as IpcTestDevice;
  beforeEach(() => {
    ipc.device = openTestDevice();
    ipc.handle = createIpcHandler(ipc.device.core, { unenrolledSiteId: 'site-oak' });
  });
  afterEach(() => {
    ipc.device.core.close();
  });
  return ipc;
}
