import { networkError } from '../../../main/core/sync/errors.js';
import type { BinaryTransport, EventStream, EventStreamHandlers, SyncTransport, TransportResponse } from '../../../main/core/sync/transport.js';
import type { Dice } from '../../support/device.js';
import type { SimOffice } from './office.js';

/**
 * The network between one device and the office, and the device's side of the live stream. Each
 * fault has a rate the run's seed chose. What a fault did is written to the trace.
 */
export interface LinkRates {
  /** The request never reaches the office. */
  lose: number;
  /** The office handles the request (and commits); its answer is lost. */
  loseAnswer: number;
  /** The request reaches the office twice. */
  duplicate: number;
  /** The request is held back and reaches the office later, out of order; the device times out. */
  hold: number;
  /** The answer arrives cut short (not JSON) or garbled (not the contract). */
  damageAnswer: number;
  /** The office process dies at some query of the request, and starts again. */
  killOffice: number;
  /** The device process dies while it waits for the answer. */
  killDevice: number;
  /** A live notification: lost with the stream cut, held back, or told twice. */
  streamCut: number;
  streamDelay: number;
  streamDuplicate: number;
  /** An attachment chunk is cut mid-upload: the office keeps what arrived, the device hears nothing. */
  cutChunk: number;
}

export const NO_FAULTS: LinkRates = {
  lose: 0,
  loseAnswer: 0,
  duplicate: 0,
  hold: 0,
  damageAnswer: 0,
  killOffice: 0,
  killDevice: 0,
  streamCut: 0,
  streamDelay: 0,
  streamDuplicate: 0,
  cutChunk: 0,
};

interface Held {
  path: string;
  body: unknown;
  headers: Record<string, string>;
}

export interface LinkContext {
  office: SimOffice;
  dice: Dice;
  trace(line: string): void;
  now(): number;
  /** The office committed something the other devices should hear of. */
  committed(): void;
  count(fault: string): void;
}

/** Never settles: the process that waited for it is gone. */
const forever = <T>(): Promise<T> => new Promise<T>(() => undefined);

export class SimLink implements SyncTransport, BinaryTransport {
  rates: LinkRates = NO_FAULTS;
  /** No route to the office until then (office clock). */
  partitionedUntil = 0;
  readonly held: Held[] = [];
  readonly delayedEvents: string[] = [];
  /** The device's last push attempt, seen from the network: its failure must show on the device. */
  lastPush: { failed: boolean; at: number } | null = null;
  /** Called when the device process dies waiting for an answer. */
  onDeviceKilled: () => void = () => undefined;
  readonly #streams = new Set<EventStreamHandlers>();
  /** The device process's life: answers to an earlier one are never delivered. */
  #generation = 0;
  /** The answer on its way was damaged: the device got nothing it could use. */
  #damaged = false;

  constructor(
    readonly name: string,
    private readonly context: LinkContext,
  ) {}

  get partitioned(): boolean {
    return this.context.now() < this.partitionedUntil;
  }

  /** The device process died: its requests in flight and its streams are gone with it. */
  processDied(): void {
    this.#generation++;
    this.#streams.clear();
    this.lastPush = null;
  }

  async post(path: string, body: unknown, headers: Record<string, string>): Promise<TransportResponse> {
    const generation = this.#generation;
    const push = path === '/v1/sync/push';
    this.#damaged = false;
    try {
      const answer = await this.#post(path, body, headers);
      if (generation !== this.#generation) return forever();
      if (push) this.lastPush = { failed: answer.status >= 500 || this.#damaged, at: this.context.now() };
      return answer;
    } catch (error) {
      if (generation !== this.#generation) return forever();
      if (push) this.lastPush = { failed: true, at: this.context.now() };
      throw error;
    }
  }

  async #post(path: string, body: unknown, headers: Record<string, string>): Promise<TransportResponse> {
    const { dice, trace } = this.context;
    const what = `${this.name} ${path.replace('/v1/sync/', '')}`;
    if (this.partitioned) throw networkError(new Error('no route to host'));
    const rates = this.rates;
    if (dice.chance(rates.lose)) {
      trace(`  net: ${what} lost on the way`);
      this.context.count('requestsLost');
      throw networkError(new Error('request lost'));
    }
    if (dice.chance(rates.hold)) {
      trace(`  net: ${what} held back`);
      this.context.count('requestsHeld');
      this.held.push({ path, body: structuredClone(body), headers });
      throw networkError(new Error('timed out'));
    }
    if (dice.chance(rates.killDevice)) {
      const delivered = dice.chance(0.5);
      trace(`  kill: ${this.name} dies waiting for ${path.replace('/v1/sync/', '')} (request ${delivered ? 'delivered' : 'not sent'})`);
      this.context.count('deviceKillsInFlight');
      if (delivered) await this.#deliver(path, body, headers, false);
      this.onDeviceKilled();
      return forever();
    }
    if (dice.chance(rates.duplicate)) {
      trace(`  net: ${what} delivered twice`);
      this.context.count('duplicated');
      const answers = await Promise.all([this.#deliver(path, body, headers, false), this.#deliver(path, body, headers, false)]);
      return answers[dice.below(2)]!;
    }
    const killOffice = dice.chance(rates.killOffice);
    const answer = await this.#deliver(path, body, headers, killOffice);
    if (dice.chance(rates.loseAnswer)) {
      trace(`  net: ${what} answer lost (${answer.status})`);
      this.context.count('answersLost');
      throw networkError(new Error('answer lost'));
    }
    if (answer.status === 200 && dice.chance(rates.damageAnswer)) {
      const cut = dice.chance(0.5);
      trace(`  net: ${what} answer ${cut ? 'cut short' : 'garbled'}`);
      this.#damaged = true;
      this.context.count('answersDamaged');
      return { ...answer, body: cut ? null : garbled(answer.body, dice) };
    }
    return answer;
  }

  /** The request reaches the office; with `kill`, the office dies at one of its queries. */
  async #deliver(path: string, body: unknown, headers: Record<string, string>, kill: boolean): Promise<TransportResponse> {
    const { office, dice, trace } = this.context;
    if (office.kill.dead) throw networkError(new Error('connection refused: the office is restarting'));
    const restarts = office.restarts;
    if (kill && dice.chance(0.4)) office.kill.armAtCommit();
    else if (kill) office.kill.arm(dice.below(20));
    const answer = await office.inject('POST', path, body, headers);
    office.kill.disarm();
    if (answer.status < 300 && path === '/v1/sync/push') this.context.committed();
    if (office.kill.dead || office.restarts !== restarts) {
      if (office.kill.dead) {
        trace(`  kill: the office dies during ${this.name} ${path.replace('/v1/sync/', '')} and starts again`);
        this.context.count('officeKills');
        await office.restart();
      }
      // Only an answer already made before the process died (a 2xx) can have left it.
      if (answer.status >= 500) throw networkError(new Error('connection reset'));
    }
    return answer;
  }

  async patch(path: string, bytes: Uint8Array, headers: Record<string, string>): Promise<TransportResponse> {
    const generation = this.#generation;
    const { office, dice, trace } = this.context;
    if (this.partitioned || office.kill.dead) throw networkError(new Error('no route to host'));
    const cut = dice.chance(this.rates.cutChunk);
    const sent = cut ? bytes.subarray(0, dice.below(bytes.length)) : bytes;
    const answer = await office.inject('PATCH', path, Buffer.from(sent), { ...headers, 'content-type': 'application/octet-stream' });
    if (generation !== this.#generation) return forever();
    if (!cut) return answer;
    trace(`  net: ${this.name} attachment chunk cut after ${sent.length} of ${bytes.length} bytes`);
    this.context.count('chunksCut');
    throw networkError(new Error('connection cut mid-upload'));
  }

  /** A request held back reaches the office now; nobody waits for its answer. */
  async deliverHeld(index: number): Promise<void> {
    const [request] = this.held.splice(index, 1);
    if (!request) return;
    this.context.trace(`  net: held ${this.name} ${request.path.replace('/v1/sync/', '')} arrives late`);
    if (!this.context.office.kill.dead) await this.context.office.inject('POST', request.path, request.body, request.headers);
  }

  events(_path: string, _headers: Record<string, string>, handlers: EventStreamHandlers): EventStream {
    const generation = this.#generation;
    queueMicrotask(() => {
      if (generation !== this.#generation) return;
      if (this.partitioned || this.context.office.kill.dead) {
        handlers.onClose(networkError(new Error('stream could not connect')));
        return;
      }
      this.#streams.add(handlers);
      handlers.onEvent('ready', '{}');
    });
    return { close: () => this.#streams.delete(handlers) };
  }

  /** The office tells the connected stream that something changed. */
  announce(data: string): void {
    const { dice, trace } = this.context;
    for (const handlers of [...this.#streams]) {
      if (this.partitioned || dice.chance(this.rates.streamCut)) {
        trace(`  stream: ${this.name} cut`);
        this.context.count('streamsCut');
        this.#streams.delete(handlers);
        handlers.onClose(networkError(new Error('stream cut')));
      } else if (dice.chance(this.rates.streamDelay)) {
        this.delayedEvents.push(data);
        this.context.count('eventsDelayed');
      } else {
        handlers.onEvent('changes', data);
        if (dice.chance(this.rates.streamDuplicate)) {
          this.context.count('eventsDuplicated');
          handlers.onEvent('changes', data);
        }
      }
    }
  }

  /** Live notifications held back arrive now. */
  flushEvents(): void {
    const events = this.delayedEvents.splice(0);
    for (const data of events) for (const handlers of [...this.#streams]) handlers.onEvent('changes', data);
  }
}

/** An answer that is not the contract: one top-level member dropped or replaced by a string. */
function garbled(body: unknown, dice: Dice): unknown {
  if (!body || typeof body !== 'object') return 'garbage';
  const copy = { ...(body as Record<string, unknown>) };
  const key = dice.pick(Object.keys(copy).sort());
  if (key === undefined) return 'garbage';
  if (dice.chance(0.5)) delete copy[key];
  else copy[key] = '\u0000garbled';
  return copy;
}
