import net from 'node:net';

/**
 * What the proxy does to one HTTP/1.1 request on its way through (`injectFaults`), as a cellular
 * link does to a device's requests: `drop` resets the connection as the request arrives, so it
 * never reaches the target; `delay` lets it reach the target `ms` late; `cut` lets the target
 * answer and ends the connection after the first `afterBytes` bytes of the answer; `stall` holds
 * the answer for `ms`, then resets the connection without it.
 */
export type RequestFault = { kind: 'drop' } | { kind: 'delay'; ms: number } | { kind: 'cut'; afterBytes: number } | { kind: 'stall'; ms: number };

/** Told of HTTP requests going through (`watch`), by request line ("POST /v1/sync/push"). */
export interface HttpWatcher {
  /** A request arrived and was not dropped: it is on its way to the target. */
  onRequest?(requestLine: string): void;
  /** The first bytes of its answer arrived from the target, on their way to the client; `status` is its HTTP status. */
  onAnswer?(requestLine: string, status: number | null): void;
}

const REQUEST_LINE = /^([A-Z]+ \S+) HTTP\/1\.[01]\r\n/;

/** The status of the answer a chunk starts, or null when it does not start one. */
function statusOf(chunk: Buffer): number | null {
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(chunk.toString('latin1', 0, Math.min(chunk.length, 16)))?.[1];
  return status === undefined ? null : Number(status);
}

/** The method and path of the request a chunk starts, or null when it does not start one. */
function requestLine(chunk: Buffer): string | null {
  return REQUEST_LINE.exec(chunk.toString('latin1', 0, Math.min(chunk.length, 2048)))?.[1] ?? null;
}

/**
 * A TCP proxy on 127.0.0.1 in front of a real server, to cut the office off from its database the
 * way networks do: a partition (connections stay open, nothing gets through either way, new ones
 * are accepted and go nowhere), then healing (what was held goes through), or resets (every
 * connection, open or new, is reset). In front of an HTTP server it can also fail single requests
 * (`injectFaults`) and tell who watches where requests and answers are (`watch`).
 */
export class TcpProxy {
  readonly #server: net.Server;
  readonly #links = new Set<Link>();
  readonly #upstreamPorts = new Set<number>();
  #mode: 'forward' | 'partitioned' | 'resetting' = 'forward';
  #holdAfter: string | null = null;
  #chooseFault: ((requestLine: string) => RequestFault | null) | null = null;
  #watcher: HttpWatcher | null = null;
  /** Requests failed by `injectFaults`, by kind. */
  readonly faults: Record<RequestFault['kind'], number> = { drop: 0, delay: 0, cut: 0, stall: 0 };
  /**
   * What went through, counted as it arrives at the proxy: bytes from clients (`up`), bytes from
   * the target (`down`), and client connections accepted. Benchmarks read it; nothing else does.
   */
  readonly traffic = { up: 0, down: 0, connections: 0 };

  private constructor(
    private readonly target: { host: string; port: number },
    server: net.Server,
  ) {
    this.#server = server;
  }

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    // Half-open: a side's goodbye is forwarded (or held) like its data, never answered by the proxy.
    const server = net.createServer({ allowHalfOpen: true });
    const proxy = new TcpProxy(target, server);
    server.on('connection', (socket) => proxy.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return proxy;
  }

  /** The target's URL (postgres://…) with this proxy's address in its place. */
  urlFor(targetUrl: string): string {
    const parsed = new URL(targetUrl);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** Local ports of every connection the proxy opened to the target (the target knows its clients by them). */
  get upstreamPorts(): number[] {
    return [...this.#upstreamPorts];
  }

  /** Nothing gets through any more, either way; sockets stay open. */
  partition(): void {
    this.#mode = 'partitioned';
  }

  /** Partitions as soon as a client sends bytes containing `text`; those bytes still go through. */
  partitionAfter(text: string): void {
    this.#holdAfter = text;
  }

  /** Every open connection is reset, and so is every new one until `heal`. */
  reset(): void {
    this.#mode = 'resetting';
    for (const link of [...this.#links]) link.reset();
  }

  /** Traffic flows again: what a partition held goes through. */
  heal(): void {
    this.#mode = 'forward';
    this.#holdAfter = null;
    for (const link of [...this.#links]) link.flow();
  }

  /** From now on each request passing through gets the fault `choose` returns for it (null: none); null stops faults. */
  injectFaults(choose: ((requestLine: string) => RequestFault | null) | null): void {
    this.#chooseFault = choose;
  }

  watch(watcher: HttpWatcher | null): void {
    this.#watcher = watcher;
  }

  /** Whether chunks from clients are read as HTTP (only while faults or a watcher need it). */
  get readsHttp(): boolean {
    return this.#chooseFault !== null || this.#watcher !== null;
  }

  /** A request arrived: the fault it gets, counted, and the watcher told unless it is dropped. */
  requestArrived(line: string): RequestFault | null {
    const fault = this.#chooseFault?.(line) ?? null;
    if (fault) this.faults[fault.kind]++;
    if (fault?.kind !== 'drop') this.#watcher?.onRequest?.(line);
    return fault;
  }

  answerArrived(line: string, firstChunk: Buffer): void {
    this.#watcher?.onAnswer?.(line, statusOf(firstChunk));
  }

  async close(): Promise<void> {
    for (const link of [...this.#links]) link.reset();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  get partitioned(): boolean {
    return this.#mode === 'partitioned';
  }

  /** Starts the traffic counts again from zero. */
  resetTraffic(): void {
    this.traffic.up = 0;
    this.traffic.down = 0;
    this.traffic.connections = 0;
  }

  #accept(client: net.Socket): void {
    this.traffic.connections++;
    if (this.#mode === 'resetting') {
      client.resetAndDestroy();
      return;
    }
    const link = new Link(client, this, () => this.#links.delete(link));
    this.#links.add(link);
    if (this.#mode === 'forward') link.flow();
  }

  /** Called with every chunk a client sends, before it is forwarded or held. */
  inspect(chunk: Buffer): void {
    if (this.#holdAfter !== null && chunk.includes(this.#holdAfter)) {
      this.#holdAfter = null;
      this.#mode = 'partitioned';
    }
  }

  connectUpstream(): net.Socket {
    const upstream = net.connect({ port: this.target.port, host: this.target.host, allowHalfOpen: true });
    upstream.once('connect', () => this.#upstreamPorts.add(upstream.localPort!));
    return upstream;
  }
}

/**
 * One client connection and its connection to the target; data and goodbyes queue while
 * partitioned, and while a request's fault holds them.
 */
class Link {
  upstream: net.Socket | null = null;
  readonly #toUpstream: (Buffer | 'end')[] = [];
  readonly #toClient: (Buffer | 'end')[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  #ended = false;
  /** The request whose answer comes next, and whether the watcher heard of that answer yet. */
  #request: string | null = null;
  #answerStarted = false;
  /** Faults of the current request: the request held back, the answer held, the answer's bytes left before the cut. */
  #holdingRequest = false;
  #holdingAnswer = false;
  #stallMs: number | null = null;
  #cutAfter: number | null = null;

  constructor(
    private readonly client: net.Socket,
    private readonly proxy: TcpProxy,
    private readonly onEnd: () => void,
  ) {
    client.on('data', (chunk: Buffer) => {
      proxy.traffic.up += chunk.length;
      const line = proxy.readsHttp ? requestLine(chunk) : null;
      if (line !== null && !this.#startRequest(line)) return;
      const partitionedBefore = proxy.partitioned;
      proxy.inspect(chunk);
      this.#send(this.#toUpstream, chunk, !partitionedBefore);
    });
    client.on('end', () => this.#send(this.#toUpstream, 'end', !proxy.partitioned));
    client.on('close', () => this.#close());
    client.on('error', () => this.#close());
  }

  /** Connects to the target if not yet connected, and forwards what is queued. */
  flow(): void {
    if (this.#ended) return;
    if (!this.upstream) {
      const upstream = this.proxy.connectUpstream();
      this.upstream = upstream;
      upstream.on('data', (chunk: Buffer) => {
        this.proxy.traffic.down += chunk.length;
        if (this.#request !== null && !this.#answerStarted) this.#startAnswer(this.#request, chunk);
        this.#send(this.#toClient, chunk, !this.proxy.partitioned);
      });
      upstream.on('end', () => this.#send(this.#toClient, 'end', !this.proxy.partitioned));
      upstream.on('error', () => this.#close());
    }
    this.#drain();
  }

  reset(): void {
    if (!this.client.destroyed) this.client.resetAndDestroy();
    this.#close();
  }

  /** Applies the fault chosen for a request that starts here; false when the request is dropped. */
  #startRequest(line: string): boolean {
    const fault = this.proxy.requestArrived(line);
    if (fault?.kind === 'drop') {
      this.reset();
      return false;
    }
    this.#request = line;
    this.#answerStarted = false;
    this.#stallMs = fault?.kind === 'stall' ? fault.ms : null;
    this.#cutAfter = fault?.kind === 'cut' ? fault.afterBytes : null;
    if (fault?.kind === 'delay') {
      this.#holdingRequest = true;
      this.#later(fault.ms, () => {
        this.#holdingRequest = false;
        this.#drain();
      });
    }
    return true;
  }

  #startAnswer(line: string, firstChunk: Buffer): void {
    this.#answerStarted = true;
    this.proxy.answerArrived(line, firstChunk);
    if (this.#stallMs === null) return;
    this.#holdingAnswer = true;
    this.#later(this.#stallMs, () => this.reset());
  }

  #later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    timer.unref();
    this.#timers.add(timer);
  }

  #send(queue: (Buffer | 'end')[], item: Buffer | 'end', now: boolean): void {
    queue.push(item);
    if (now) this.#drain();
  }

  #drain(): void {
    if (this.#ended || !this.upstream) return;
    if (!this.#holdingRequest) {
      for (const item of this.#toUpstream.splice(0)) {
        if (item === 'end') this.upstream.end();
        else this.upstream.write(item);
      }
    }
    if (!this.#holdingAnswer) {
      for (const item of this.#toClient.splice(0)) {
        if (item === 'end') this.client.end();
        else if (!this.#writeAnswer(item)) return;
      }
    }
    if (this.client.writableEnded && this.upstream.writableEnded) this.#close();
  }

  /** Writes answer bytes up to a cut; false once the cut is reached (the connection then ends). */
  #writeAnswer(chunk: Buffer): boolean {
    if (this.#cutAfter === null || chunk.length < this.#cutAfter) {
      if (this.#cutAfter !== null) this.#cutAfter -= chunk.length;
      this.client.write(chunk);
      return true;
    }
    // What was written reaches the client before the connection ends, and nothing after it does.
    this.#holdingAnswer = true;
    this.client.write(chunk.subarray(0, this.#cutAfter), () => this.#close());
    return false;
  }

  /** A side is gone for good (closed, reset, or failed): so is the other, at once. */
  #close(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.client.destroy();
    this.upstream?.destroy();
    this.onEnd();
  }
}
