import { beforeAll, describe, expect, it, vi } from 'vitest';
import { IPC_CHANNEL } from '../../main/ipc/channel.js';

/**
 * What the preload puts in the page, with electron's contextBridge and ipcRenderer stood in for:
 * exactly `window.waypost.invoke`, which forwards the method and input on the one channel and
 * nothing else (no ipcRenderer, no channel choice, no extra arguments).
 */
const electron = vi.hoisted(() => ({
  contextBridge: { exposeInMainWorld: vi.fn() },
  ipcRenderer: { invoke: vi.fn(async () => ({ ok: true, value: null })) },
}));
vi.mock('electron', () => electron);

let exposed: Record<string, unknown>;

beforeAll(async () => {
  await import('../../preload/index.js');
  expect(electron.contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1);
  exposed = electron.contextBridge.exposeInMainWorld.mock.calls[0]![1] as Record<string, unknown>;
});

describe('the preload', () => {
  it('exposes exactly window.waypost.invoke', () => {
    const [name] = electron.contextBridge.exposeInMainWorld.mock.calls[0]!;
    expect({ name, api: Object.fromEntries(Object.entries(exposed).map(([key, member]) => [key, typeof member])) }).toMatchInlineSnapshot(`
      {
        "api": {
          "invoke": "function",
        },
        "name": "waypost",
      }
    `);
  });

  it('forwards the method and input on the one channel, and nothing more', async () => {
    const invoke = exposed.invoke as (...args: unknown[]) => Promise<unknown>;
    await expect(invoke('records.list', { recordType: 'gateEvent' }, 'extra', { channel: 'other' })).resolves.toEqual({ ok: true, value: null });
    expect(electron.ipcRenderer.invoke.mock.calls).toEqual([[IPC_CHANNEL, 'records.list', { recordType: 'gateEvent' }]]);
  });
});
