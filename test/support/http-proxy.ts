import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the proxy passed it on: to which instance (its index in the list it was given). */
export interface ProxiedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  instance: number;
}

/** Headers about one connection, not the request: each side has its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive']);

function endToEnd(headers: http.IncomingHttpHeaders): http.IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

/**
 * A load balancer on 127.0.0.1 in front of several office instances: each request goes to the next
 * instance in turn, whatever connection it came on, so one device's consecutive requests land on
 * different instances. Bodies and answers stream both ways (event streams included); a client
 * going away ends the request to the instance. It can cut a request off halfway through its body,
 * as a network dropping between the balancer and an instance would.
 */
export class RoundRobinProxy {
  readonly requests: ProxiedRequest[] = [];
  readonly #server: http.Server;
  #turn = 0;
  #cutWhen: ((request: ProxiedRequest) => boolean) | null = null;

  private constructor(private readonly instances: URL[]) {
    this.#server = http.createServer((request, response) => this.#forward(request, response));
  }

  static async start(instanceUrls: string[]): Promise<RoundRobinProxy> {
    const proxy = new RoundRobinProxy(instanceUrls.map((url) => new URL(url)));
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(0, '127.0.0.1', resolve);
    });
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /**
   * The first later request `matches` accepts reaches its instance with half its body, then both its
   * connections drop. Requests before it go through.
   */
  cutWhen(matches: (request: ProxiedRequest) => boolean): void {
    this.#cutWhen = matches;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #forward(request: http.IncomingMessage, response: http.ServerResponse): void {
    const instance = this.#turn++ % this.instances.length;
    const proxied: ProxiedRequest = { method: request.method ?? 'GET', path: request.url ?? '/', headers: request.headers, instance };
    this.requests.push(proxied);
    const target = this.instances[instance]!;
    // A connection per request: nothing pooled outlives the test.
    const upstream = http.request({ host: target.hostname, port: target.port, method: proxied.method, path: proxied.path, headers: endToEnd(request.headers), agent: false });
    upstream.on('response', (answer) => {
      response.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      answer.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    request.on('error', () => upstream.destroy());
    response.on('close', () => {
      if (!response.writableFinished) upstream.destroy();
    });

    if (this.#cutWhen?.(proxied)) {
      this.#cutWhen = null;
      this.#sendHalfThenCut(request, upstream, response);
      return;
    }
    request.pipe(upstream);
  }

  #sendHalfThenCut(request: http.IncomingMessage, upstream: http.ClientRequest, response: http.ServerResponse): void {
    const half = Math.floor(Number(request.headers['content-length']) / 2);
    let sent = 0;
    request.on('data', (chunk: Buffer) => {
      if (sent >= half) return;
      const part = chunk.subarray(0, half - sent);
      sent += part.byteLength;
      if (sent < half) {
        upstream.write(part);
        return;
      }
      upstream.write(part, () => {
        upstream.destroy();
        response.destroy();
      });
    });
  }
}
