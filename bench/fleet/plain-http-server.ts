import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The trivial HTTP server of the fleet benchmarks' wire baseline, in its own process as the office
 * is: it reads each request body to the end and answers with as many bytes as the request's
 * x-reply-bytes header asks for. It sends its port over the fork IPC channel and exits when the
 * channel closes.
 */
const MAX_REPLY = 64 * 1024 * 1024;
const filler = Buffer.alloc(1024 * 1024, 0x62);

const server = createServer((request, response) => {
  request.on('data', () => {});
  request.on('end', () => {
    const size = Math.min(Math.max(Number(request.headers['x-reply-bytes']) || 0, 0), MAX_REPLY);
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': size });
    for (let sent = 0; sent < size; sent += filler.length) response.write(filler.subarray(0, Math.min(filler.length, size - sent)));
    response.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
