import { rmSync } from 'node:fs';
import type { OfficeFaults } from '../../../server/context.js';
import type { DaemonFaults } from '../../../main/core/sync/daemon.js';
import { CLERK, Dice, INSPECTOR, tempDir } from '../../support/device.js';
import { NORTH } from '../../support/server.js';
import { FakeTimers } from '../support/timers.js';
import { type Operator, DriftingClock, MEMORY_DISK, SimDevice } from './device.js';
import { checkAfterHealing, checkDuringRun, InvariantViolation, type OfficeWriteLog } from './invariants.js';
import { type LinkRates, NO_FAULTS, SimLink } from './network.js';
import type { SimOffice } from './office.js';
import { cancelWhileEdited, deviceAction, officeAction } from './workload.js';

/**
 * One simulation run, deterministic from its seed: a small fleet (cab laptops, a kiosk whose
 * operators switch and lock idle) and the office's dispatcher and reviewer work on shared records
 * for a few dozen steps while the seed's faults hit the network, the devices, the office and the
 * clocks; then everything heals and the invariants (invariants.ts) are checked. A failure names the
 * seed, the step and the invariant, with the trace of the steps that led there.
 */
export interface PlantedBugs {
  office?: OfficeFaults;
  daemon?: DaemonFaults;
}

export interface RunOptions {
  steps?: number;
  bugs?: PlantedBugs;
  /** Told each line of the trace as it happens (to follow a run that hangs). */
  onStep?(line: string): void;
}

export interface RunFailure {
  seed: string;
  step: number | 'healing';
  invariant: string;
  message: string;
  trace: string[];
}

export interface RunResult {
  seed: string;
  failure: RunFailure | null;
  steps: number;
  edits: number;
  faults: Record<string, number>;
  trace: string[];
  /** Where the run's time went, in ms: office reset, fleet set-up, steps, healing and checks. */
  phases: Record<string, number>;
}

const START = Date.UTC(2026, 10, 22, 6, 0, 0);
const HOUR = 60 * 60 * 1000;

/** Everything a step can reach. */
export interface World {
  dice: Dice;
  office: SimOffice;
  devices: SimDevice[];
  timers: FakeTimers;
  officeLog: OfficeWriteLog[];
  trace(line: string): void;
  counts: Record<string, number>;
  /** Something was committed at the office since the streams were last told. */
  changed: boolean;
}

function faultRates(dice: Dice): LinkRates {
  const rate = (max: number) => (dice.chance(0.8) ? dice.fraction() * max : 0);
  return {
    lose: rate(0.15),
    loseAnswer: rate(0.15),
    duplicate: rate(0.12),
    hold: rate(0.1),
    damageAnswer: rate(0.08),
    killOffice: rate(0.06),
    killDevice: rate(0.05),
    streamCut: rate(0.2),
    streamDelay: rate(0.2),
    streamDuplicate: rate(0.2),
    cutChunk: rate(0.3),
  };
}

function skewOf(dice: Dice): { skewMs: number; driftPpm: number } {
  if (dice.chance(0.4)) return { skewMs: 0, driftPpm: 0 };
  return { skewMs: Math.round((dice.fraction() * 2 - 1) * 3 * HOUR), driftPpm: Math.round((dice.fraction() * 2 - 1) * 300) };
}

export async function runSeed(office: SimOffice, seed: string, options: RunOptions = {}): Promise<RunResult> {
  const dice = new Dice(`sim:${seed}`);
  const trace: string[] = [];
  let step: number | 'healing' = 0;
  const world: World = {
    dice,
    office,
    devices: [],
    timers: new FakeTimers(office.clock),
    officeLog: [],
    trace: (line) => {
      trace.push(line);
      options.onStep?.(line);
    },
    counts: {},
    changed: false,
  };
  const dir = tempDir('waypost-sim-', MEMORY_DISK);
  const steps = options.steps ?? dice.between(8, 16);
  const phases: Record<string, number> = {};
  let mark = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    phases[name] = now - mark;
    mark = now;
  };
  try {
    await office.reset(seed, START + dice.below(12) * HOUR, options.bugs?.office ?? {});
    phase('reset');
    await setUpFleet(world, seed, dir, options.bugs?.daemon ?? {});
    await settle(world);
    phase('fleet');
    for (step = 0; step < steps; step++) {
      world.trace(`step ${step} @${clockLabel(office.clock.now())}`);
      await runStep(world);
      await settle(world);
      checkDuringRun(world.devices);
      office.clock.advance(dice.chance(0.3) ? 0 : dice.between(500, 20_000));
    }
    phase('steps');
    step = 'healing';
    world.trace(`healing @${clockLabel(office.clock.now())}`);
    await checkAfterHealing(world, () => heal(world), (until, done) => advanceTimers(world, until, done));
    phase('healing');
    return { seed, failure: null, steps, edits: world.counts.edits ?? 0, faults: world.counts, trace, phases };
  } catch (error) {
    if (!(error instanceof InvariantViolation)) {
      trace.push(`crash: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    const invariant = error instanceof InvariantViolation ? error.invariant : 'the run completes';
    const message = error instanceof Error ? error.message : String(error);
    return { seed, failure: { seed, step, invariant, message, trace }, steps, edits: world.counts.edits ?? 0, faults: world.counts, trace, phases };
  } finally {
    for (const device of world.devices) await device.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function setUpFleet(world: World, seed: string, dir: string, daemonFaults: DaemonFaults): Promise<void> {
  const { dice, office } = world;
  const fleet: { name: string; kind: 'cab' | 'kiosk'; operators: Operator[] }[] = [
    { name: 'cab-1', kind: 'cab', operators: [INSPECTOR] },
    { name: 'kiosk-1', kind: 'kiosk', operators: [CLERK, INSPECTOR] },
  ];
  if (dice.chance(0.35)) fleet.push({ name: 'cab-2', kind: 'cab', operators: [INSPECTOR] });
  const linkContext = { office, dice, trace: world.trace, now: () => office.clock.now(), committed: () => (world.changed = true), count: (what: string) => count(world, what) };
  for (const { name, kind, operators } of fleet) {
    const { skewMs, driftPpm } = skewOf(dice);
    const device = new SimDevice({
      name,
      kind,
      operators,
      dir,
      seed,
      clock: new DriftingClock(office.clock, skewMs, driftPpm, office.clock.now()),
      link: new SimLink(name, linkContext),
      timers: world.timers,
      daemonFaults,
      trace: world.trace,
    });
    await device.enroll(await office.enrollmentToken(NORTH, kind));
    world.trace(`${name}: enrolled (${kind}, clock ${skewMs >= 0 ? '+' : ''}${Math.round(skewMs / 1000)} s, drift ${driftPpm} ppm)`);
    world.devices.push(device);
  }
  for (const title of ['Yard sweep', 'Reefer audit']) {
    const values = { siteId: NORTH, title, statusNote: 'start' };
    const answer = await office.office('POST', '/v1/office/work-orders', values);
    const record = (answer.body as { record: { id: string } }).record;
    world.officeLog.push({ recordType: 'workOrder', recordId: record.id, action: 'create', ops: opsOf({ status: 'open', priority: 'normal', ...values }) });
  }
  for (const device of world.devices) await device.client.pull();
  for (const device of world.devices) {
    device.link.rates = faultRates(dice);
    device.daemon.start();
  }
}

/** A console write's operations, as the office route builds them from its body. */
export function opsOf(values: Record<string, unknown>): OfficeWriteLog['ops'] {
  return Object.entries(values).map(([field, value]) => ({ op: 'set' as const, field, value }));
}

async function runStep(world: World): Promise<void> {
  const { dice, devices, office } = world;
  const roll = dice.below(100);
  const device = dice.pick(devices)!;
  if (!device.alive && roll < 72) {
    restart(world, device);
    return;
  }
  if (roll < 40) {
    await deviceAction(world, device);
  } else if (roll < 44) {
    // Two operators edit the same field of the same record at the same moment.
    const other = dice.pick(devices.filter((d) => d !== device && d.alive));
    await deviceAction(world, device, { burstWith: other });
  } else if (roll < 53) {
    await officeAction(world);
  } else if (roll < 60) {
    world.trace(`${device.name}: sync now`);
    void device.daemon.syncNow();
  } else if (roll < 63) {
    const hours = dice.between(1, 4);
    device.link.partitionedUntil = office.clock.now() + hours * HOUR;
    if (dice.chance(0.5)) device.daemon.networkChanged(false);
    world.trace(`${device.name}: dead zone for ${hours} h`);
    count(world, 'partitions');
  } else if (roll < 66) {
    world.trace(`${device.name}: network back, resumed`);
    if (dice.chance(0.5)) device.daemon.networkChanged(true);
    else device.daemon.resumed();
  } else if (roll < 70) {
    const link = dice.pick(devices.filter((d) => d.link.held.length > 0))?.link;
    if (link) await link.deliverHeld(dice.below(link.held.length));
  } else if (roll < 72) {
    // Code runs to its next wait before the power goes: a process frozen mid-code cannot be had in JS.
    await device.idle();
    world.trace(`${device.name}: power lost`);
    device.kill();
    count(world, 'deviceKills');
  } else if (roll < 74) {
    for (const d of devices) d.link.flushEvents();
  } else if (roll < 78) {
    world.trace(`${device.name}: upload pass: ${(await device.uploadPass()).said}`);
  } else if (roll < 80) {
    const hours = dice.between(1, 3);
    world.trace(`time: ${hours} h pass`);
    await advanceTimers(world, office.clock.now() + hours * HOUR);
  } else if (roll < 82) {
    if (device.alive) await cancelWhileEdited(world, device);
  } else {
    const ms = dice.between(200, 120_000);
    world.trace(`time: ${Math.round(ms / 1000)} s pass`);
    await advanceTimers(world, office.clock.now() + ms);
  }
}

export function count(world: World, what: string): void {
  world.counts[what] = (world.counts[what] ?? 0) + 1;
}

function restart(world: World, device: SimDevice): void {
  world.trace(`${device.name}: starts again from its database file`);
  device.boot();
  device.daemon.start();
  count(world, 'restarts');
}

/** Every device's sync at rest, and the streams told of what the office committed meanwhile. */
export async function settle(world: World): Promise<void> {
  for (let round = 0; round < 4; round++) {
    for (const device of world.devices) await device.idle();
    if (!world.changed) return;
    world.changed = false;
    const data = JSON.stringify({ siteId: NORTH, at: world.office.clock.now() });
    for (const device of world.devices) if (device.alive) device.link.announce(data);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Time passes to `until` (or until `done` says so): each timer fires at its moment, and what it
 * started runs before the next.
 */
export async function advanceTimers(world: World, until: number, done: () => boolean = () => false): Promise<void> {
  for (let fired = 0; fired < 500 && !done(); fired++) {
    const due = world.timers.nextDueAt();
    if (due === null || due > until) break;
    world.timers.fireNext();
    await settle(world);
  }
  if (world.office.clock.now() < until) world.office.clock.ms = until;
}

/** The network heals, dead processes start again, late requests and notifications arrive. */
async function heal(world: World): Promise<void> {
  const { office, devices } = world;
  if (office.kill.dead) await office.restart();
  for (const device of devices) {
    device.link.rates = NO_FAULTS;
    device.link.partitionedUntil = 0;
  }
  for (const device of devices) {
    while (device.link.held.length > 0) await device.link.deliverHeld(0);
  }
  for (const device of devices) {
    if (!device.alive) restart(world, device);
    else if (!device.daemon.status().online) device.daemon.networkChanged(true);
    device.link.flushEvents();
  }
  world.changed = true;
  await settle(world);
}

function clockLabel(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}
