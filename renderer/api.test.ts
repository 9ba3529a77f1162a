import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, call, onLocalChange } from './api.js';

/** The preload's bridge, answering as the core would. */
function bridge(answer: (method: string) => { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } }): void {
  (globalThis as { window?: unknown }).window = { waypost: { invoke: async (method: string) => answer(method) } };
}

afterEach(() => {
  delete (globalThis as { window?: unknown }).window;
});

describe('calls to the core', () => {
  it('tell the sync badge of each action saved on the device, not of reads nor of refusals', async () => {
    let told = 0;
    const stop = onLocalChange(() => told++);
    bridge((method) => (method === 'failed.retry' ? { ok: false, error: { code: 'not-found', message: 'no such entry' } } : { ok: true, value: null }));

    await call('records.perform', { recordType: 'note', action: 'create', ops: [] } as never);
    await call('session.signOut', {} as never);
    await call('sync.status', {} as never);
    await call('records.list', { recordType: 'note' } as never);
    await expect(call('failed.retry', { seq: 4 } as never)).rejects.toBeInstanceOf(ApiError);
    expect(told).toBe(2);

    stop();
    await call('records.perform', { recordType: 'note', action: 'create', ops: [] } as never);
    expect(told).toBe(2);
  });
});
