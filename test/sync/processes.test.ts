import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS } from '../../db/open.js';
import { DeviceCore } from '../../main/core/device-core.js';
import { InsecureDevFileKeyStore } from '../../main/core/keystore-dev.js';
import { type OfficeDatabase, openDatabase } from '../../server/db/connect.js';
import { attachments, journalEntries, records, recordWrites, reviewItems } from '../../server/db/schema.js';
import { addSeal, billingLineCreate, gateEventCreate, submit, tally, update, yardCountCreate } from '../support/actions.js';
import { expectConverged, officeRecordsFor } from '../support/convergence.js';
import { CLERK, Dice, INSPECTOR, SeededRandomness, tempDir } from '../support/device.js';
import { type ActionRequest, bundleDeviceChild, type DeviceChildConfig, DeviceProcess } from '../support/device-process.js';
import { editWorkOrder, inspectionAnswers, inspectionCreate, signaturePng, signInspection, submitInspection } from '../support/inspection.js';
import { type OfficeProcess, startOfficeProcess } from '../support/office-process.js';
import { dropSchema, issueEnrollmentToken, NORTH, seedOrganisation } from '../support/server.js';
import { type RequestFault, TcpProxy } from '../support/tcp-proxy.js';
import { Office } from './support/world.js';

/**
 * Sync across real processes (issue 8): the office as its own process on the Postgres of
 * DATABASE_URL (a schema of its own, dropped after), three device cores each in its own process
 * with its own encrypted database file, each reaching the office through its own TCP proxy that
 * drops, delays, cuts off mid-answer and stalls requests at random. Inspectors run 20-answer
 * inspections and edit shared work orders and a shared billing line, a gate clerk records gate
 * events, all three tally one shared yard count, the dispatcher edits the work orders; devices are
 * SIGKILLed while they sync (when one of their push, pull or upload requests reaches the office or
 * its answer comes back) and started again from their files, and the office is SIGKILLed while a
 * push reaches it and started again on the same Postgres. Then the network heals and the devices'
 * files and the office's tables are read.
 *
 * Every choice comes from one seed (PROCESSES_SEED), so the counts of rounds, actions and kills
 * are the seed's; what the network and the machine's load do in between is not, and the
 * invariants hold whatever it is. Nothing is decided by the clock: time limits are hang guards.
 */
const DATABASE_URL = process.env.DATABASE_URL;
const SEED = process.env.PROCESSES_SEED ?? 'waypost-processes-1';
const ROUNDS = 16;
/** Rounds whose sync the office is killed in (a push on its way in), chosen by the seed. */
const OFFICE_KILLS = 3;
/** Per round and device, the chance (in 100) of a kill aimed at its sync. */
const DEVICE_KILL_PERCENT = 45;
/** After healing, every outbox must drain within this many "sync now" rounds. */
const HEAL_ROUNDS = 4;
/** Each device's daemon also syncs on its own, on this interval. */
const DEVICE_INTERVAL_MS = 2_000;
/** Only a hang guard: expected 1.5–3 minutes on a loaded 2-core machine. */
const HANG_GUARD_MS = 20 * 60_000;

const WORK_ORDERS = ['wo-proc-1', 'wo-proc-2', 'wo-proc-3'];
const BILLING_LINE = 'bl-proc-1';
const YARD_COUNT = 'yc-proc-1';

/** One user action of the plan: the input the screen sends, and the signature image it stores first. */
interface Step {
  input: ActionRequest;
  signatureSeed?: string;
  /** What a yard-count tally adds, to check the office counted each once. */
  tallied?: number;
}

/**
 * A kill aimed at a device: when a request of `path` reaches the office or its answer comes back
 * (its sync, or its daemon's own), or while the device performs the round's `index`-th action.
 */
type KillAim = { on: 'request' | 'answer'; path: string; delayMs: number } | { on: 'action'; index: number; delayMs: number };

interface DeviceSpec {
  name: string;
  kind: 'cab' | 'kiosk';
  operator: { badgeId: string; pin: string };
}

const DEVICES: DeviceSpec[] = [
  { name: 'cab-1', kind: 'cab', operator: INSPECTOR },
  { name: 'cab-2', kind: 'cab', operator: INSPECTOR },
  { name: 'kiosk-1', kind: 'kiosk', operator: CLERK },
];

/** The seed's plan for one device: per round, its actions in order. */
function planDevice(spec: DeviceSpec, dice: Dice): Step[][] {
  const queue: Step[] = [];
  let made = 0;
  /** The next actions of the device's main work: inspections one after another, or gate events. */
  const mainWork = (count: number): Step[] => {
    while (queue.length < count) {
      const id = `${spec.kind === 'cab' ? 'insp' : 'gate'}-${spec.name}-${made}`;
      if (spec.kind === 'cab') {
        const signatureSeed = `${spec.name}:${made}`;
        const sha256 = createHash('sha256').update(signaturePng(signatureSeed)).digest('hex');
        queue.push(
          { input: inspectionCreate(made, id) },
          ...inspectionAnswers(id, made).map((input) => ({ input: input })),
          { input: signInspection(id, sha256), signatureSeed },
          { input: submitInspection(id, Date.UTC(2026, 10, 22, 9) + made * 60_000) },
        );
      } else {
        queue.push(
          { input: { ...gateEventCreate({ truckPlate: `TX-${4100 + made}`, seal: `SEAL-${made}-A` }), recordId: id } },
          { input: addSeal(id, `SEAL-${made}-B`) },
          { input: update('gateEvent', id, { driverName: `Driver ${made}` }) },
          { input: submit('gateEvent', id) },
        );
      }
      made++;
    }
    return queue.splice(0, count);
  };
  return Array.from({ length: ROUNDS }, (_, round) => {
    const steps = mainWork(6 + dice.below(14));
    const extras: Step[] = [
      { input: editWorkOrder(dice.pick(WORK_ORDERS)!, dice.pick(['statusNote', 'location'] as const)!, `${spec.name} round ${round}`) },
    ];
    const by = 1 + dice.below(3);
    extras.push({ input: tally(YARD_COUNT, by), tallied: by });
    // Both inspectors change the billing line's quantity each round: concurrent edits go to a reviewer.
    if (spec.kind === 'cab') extras.push({ input: update('billingLine', BILLING_LINE, { quantity: 1 + dice.below(40) }) });
    for (const extra of extras) steps.splice(dice.below(steps.length + 1), 0, extra);
    return steps;
  });
}

function planKill(dice: Dice): KillAim | null {
  if (!dice.percent(DEVICE_KILL_PERCENT)) return null;
  if (dice.percent(20)) return { on: 'action', index: dice.below(6), delayMs: dice.below(4) };
  return { on: dice.pick(['request', 'answer'] as const)!, path: dice.pick(['/v1/sync/push', '/v1/sync/push', '/v1/sync/pull', '/v1/attachments'])!, delayMs: dice.below(40) };
}

function faultChooser(dice: Dice): (requestLine: string) => RequestFault | null {
  return () => {
    const roll = dice.below(100);
    if (roll < 8) return { kind: 'drop' };
    if (roll < 16) return { kind: 'delay', ms: 50 + dice.below(400) };
    if (roll < 24) return { kind: 'cut', afterBytes: dice.below(400) };
    if (roll < 30) return { kind: 'stall', ms: 300 + dice.below(1200) };
    return null;
  };
}

/** A committed action, as the parent learned of it: answered after commit, or found in the journal after a kill. */
interface Committed {
  seq: number;
  recordId: string;
  confirmed: boolean;
  tallied: number;
}

interface Counts {
  deviceKills: { aimed: number; atRoundEnd: number };
  officeKills: number;
  actionsInFlightAtKill: number;
}

/** One device across its lives: the process now running, and everything it committed. */
class FieldDevice {
  process!: DeviceProcess;
  life = 0;
  readonly committed: Committed[] = [];
  readonly signatures = new Set<string>();
  readonly #killed = new Set<number>();
  #restarting: Promise<void> | null = null;
  /** A start after a kill that failed: every later request fails with it. */
  #restartFailure: unknown = null;

  constructor(
    readonly spec: DeviceSpec,
    readonly proxy: TcpProxy,
    private readonly script: string,
    readonly config: Omit<DeviceChildConfig, 'life'>,
    private readonly counts: Counts,
  ) {}

  async start(): Promise<void> {
    this.process = await DeviceProcess.start(this.script, { ...this.config, life: this.life });
  }

  /** SIGKILL now and start again from its files; a kill asked for while one is under way joins it. */
  killAndRestart(): Promise<void> {
    this.#restarting ??= (async () => {
      this.#killed.add(this.process.pid);
      await this.process.kill();
      this.life++;
      await this.start();
    })()
      .catch((error: unknown) => {
        this.#restartFailure = error;
      })
      .finally(() => (this.#restarting = null));
    return this.#restarting;
  }

  /** Runs `request` on the running process; null when a kill of ours ended it first (then the restart is done). */
  async run<T>(request: (process: DeviceProcess) => Promise<T>): Promise<T | null> {
    await this.#restarting;
    if (this.#restartFailure) throw this.#restartFailure;
    const target = this.process;
    try {
      return await request(target);
    } catch (error) {
      if (!this.#killed.has(target.pid)) throw error;
      await this.#restarting;
      if (this.#restartFailure) throw this.#restartFailure;
      return null;
    }
  }

  /** Performs one action exactly once, across kills: one that committed before its answer is found in the journal. */
  async perform(step: Step): Promise<void> {
    let mayHaveCommitted = false;
    for (let attempt = 0; attempt < 10; attempt++) {
      if (mayHaveCommitted) {
        const found = await this.run((device) => device.recordEntriesAfter(this.#lastSeq()));
        if (found === null) continue;
        expect(found.length, `${this.spec.name}: entries committed by one action`).toBeLessThanOrEqual(1);
        if (found.length === 1) {
          expect(found[0]!.recordId).toBe(step.input.recordId);
          this.#note(step, found[0]!.seq, found[0]!.recordId, false);
          return;
        }
        mayHaveCommitted = false;
      }
      const done = await this.run((device) => device.perform(step.input, step.signatureSeed));
      if (done) {
        this.#note(step, done.seq, done.recordId, true);
        return;
      }
      this.counts.actionsInFlightAtKill++;
      mayHaveCommitted = true;
    }
    throw new Error(`${this.spec.name}: an action was cut by ten kills in a row`);
  }

  #lastSeq(): number {
    return this.committed.at(-1)?.seq ?? 0;
  }

  #note(step: Step, seq: number, recordId: string, confirmed: boolean): void {
    this.committed.push({ seq, recordId, confirmed, tallied: step.tallied ?? 0 });
    if (step.input.recordType === 'inspection' && step.signatureSeed !== undefined) {
      this.signatures.add(createHash('sha256').update(signaturePng(step.signatureSeed)).digest('hex'));
    }
  }
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe.skipIf(!DATABASE_URL)('sync across real processes (needs DATABASE_URL: the office runs on real Postgres)', () => {
  it('keeps every invariant through a faulty network and SIGKILLs of devices and the office', async () => {
    const startedAt = Date.now();
    const url = DATABASE_URL!;
    const dir = tempDir('waypost-processes-');
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const schema = `proc_${process.pid}_${Date.now().toString(36)}`;
    const script = await bundleDeviceChild(dir);

    let officeStarts = 0;
    let office: OfficeProcess = await startOfficeProcess({ databaseUrl: url, schema, dir, logName: `office-${officeStarts++}.log` });
    cleanups.push(async () => {
      await office.stop();
      await dropSchema(url, schema);
    });
    const officePort = Number(new URL(office.url).port);
    let officeRestart: Promise<void> | null = null;
    /** A start after a kill that failed, thrown as the round ends. */
    let officeFailure: unknown = null;
    const killOffice = () => {
      officeRestart ??= (async () => {
        counts.officeKills++;
        await office.kill();
        office = await startOfficeProcess({
          databaseUrl: url,
          schema,
          dir,
          logName: `office-${officeStarts++}.log`,
          port: officePort,
          adminToken: office.adminToken,
          serverKeyHex: office.serverKeyHex,
        });
      })()
        .catch((error: unknown) => {
          officeFailure = error;
        })
        .finally(() => (officeRestart = null));
      return officeRestart;
    };

    const admin = { url: office.url, adminToken: office.adminToken };
    const { dispatcherToken } = await seedOrganisation(admin);
    const dispatcher = new Office({ url: office.url }, dispatcherToken);
    for (const [w, id] of WORK_ORDERS.entries()) await dispatcher.createWorkOrder({ id, title: `Yard check ${w + 1}`, assignee: INSPECTOR.operatorId, status: 'open' });

    const counts: Counts = { deviceKills: { aimed: 0, atRoundEnd: 0 }, officeKills: 0, actionsInFlightAtKill: 0 };
    /** Answers the office gave the devices, by status; none may be a 500. */
    const statuses: Record<string, number> = {};
    /** The round's kill aims, told of each device's requests and answers. */
    let aimAt: ((device: number, on: 'request' | 'answer', line: string) => void) | null = null;
    const devices: FieldDevice[] = [];
    for (const [d, spec] of DEVICES.entries()) {
      const proxy = await TcpProxy.start({ host: '127.0.0.1', port: officePort });
      cleanups.push(() => proxy.close());
      proxy.watch({
        onRequest: (line) => aimAt?.(d, 'request', line),
        onAnswer: (line, status) => {
          statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
          aimAt?.(d, 'answer', line);
        },
      });
      const device = new FieldDevice(
        spec,
        proxy,
        script,
        {
          name: spec.name,
          dir: join(dir, spec.name),
          officeUrl: `http://127.0.0.1:${proxy.port}`,
          migrationsFolder: DEFAULT_MIGRATIONS,
          kind: spec.kind,
          operator: spec.operator,
          enrollmentToken: await issueEnrollmentToken(admin, NORTH, spec.kind),
          intervalMs: DEVICE_INTERVAL_MS,
        },
        counts,
      );
      await device.start();
      cleanups.push(() => device.process.end());
      devices.push(device);
    }

    // At the yard, on a clean link: the shared billing line and yard count reach every device.
    const [first] = devices;
    await first!.perform({ input: { ...billingLineCreate(WORK_ORDERS[0]!, 1), recordId: BILLING_LINE } });
    await first!.perform({ input: { ...yardCountCreate('row A'), recordId: YARD_COUNT } });
    await first!.run((device) => device.sync());
    for (const device of devices) await device.run((process) => process.sync());

    const dice = new Dice(SEED);
    const plans = DEVICES.map((spec) => planDevice(spec, new Dice(`${SEED}:plan:${spec.name}`)));
    const officeKillRounds = new Set<number>();
    while (officeKillRounds.size < OFFICE_KILLS) officeKillRounds.add(dice.below(ROUNDS - 1));
    for (const device of devices) device.proxy.injectFaults(faultChooser(new Dice(`${SEED}:faults:${device.spec.name}`)));

    let actions = 2;
    let plannedKills = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await officeRestart;
      await dispatcher.updateWorkOrder(WORK_ORDERS[round % WORK_ORDERS.length]!, { statusNote: `office round ${round}` });

      const officeAim = officeKillRounds.has(round) ? { path: '/v1/sync/push', delayMs: dice.below(30) } : null;
      let officeAimFired = false;
      const aims = devices.map(() => planKill(dice));
      plannedKills += aims.filter(Boolean).length;
      const fired = devices.map(() => false);
      const fire = (d: number, delayMs: number) => {
        fired[d] = true;
        counts.deviceKills.aimed++;
        setTimeout(() => void devices[d]!.killAndRestart(), delayMs);
      };
      aimAt = (d, on, line) => {
        const aim = aims[d];
        if (aim && aim.on === on && !fired[d] && line.includes(aim.path)) fire(d, aim.delayMs);
        if (officeAim && on === 'request' && !officeAimFired && line.includes(officeAim.path)) {
          officeAimFired = true;
          setTimeout(() => void killOffice(), officeAim.delayMs);
        }
      };

      await Promise.all(
        devices.map(async (device, d) => {
          const steps = plans[d]![round]!;
          const half = Math.ceil(steps.length / 2);
          for (const [index, step] of steps.entries()) {
            const aim = aims[d];
            if (aim?.on === 'action' && aim.index === index) fire(d, aim.delayMs);
            await device.perform(step);
            if (index === half - 1) await device.run((process) => process.sync());
          }
          await device.run((process) => process.sync());
          actions += steps.length;
        }),
      );

      // The kill count is the seed's: an aim whose moment never came is killed as the round ends.
      aimAt = null;
      for (const [d, device] of devices.entries()) {
        if (aims[d] && !fired[d]) {
          counts.deviceKills.atRoundEnd++;
          await device.killAndRestart();
        }
      }
      if (officeAim && !officeAimFired) await killOffice();
      await Promise.all([officeRestart, ...devices.map((device) => device.run(async () => null))]);
      if (officeFailure) throw officeFailure;
    }

    // The network heals. Every operator signs out; then "sync now" rounds until every outbox is empty.
    for (const device of devices) device.proxy.injectFaults(null);
    await officeRestart;
    for (const device of devices) await device.run((process) => process.signOut());
    let drainedAfter: number | null = null;
    for (let round = 1; drainedAfter === null && round <= HEAL_ROUNDS; round++) {
      const summaries = await Promise.all(devices.map((device) => device.run((process) => process.sync())));
      if (summaries.every((summary) => summary !== null && summary.pending === 0 && summary.unstored === 0)) drainedAfter = round;
    }
    // One more round: each device pulls what the others pushed in the last one.
    const final = await Promise.all(devices.map((device) => device.run((process) => process.sync())));
    for (const device of devices) await device.process.end();
    await office.stop();

    const faults = devices.map((device) => device.proxy.faults);
    const totalKills = counts.deviceKills.aimed + counts.deviceKills.atRoundEnd;
    const unanswered = devices.flatMap((device) => device.committed).filter((action) => !action.confirmed).length;
    console.info(
      `processes (seed ${SEED}): ${ROUNDS} rounds, ${actions} actions (${counts.actionsInFlightAtKill} cut by a kill, ${unanswered} of them committed unanswered), ` +
        `${totalKills} device kills (${counts.deviceKills.aimed} during sync, ${counts.deviceKills.atRoundEnd} at a round's end), ` +
        `${counts.officeKills} office kills, faults ${JSON.stringify(faults)}, answers ${JSON.stringify(statuses)}, drained in ${drainedAfter} heal rounds, ` +
        `${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
    );
    expect(drainedAfter, `outboxes drained within ${HEAL_ROUNDS} rounds of "sync now"`).not.toBeNull();
    expect(final.map((summary) => summary && { pending: summary.pending, unstored: summary.unstored })).toEqual(devices.map(() => ({ pending: 0, unstored: 0 })));
    expect(counts.officeKills).toBe(OFFICE_KILLS);
    expect(totalKills).toBe(plannedKills);
    expect(statuses['200'], 'answers the office gave').toBeGreaterThan(0);
    expect(Object.keys(statuses).filter((status) => Number(status) >= 500 && status !== '503'), 'answers 5xx other than 503').toEqual([]);
    expect(totalKills).toBeGreaterThanOrEqual(ROUNDS);
    expect(devices.flatMap((device) => device.committed).length).toBe(actions);
    for (const kind of ['drop', 'delay', 'cut', 'stall'] as const) expect(faults.reduce((sum, counted) => sum + counted[kind], 0), kind).toBeGreaterThan(0);

    const database = await openDatabase({ url, schema, poolSize: 2 });
    cleanups.push(() => database.close());
    await checkInvariants(database, devices);
  }, HANG_GUARD_MS);
});

/** Reads the devices' files and the office's tables: see the file comment for what must hold. */
async function checkInvariants(database: OfficeDatabase, devices: readonly FieldDevice[]): Promise<void> {
  const office = database.db;
  const canonical = await officeRecordsFor(office, NORTH);
  let reviewed = 0;
  for (const device of devices) {
    const { name } = device.spec;
    const core = DeviceCore.open({
      path: join(device.config.dir, 'device.db'),
      keyStore: new InsecureDevFileKeyStore(join(device.config.dir, 'keys.json'), new SeededRandomness(`${name}:keys`)),
      random: new SeededRandomness(`${name}:check`),
    });
    try {
      // Holds exactly the office's records; outbox drained; its chain verifies and is the office's.
      await expectConverged(office, core, canonical, name);

      // No gaps: the journal is every sequence number from 1, nothing folded away.
      const journal = core.journal();
      expect(core.checkpoints(), name).toEqual([]);
      expect(journal.map((entry) => entry.body.seq), name).toEqual(journal.map((_, index) => index + 1));

      // Every committed action is in the journal where it was confirmed, and the office applied it once.
      const bySeq = new Map(journal.map(({ body }) => [body.seq, body]));
      for (const action of device.committed) {
        const body = bySeq.get(action.seq);
        expect(body?.kind === 'record' ? body.recordId : null, `${name} seq ${action.seq}`).toBe(action.recordId);
      }
      expect(device.committed.filter((action) => action.confirmed).length, name).toBeGreaterThan(0);
      const writes = await office
        .select({ seq: recordWrites.seq, n: sql<number>`count(*)::int` })
        .from(recordWrites)
        .where(eq(recordWrites.deviceId, core.deviceId))
        .groupBy(recordWrites.seq)
        .orderBy(recordWrites.seq);
      const recordSeqs = journal.filter(({ body }) => body.kind === 'record').map(({ body }) => body.seq);
      expect(writes, name).toEqual(recordSeqs.map((seq) => ({ seq, n: 1 })));
      expect(recordSeqs, name).toEqual(device.committed.map((action) => action.seq));

      // Every entry the office did not simply accept is in the device's conflict inbox once, with its outcome...
      const notAccepted = await office
        .select({ seq: journalEntries.seq, outcome: sql<string>`${journalEntries.result}->>'outcome'` })
        .from(journalEntries)
        .where(and(eq(journalEntries.deviceId, core.deviceId), eq(journalEntries.kind, 'record'), sql`${journalEntries.result}->>'outcome' <> 'accepted'`))
        .orderBy(journalEntries.seq);
      const inbox = core
        .conflicts()
        .map((conflict) => ({ seq: conflict.seq, outcome: conflict.outcome }))
        .sort((a, b) => a.seq! - b.seq!);
      expect(inbox, name).toEqual(notAccepted);
      // ...and each that needs a reviewer is in the office's review queue.
      const queued = await office
        .selectDistinct({ seq: recordWrites.seq })
        .from(reviewItems)
        .innerJoin(recordWrites, eq(reviewItems.writeId, recordWrites.id))
        .where(eq(recordWrites.deviceId, core.deviceId))
        .orderBy(recordWrites.seq);
      expect(queued, name).toEqual(inbox.filter((conflict) => conflict.outcome === 'conflict').map(({ seq }) => ({ seq })));
      reviewed += queued.length;

      // Every signature went up and is stored.
      const stored = await office.select({ sha256: attachments.sha256 }).from(attachments).where(sql`${attachments.storedAt} IS NOT NULL`);
      const storedHashes = new Set(stored.map((row) => row.sha256));
      expect([...device.signatures].filter((sha256) => !storedHashes.has(sha256)), name).toEqual([]);
    } finally {
      core.close();
    }
  }
  expect(reviewed, 'concurrent billing edits reached the review queue').toBeGreaterThan(0);

  // Concurrent tallies add up: the office counted each committed increment exactly once.
  const [yardCount] = await office.select({ fields: records.fields }).from(records).where(and(eq(records.type, 'yardCount'), eq(records.id, YARD_COUNT)));
  const tallied = devices.flatMap((device) => device.committed).reduce((sum, action) => sum + action.tallied, 0);
  expect(yardCount?.fields.tally).toBe(tallied);
}
