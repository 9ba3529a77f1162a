import net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a real server, to cut the office off from its database the
 * way networks do: a partition (connections stay open, nothing gets through either way, new ones
 * are accepted and go nowhere), then healing (what was held goes through), or resets (every
 * connection, open or new, is reset).
 */
export class TcpProxy {
  readonly #server: net.Server;
  readonly #links = new Set<Link>();
  readonly #upstreamPorts = new Set<number>();
  #mode: 'forward' | 'partitioned' | 'resetting' = 'forward';
  #holdAfter: string | null = null;
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

/** One client connection and its connection to the target; data and goodbyes queue while partitioned. */
class Link {
  upstream: net.Socket | null = null;
  readonly #toUpstream: (Buffer | 'end')[] = [];
  readonly #toClient: (Buffer | 'end')[] = [];
  #ended = false;

  constructor(
    private readonly client: net.Socket,
    private readonly proxy: TcpProxy,
    private readonly onEnd: () => void,
  ) {
    client.on('data', (chunk: Buffer) => {
      proxy.traffic.up += chunk.length;
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

  #send(queue: (Buffer | 'end')[], item: Buffer | 'end', now: boolean): void {
    queue.push(item);
    if (now) this.#drain();
  }

  #drain(): void {
    if (this.#ended || !this.upstream) return;
    for (const item of this.#toUpstream.splice(0)) {
      if (item === 'end') this.upstream.end();
      else this.upstream.write(item);
    }
    for (const item of this.#toClient.splice(0)) {
      if (item === 'end') this.client.end();
      else this.client.write(item);
    }
    if (this.client.writableEnded && this.upstream.writableEnded) this.#close();
  }

  /** A side is gone for good (closed, reset, or failed): so is the other, at once. */
  #close(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.client.destroy();
    this.upstream?.destroy();
    this.onEnd();
  }
}
