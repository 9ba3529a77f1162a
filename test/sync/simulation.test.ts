import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreError } from '../../main/core/errors.js';
import { SyncDaemon } from '../../main/core/sync/daemon.js';
import { networkError } from '../../main/core/sync/errors.js';
import type { EventStream, EventStreamHandlers, SyncTransport, TransportResponse } from '../../main/core/sync/transport.js';
import { expectConverged, officeRecordsFor } from '../support/convergence.js';
import { CLERK, Dice, INSPECTOR, SeededRandomness } from '../support/device.js';
import { NORTH } from '../support/server.js';
import { addSeal, billingLineCreate, gateEventCreate, noteCreate, removeSeal, tally, update, yardCountCreate } from '../support/actions.js';
import { FakeTimers } from './support/timers.js';
import { InjectTransport } from './support/transports.js';
import { type FieldDevice, SyncWorld } from './support/world.js';

/**
 * A deterministic simulation: three devices and the office work on shared records while the
 * network loses requests, loses answers, delivers requests twice and holds requests back to
 * deliver them much later. Every choice comes from one seed and time is a fake clock, so a
 * failure replays exactly. At the end the network heals and every device must hold exactly the
 * office's canonical state, with every journal entry acknowledged exactly once.
 */
const SEED = 'waypost-sync-simulation-1';
const STEPS = 300;

interface Held {
  path: string;
  body: unknown;
  headers: Record<string, string>;
}

/** The office in process, behind a network that loses, repeats and holds back messages. */
class ChaosTransport implements SyncTransport {
  readonly held: Held[] = [];
  readonly faults = { requestsLost: 0, answersLost: 0, duplicated: 0, heldBack: 0 };
  healed = false;

  constructor(
    private readonly inner: SyncTransport,
    private readonly dice: Dice,
  ) {}

  async post(path: string, body: unknown, headers: Record<string, string>): Promise<TransportResponse> {
    if (this.healed) return this.inner.post(path, body, headers);
    const roll = this.dice.fraction();
    if (roll < 0.12) {
      this.faults.requestsLost++;
      throw networkError(new Error('request lost'));
    }
    if (roll < 0.24) {
      this.faults.answersLost++;
      await this.inner.post(path, body, headers);
      throw networkError(new Error('answer lost'));
    }
    if (roll < 0.34) {
      this.faults.duplicated++;
      const answers = await Promise.all([this.inner.post(path, body, headers), this.inner.post(path, body, headers)]);
      return answers[this.dice.below(2)]!;
    }
    if (roll < 0.42) {
      this.faults.heldBack++;
      this.held.push({ path, body: structuredClone(body), headers });
      throw networkError(new Error('timed out'));
    }
    return this.inner.post(path, body, headers);
  }

  /** A request held back arrives at the office; nobody is waiting for its answer any more. */
  async deliverHeld(index: number): Promise<void> {
    const [request] = this.held.splice(index, 1);
    if (request) await this.inner.post(request.path, request.body, request.headers);
  }

  events(path: string, headers: Record<string, string>, handlers: EventStreamHandlers): EventStream {
    return this.inner.events(path, headers, handlers);
  }
}

interface SimDevice {
  device: FieldDevice;
  operator: { badgeId: string; pin: string };
  chaos: ChaosTransport;
  daemon: SyncDaemon;
  /** Every sequence number a push batch reported as newly acknowledged, in order. */
  acknowledged: number[];
}

let world: SyncWorld;

beforeAll(async () => {
  world = await SyncWorld.start();
});
afterAll(async () => world?.close());

function act(sim: SimDevice, input: unknown): void {
  const { core } = sim.device;
  try {
    if (!core.sessions.current || core.sessions.lockIfIdle()) core.signIn(sim.operator.badgeId, sim.operator.pin);
    core.perform(input);
  } catch (error) {
    // The record changed under the operator (deleted, submitted): the app refuses, nothing is written.
    if (!(error instanceof CoreError)) throw error;
  }
}

function randomEdit(sim: SimDevice, dice: Dice, step: number): unknown {
  const { core } = sim.device;
  const pickId = (type: Parameters<typeof core.listRecords>[0]) => dice.pick(core.listRecords(type))?.id;
  switch (dice.below(10)) {
    case 8: {
      // The office's field: applies only when the operator had seen the office's last word.
      const id = pickId('workOrder');
      return id && update('workOrder', id, { assignee: dice.pick([INSPECTOR.operatorId, CLERK.operatorId]) });
    }
    case 9: {
      // Server-authoritative: the device's count is only an observation.
      const id = pickId('yardCount');
      return id && update('yardCount', id, { onHand: dice.below(50) });
    }
    case 0: {
      const id = pickId('workOrder');
      return id && update('workOrder', id, { statusNote: `${sim.device.name} step ${step}` });
    }
    case 1: {
      const id = pickId('workOrder');
      return id && update('workOrder', id, { location: `bay ${dice.below(9) + 1}` });
    }
    case 2: {
      const id = pickId('yardCount');
      return id ? tally(id, dice.below(5) + 1) : yardCountCreate(`row-${step}`);
    }
    case 3: {
      const id = pickId('billingLine');
      const order = pickId('workOrder');
      if (id && dice.below(2) === 0) return update('billingLine', id, { quantity: dice.below(9) + 1 });
      return order && billingLineCreate(order, dice.below(9) + 1);
    }
    case 4: {
      const id = pickId('gateEvent');
      return id ? addSeal(id, `SEAL-${dice.below(6)}`) : gateEventCreate({ truckPlate: `TX-${step}`, seal: `SEAL-${dice.below(6)}` });
    }
    case 5: {
      const gate = dice.pick(core.listRecords('gateEvent'));
      const seal = gate && dice.pick(gate.fields.sealNumbers as string[]);
      return gate && seal && removeSeal(gate.id, seal);
    }
    default:
      return noteCreate(`${sim.device.name} remark ${step}`, pickId('workOrder') ?? 'wo-none');
  }
}

async function idle(sims: readonly SimDevice[]): Promise<void> {
  for (const sim of sims) await sim.daemon.whenIdle();
}

describe('deterministic sync simulation', () => {
  it('converges every device on the office state through lost, repeated and late messages, acknowledging each entry once', async () => {
    const dice = new Dice(SEED);
    const fakeTimers = new FakeTimers(world.clock);
    const inProcess = new InjectTransport(world.server.app);
    const order = await world.office.createWorkOrder({ title: 'Yard sweep', statusNote: 'start' });
    await world.office.createWorkOrder({ title: 'Reefer audit' });

    const sims: SimDevice[] = [];
    for (const [name, operator] of [
      ['cab-sim', INSPECTOR],
      ['kiosk-sim-1', CLERK],
      ['kiosk-sim-2', CLERK],
    ] as const) {
      // Enrolled and first pulled over a clean link; the chaos starts once they work.
      const chaos = new ChaosTransport(inProcess, new Dice(`${SEED}:${name}`));
      chaos.healed = true;
      const acknowledged: number[] = [];
      const device = await world.addDevice(name, {
        transport: () => chaos,
        pull: false,
        client: { batchSize: 5, pullLimit: 7, onBatch: (report) => acknowledged.push(...report.acknowledged) },
      });
      const daemon = new SyncDaemon({
        client: device.client,
        clock: world.clock,
        timers: fakeTimers,
        random: new SeededRandomness(`${SEED}:daemon:${name}`),
        intervalMs: 60_000,
        backoff: { initialMs: 1_000, maxMs: 30_000 },
        live: false,
      });
      sims.push({ device, operator, chaos, daemon, acknowledged });
    }
    for (const sim of sims) await sim.device.client.pull();
    for (const sim of sims) sim.chaos.healed = false;
    for (const sim of sims) sim.daemon.start();
    await idle(sims);

    let edits = 0;
    for (let step = 0; step < STEPS; step++) {
      const sim = sims[dice.below(sims.length)]!;
      const roll = dice.below(100);
      if (roll < 40) {
        const input = randomEdit(sim, dice, step);
        if (input) {
          act(sim, input);
          edits++;
        }
      } else if (roll < 48) {
        const change = [{ statusNote: `office step ${step}` }, { priority: dice.pick(['low', 'high', 'urgent'])! }, { assignee: dice.pick([INSPECTOR.operatorId, null]) }];
        await world.office.updateWorkOrder(order.id, change[dice.below(change.length)]!);
      } else if (roll < 60) {
        void sim.daemon.syncNow();
      } else if (roll < 64) {
        sim.daemon.networkChanged(false);
      } else if (roll < 70) {
        sim.daemon.networkChanged(true);
      } else if (roll < 74) {
        sim.daemon.resumed();
      } else if (roll < 82) {
        const chaos = dice.pick(sims)!.chaos;
        if (chaos.held.length > 0) await chaos.deliverHeld(dice.below(chaos.held.length));
      } else {
        fakeTimers.advance(dice.below(90_000));
      }
      await idle(sims);
      world.clock.advance(1_000 + dice.below(20_000));
    }

    // The network heals; late requests arrive; everyone syncs until nothing is pending.
    for (const sim of sims) {
      sim.chaos.healed = true;
      while (sim.chaos.held.length > 0) await sim.chaos.deliverHeld(0);
      sim.daemon.networkChanged(true);
    }
    await idle(sims);
    for (let round = 0; round < 5 && sims.some((sim) => sim.device.client.outbox().pending > 0); round++) {
      for (const sim of sims) await sim.daemon.syncNow();
    }
    for (const sim of sims) await sim.daemon.syncNow();
    for (const sim of sims) sim.daemon.stop();

    // The run really was hostile and busy.
    const faults = sims.map((sim) => sim.chaos.faults);
    for (const kind of ['requestsLost', 'answersLost', 'duplicated', 'heldBack'] as const) {
      expect(faults.reduce((sum, counts) => sum + counts[kind], 0), kind).toBeGreaterThan(3);
    }
    expect(edits).toBeGreaterThan(30);

    const canonical = await officeRecordsFor(world.server.database.db, NORTH);
    expect(canonical.length).toBeGreaterThan(5);

    for (const sim of sims) {
      const { core, name } = sim.device;
      // Every entry was counted as acknowledged by exactly one answer.
      expect([...sim.acknowledged].sort((a, b) => a - b), name).toEqual(core.journal().map((entry) => entry.body.seq));
      await expectConverged(world.server.database.db, core, canonical, name);
    }
  });
});
