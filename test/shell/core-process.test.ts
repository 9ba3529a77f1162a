import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CORE_RESTARTING, type CoreSecrets, type CoreStartConfig, HandedKeyStore } from '../../main/core-process/channel.js';
import { launchNodeCore, type NodeCoreProcess } from '../../main/core-process/node-process.js';
import { CoreRelay } from '../../main/core-process/relay.js';
import { restartDelayMs } from '../../main/core-process/restart-policy.js';
import type { IpcResult } from '../../main/ipc/contract.js';
import { gateEventCreate } from '../support/actions.js';
import { bundleChild } from '../support/bundle.js';
import { CLERK, openTestDevice, tempDir } from '../support/device.js';

/**
 * The device core in its own process, as the app runs it, relayed by the same CoreRelay the shell
 * uses, here over a child_process instead of a utilityProcess. The core is SIGKILLed with calls in
 * flight: they are answered "restarting", as is a call made while it starts again; the relay logs
 * the death and starts a new process on the same files, which serves later calls with everything
 * that committed before the kill, and nothing that did not.
 */
const ENTRY = fileURLToPath(new URL('../../main/core-process/node-entry.ts', import.meta.url));
/** Hang guards only, far above what a start or a call takes on a loaded 2-core machine. */
const START_GUARD_MS = 60_000;

let script: string;
const relays: CoreRelay[] = [];

beforeAll(async () => {
  script = join(tempDir('waypost-core-process-'), 'core-process.mjs');
  await bundleChild(ENTRY, script);
});

afterEach(async () => {
  await Promise.all(relays.splice(0).map((relay) => relay.stop()));
});

function secrets(): CoreSecrets {
  return { deviceSeed: randomBytes(32), databaseKey: randomBytes(32), pinPepper: randomBytes(32) };
}

/** A device database with the test operators provisioned, under `secrets`, closed again. */
function provisionedDataDir(keys: CoreSecrets): string {
  const dir = tempDir('waypost-core-data-');
  openTestDevice({ dir, keyStore: new HandedKeyStore(keys) }).core.close();
  return dir;
}

interface Harness {
  relay: CoreRelay;
  launched: NodeCoreProcess[];
  logs: string[];
  failures: string[];
}

function startRelay(dataDir: string, keys: CoreSecrets): Harness {
  const launched: NodeCoreProcess[] = [];
  const logs: string[] = [];
  const failures: string[] = [];
  const config: CoreStartConfig = { dataDir, migrationsFolder: resolve('db/migrations'), unenrolledSiteId: 'site-north', office: null, online: false };
  const relay = new CoreRelay({
    launch: () => {
      const child = launchNodeCore(script, { stdio: 'ignore' });
      launched.push(child);
      return child;
    },
    startWith: () => ({ config, secrets: keys }),
    log: (message, error) => logs.push(error === undefined ? message : `${message}: ${String(error)}`),
    onFailed: (message) => failures.push(message),
  });
  relays.push(relay);
  return { relay, launched, logs, failures };
}

async function ready(relay: CoreRelay): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    relay.whenReady(),
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the core process did not get ready')), START_GUARD_MS))),
  ]);
  clearTimeout(timer);
}

async function value<T>(result: Promise<IpcResult>): Promise<T> {
  const settled = await result;
  if (!settled.ok) throw new Error(`expected success, got ${settled.error.code}: ${settled.error.message}`);
  return settled.value as T;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

describe('the core process behind the relay', () => {
  it('answers calls in flight and during the restart with "restarting", starts again, and keeps every committed action', async () => {
    const keys = secrets();
    const { relay, launched, logs } = startRelay(provisionedDataDir(keys), keys);
    // Calls made while the first start runs wait for it.
    const early = relay.invoke('session.current', {});
    await ready(relay);
    expect(await value(early)).toBeNull();

    await value(relay.invoke('session.signIn', { badgeId: CLERK.badgeId, pin: CLERK.pin }));
    const committed: string[] = [];
    for (let i = 0; i < 5; i++) {
      const performed = await value<{ record: { id: string } }>(relay.invoke('records.perform', gateEventCreate({ truckPlate: `TX-${i}` })));
      committed.push(performed.record.id);
    }

    // Frozen, the core cannot answer: these calls are sent and in flight when it is killed.
    const first = launched[0]!;
    process.kill(first.pid, 'SIGSTOP');
    const inFlight = [0, 1, 2].map((i) => relay.invoke('records.perform', gateEventCreate({ truckPlate: `LOST-${i}` })));
    process.kill(first.pid, 'SIGKILL');
    expect(await Promise.all(inFlight)).toEqual([CORE_RESTARTING, CORE_RESTARTING, CORE_RESTARTING]);
    expect(relay.state).not.toBe('ready');
    expect(await relay.invoke('records.list', { recordType: 'gateEvent' })).toEqual(CORE_RESTARTING);
    expect(logs).toEqual(['the Waypost core process stopped unexpectedly (signal SIGKILL); starting it again']);

    await ready(relay);
    expect(relay.starts).toBe(2);
    expect(launched).toHaveLength(2);
    // A new process: the session key lived only in the killed one's memory.
    expect(await value(relay.invoke('session.current', {}))).toBeNull();
    await value(relay.invoke('session.signIn', { badgeId: CLERK.badgeId, pin: CLERK.pin }));
    const records = await value<{ id: string; fields: { truckPlate: string } }[]>(relay.invoke('records.list', { recordType: 'gateEvent' }));
    expect(records.map((record) => record.id).sort()).toEqual([...committed].sort());
    expect(records.map((record) => record.fields.truckPlate).sort()).toEqual(['TX-0', 'TX-1', 'TX-2', 'TX-3', 'TX-4']);
    const verdict = await value<{ ok: boolean }>(relay.invoke('journal.verify', {}));
    expect(verdict.ok).toBe(true);
    await value(relay.invoke('records.perform', gateEventCreate({ truckPlate: 'TX-after' })));

    // The secrets went over the channel: not on the new process's command line or in its environment, nor in a log.
    const second = launched[1]!;
    const visible = [readFileSync(`/proc/${second.pid}/cmdline`, 'utf8'), readFileSync(`/proc/${second.pid}/environ`, 'utf8'), ...logs].join('\n');
    for (const secret of Object.values(keys)) expect(visible).not.toContain(hex(secret));

    // Stopping closes the core (its exit is clean) and later calls are refused, not left hanging.
    const exit = new Promise<string>((resolveExit) => second.onExit(resolveExit));
    await relay.stop();
    expect(await exit).toBe('exit code 0');
    expect(await relay.invoke('session.current', {})).toMatchObject({ ok: false, error: { code: 'core-unavailable' } });
    expect(relay.starts).toBe(2);
  });

  it('signs the operator out when the machine\'s screen locks or it goes to sleep, with a signed close as an idle lock makes, and keeps what was done', async () => {
    const keys = secrets();
    const dataDir = provisionedDataDir(keys);
    const { relay } = startRelay(dataDir, keys);
    await ready(relay);
    await value(relay.invoke('session.signIn', { badgeId: CLERK.badgeId, pin: CLERK.pin }));
    await value(relay.invoke('records.perform', gateEventCreate({ truckPlate: 'TX-before-lock' })));

    relay.screenLocked();

    // The message is one-way: the next call, ordered after it on the same channel, finds nobody signed in.
    expect(await value(relay.invoke('session.current', {}))).toBeNull();
    await relay.stop();
    const { core } = openTestDevice({ dir: dataDir, keyStore: new HandedKeyStore(keys) });
    try {
      const closing = core.journal().at(-1)!;
      expect(closing.body).toMatchObject({ kind: 'session.close', reason: 'idle-lock', operatorId: CLERK.operatorId });
      expect(core.verifyJournal()).toMatchObject({ ok: true });
      expect(core.listRecords('gateEvent').map((record) => record.fields.truckPlate)).toEqual(['TX-before-lock']);
    } finally {
      core.close();
    }
  });

  it('does not start again over data it cannot open, and says why', async () => {
    const dataDir = provisionedDataDir(secrets());
    const { relay, launched, failures } = startRelay(dataDir, secrets());
    const early = relay.invoke('session.current', {});
    const answer = await early;
    expect(answer).toMatchObject({ ok: false, error: { code: 'core-unavailable' } });
    expect(failures).toHaveLength(1);
    expect(relay.state).toBe('failed');
    const exit = new Promise<string>((resolveExit) => launched[0]!.onExit(resolveExit));
    expect(await exit).toBe('exit code 0');
    expect(relay.starts).toBe(1);
    expect(await relay.invoke('session.current', {})).toMatchObject({ ok: false, error: { code: 'core-unavailable' } });
  });
});

describe('the restart policy', () => {
  const NOW = 1_000_000_000;
  const MINUTE = 60_000;

  it('starts again at once after a lone crash, then backs off while crashes keep coming', () => {
    expect(restartDelayMs([NOW], NOW)).toBe(0);
    expect(restartDelayMs([NOW - 5 * MINUTE, NOW], NOW)).toBe(250);
    expect(restartDelayMs([NOW - 3, NOW - 2, NOW - 1, NOW], NOW)).toBe(1_000);
    expect(restartDelayMs(Array.from({ length: 20 }, (_, i) => NOW - i), NOW)).toBe(30_000);
  });

  it('forgets crashes older than ten minutes', () => {
    expect(restartDelayMs([NOW - 11 * MINUTE, NOW - 10 * MINUTE, NOW], NOW)).toBe(0);
  });
});
