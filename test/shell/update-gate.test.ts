import { describe, expect, it } from 'vitest';
import { INSTALL_RETRY_MS, UPDATE_CHECK_INTERVAL_MS, UpdateGate } from '../../main/shell/update-gate.js';

/** The updater's decisions with electron-updater and the core replaced by a script. */
function scripted(options: { syncInFlight?: boolean[]; checkFails?: boolean } = {}) {
  const calls: string[] = [];
  const timers: { run: () => void; ms: number }[] = [];
  const busy = [...(options.syncInFlight ?? [])];
  const gate = new UpdateGate({
    check: async () => {
      calls.push('check');
      if (options.checkFails) throw new Error('office unreachable');
    },
    install: () => calls.push('install'),
    syncInFlight: async () => busy.shift() ?? false,
    setTimer: (run, ms) => timers.push({ run, ms }),
    log: (message) => calls.push(`log: ${message}`),
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  return { gate, calls, timers, settle };
}

describe('the desktop updater', () => {
  it('asks the feed at start and every four hours, and leaves a release it downloaded for the next quit', async () => {
    const { gate, calls, timers, settle } = scripted();
    gate.start();
    await settle();
    expect(calls).toEqual(['check']);
    expect(timers.map((timer) => timer.ms)).toEqual([UPDATE_CHECK_INTERVAL_MS]);
    timers.shift()!.run();
    await settle();
    expect(calls).toEqual(['check', 'check']);
    gate.downloaded();
    await settle();
    expect(calls).not.toContain('install');
    // The feed's staged rollout decides for an update nobody requires.
    expect([gate.withinRollout(false), gate.withinRollout(true)]).toEqual([false, true]);
  });

  it('fetches a required update at once, past the staged rollout, and installs it when no sync batch is on its way', async () => {
    const { gate, calls, timers, settle } = scripted({ syncInFlight: [true, false] });
    gate.required();
    await settle();
    expect(calls).toEqual(['check']);
    expect(gate.withinRollout(false)).toBe(true);

    // What is tried: the download lands while a push is on its way.
    gate.downloaded();
    await settle();
    expect(calls.at(-1)).toMatch(/installing once the sync on its way is done/);
    expect(calls).not.toContain('install');
    expect(timers.map((timer) => timer.ms)).toEqual([INSTALL_RETRY_MS]);
    timers.shift()!.run();
    await settle();
    expect(calls.at(-1)).toBe('install');
  });

  it('installs a release already downloaded as soon as the office requires it, and says so when the feed cannot be reached', async () => {
    const ready = scripted();
    ready.gate.downloaded();
    ready.gate.required();
    await ready.settle();
    expect(ready.calls).toEqual(['install']);

    const unreachable = scripted({ checkFails: true });
    unreachable.gate.required();
    await unreachable.settle();
    expect(unreachable.calls).toEqual(['check', 'log: update check failed']);
  });
});
