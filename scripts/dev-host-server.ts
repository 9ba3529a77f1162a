import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { build } from 'esbuild';
import { DeviceCore } from '../main/core/device-core.js';
import type { SessionPolicy } from '../main/core/sessions.js';
import { DeviceSync, enrollOnFirstStart } from '../main/core/sync/device-sync.js';
import { FetchTransport } from '../main/core/sync/transport.js';
import { SwitchableLink } from './office-link.js';
import type { DeviceKind } from '../protocol/wire.js';
import { MAX_ATTACHMENT_BYTES } from '../protocol/records/attachments.js';
import { InsecureDevFileKeyStore } from '../main/core/keystore-dev.js';
import { systemClock, systemRandomness } from '../main/core/ports.js';
import type { IpcResult } from '../main/ipc/contract.js';
import { createIpcHandler } from '../main/ipc/handlers.js';
import { provisionDemoOperators } from './demo-operators.js';

/**
 * The dev host: the real renderer in any browser, talking to a real DeviceCore through the same
 * IPC handler the Electron shell uses. Only the transport differs: POST /ipc instead of
 * ipcRenderer.invoke, and a browser stand-in for the preload (preload/browser.ts).
 */
export interface DevHostOptions {
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  /** The built renderer (vite build). */
  rendererDir: string;
  /** The site records carry while the dev device is not enrolled with an office. */
  siteId?: string;
  /** The office to sync with; without one the device works alone with two local demo operators. */
  office?: DevHostOffice;
  /** Session timeouts other than the defaults (browser tests lock in seconds, not minutes). */
  sessionPolicy?: Partial<SessionPolicy>;
}

export interface DevHostOffice {
  url: string;
  /** Asked for only on the first start, while the device is not enrolled yet. */
  enrollmentToken(): Promise<string>;
  /** Default 'kiosk': the demo device is shared by a gate clerk and an inspector. */
  kind?: DeviceKind;
  label?: string;
  syncIntervalMs?: number;
  /** The schema version to claim, as an outdated build would (to see the forced update). */
  schemaVersion?: number;
}

export interface DevHost {
  url: string;
  core: DeviceCore;
  /** The device's sync, when it has an office. */
  sync: DeviceSync | null;
  /** The link to the office, which /dev can cut (null without an office). */
  link: SwitchableLink | null;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
/** Room for the largest call, a photo at the attachment limit in base64 (4 characters per 3 bytes). */
const MAX_BODY_BYTES = Math.ceil(MAX_ATTACHMENT_BYTES / 3) * 4 + 64 * 1024;
const PRELOAD_PATH = '/waypost-preload.js';
const DEV_PAGE_PATH = '/dev';
const OFFICE_LINK_PATH = '/dev/office-link';
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export async function startDevHost(options: DevHostOptions): Promise<DevHost> {
  const rendererDir = resolve(options.rendererDir);
  if (!existsSync(join(rendererDir, 'index.html'))) throw new Error(`no built renderer in ${rendererDir}: run "npx vite build" first`);
  mkdirSync(options.dataDir, { recursive: true });
  const core = DeviceCore.open({
    path: join(options.dataDir, 'device.db'),
    keyStore: new InsecureDevFileKeyStore(join(options.dataDir, 'dev-keys.json'), systemRandomness),
    sessionPolicy: options.sessionPolicy,
  });
  let sync: DeviceSync | null = null;
  let link: SwitchableLink | null = null;
  try {
    if (options.office) ({ sync, link } = await startOfficeSync(core, options.office));
    else provisionDemoOperators(core, systemRandomness);
  } catch (error) {
    core.close();
    throw error;
  }
  const handle = createIpcHandler(core, { unenrolledSiteId: options.siteId ?? 'dev-yard', sync: () => sync });
  const preload = await bundleBrowserPreload();

  const server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      console.error('dev host request failed', error);
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'dev host error');
      else response.destroy();
    });
  });

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const origin = `http://${request.headers.host ?? ''}`;
    // A web page elsewhere must not drive the core through the user's browser (DNS rebinding, CSRF).
    if (request.headers.host !== `${HOST}:${port()}` && request.headers.host !== `localhost:${port()}`) {
      return send(response, 421, 'text/plain; charset=utf-8', 'unknown host');
    }
    const path = new URL(request.url ?? '/', origin).pathname;
    if (path === '/ipc') {
      if (request.method !== 'POST') return send(response, 405, 'text/plain; charset=utf-8', 'POST only');
      if (request.headers.origin !== undefined && request.headers.origin !== origin) return send(response, 403, 'text/plain; charset=utf-8', 'cross-origin call refused');
      if (!request.headers['content-type']?.startsWith('application/json')) return send(response, 415, 'text/plain; charset=utf-8', 'JSON only');
      const body = await readBody(request);
      if (body === null) return sendResult(response, 413, refusal('invalid-input', `request body over ${MAX_BODY_BYTES} bytes`));
      let call: { method?: unknown; input?: unknown };
      try {
        call = JSON.parse(body) as typeof call;
      } catch {
        return sendResult(response, 400, refusal('invalid-input', 'request body is not JSON'));
      }
      if (typeof call !== 'object' || call === null) return sendResult(response, 400, refusal('invalid-input', 'request body is not an object'));
      return sendResult(response, 200, await handle(call.method, call.input));
    }
    if (path === DEV_PAGE_PATH || path === OFFICE_LINK_PATH) return serveDevPage(request, response, path, origin);
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'text/plain; charset=utf-8', 'GET only');
    if (path === PRELOAD_PATH) return send(response, 200, CONTENT_TYPES['.js']!, preload);
    if (path === '/' || path === '/index.html') return send(response, 200, CONTENT_TYPES['.html']!, indexWithPreload(rendererDir));
    return sendFile(response, rendererDir, path);
  }

  /** The developer's page: whether the office can be reached, and a button to cut or restore the link (no script: a form). */
  async function serveDevPage(request: IncomingMessage, response: ServerResponse, path: string, origin: string): Promise<void> {
    if (path === OFFICE_LINK_PATH) {
      if (request.method !== 'POST') return send(response, 405, 'text/plain; charset=utf-8', 'POST only');
      if (request.headers.origin !== origin) return send(response, 403, 'text/plain; charset=utf-8', 'cross-origin call refused');
      const form = new URLSearchParams((await readBody(request)) ?? '');
      if (!link) return send(response, 409, 'text/plain; charset=utf-8', 'this dev host has no office');
      link.setReachable(form.get('reachable') === 'true');
      response.writeHead(303, { ...SAFE_HEADERS, location: DEV_PAGE_PATH });
      return void response.end();
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'text/plain; charset=utf-8', 'GET only');
    response.writeHead(200, { ...SAFE_HEADERS, 'content-type': CONTENT_TYPES['.html']!, 'content-security-policy': "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'" });
    response.end(devPage(link, sync, core));
  }

  await new Promise<void>((listening) => server.listen(options.port, HOST, listening));
  const port = () => (server.address() as AddressInfo).port;
  return {
    url: `http://${HOST}:${port()}/`,
    core,
    sync,
    link,
    close: async () => {
      await new Promise<void>((closed) => {
        server.close(() => closed());
        server.closeAllConnections();
      });
      sync?.stop();
      await sync?.whenIdle();
      core.close();
    },
  };
}

/** Enrolls the device on its first start, then syncs once (so the office's operators can sign in) and keeps syncing. */
async function startOfficeSync(core: DeviceCore, office: DevHostOffice): Promise<{ sync: DeviceSync; link: SwitchableLink }> {
  const transport = new FetchTransport(office.url);
  await enrollOnFirstStart(core, { transport, token: office.enrollmentToken, kind: office.kind ?? 'kiosk', label: office.label ?? 'Waypost dev host' });
  // When the link comes back the daemon hears it as the OS's "online" and syncs at once.
  const link = new SwitchableLink(transport, () => sync.networkChanged(true));
  const sync = new DeviceSync(core, {
    transport: link,
    clock: systemClock,
    random: systemRandomness,
    intervalMs: office.syncIntervalMs,
    // npm run sets the package's version; the office's fleet page shows it.
    client: { appVersion: process.env.npm_package_version, ...(office.schemaVersion === undefined ? {} : { schemaVersion: office.schemaVersion }) },
  });
  sync.start();
  await sync.whenIdle();
  return { sync, link };
}

function devPage(link: SwitchableLink | null, sync: DeviceSync | null, core: DeviceCore): string {
  const status = sync?.status();
  const pending = core.status().outbox.pending;
  const state = !link ? 'This dev host runs without an office.' : link.reachable ? 'The office can be reached.' : 'The office is unreachable: the device works offline and queues what it records.';
  const queue = status ? `<p>Waiting to send: ${pending}. Last synced: ${status.lastSuccessAt ? new Date(status.lastSuccessAt).toLocaleTimeString() : 'never'}.</p>` : '';
  const toggle = link
    ? `<form method="post" action="${OFFICE_LINK_PATH}"><input type="hidden" name="reachable" value="${String(!link.reachable)}"><button type="submit">${link.reachable ? 'Cut the office link' : 'Restore the office link'}</button></form>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Waypost dev host</title></head><body><h1>Waypost dev host</h1><p>${state}</p>${queue}${toggle}<p><a href="/">Back to the app</a> (reload this page to see the queue now)</p></body></html>`;
}

async function bundleBrowserPreload(): Promise<string> {
  const result = await build({
    entryPoints: [new URL('../preload/browser.ts', import.meta.url).pathname],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'chrome120',
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** The built page, with the browser preload loaded first (a classic script runs before the app's module). */
function indexWithPreload(rendererDir: string): string {
  const html = readFileSync(join(rendererDir, 'index.html'), 'utf8');
  return html.replace('<script', `<script src="${PRELOAD_PATH}"></script>\n    <script`);
}

function sendFile(response: ServerResponse, rendererDir: string, path: string): void {
  let file: string;
  try {
    file = resolve(rendererDir, `.${decodeURIComponent(path)}`);
  } catch {
    return send(response, 400, 'text/plain; charset=utf-8', 'bad path');
  }
  if (!file.startsWith(rendererDir + sep) || !existsSync(file) || !statSync(file).isFile()) {
    return send(response, 404, 'text/plain; charset=utf-8', 'not found');
  }
  response.writeHead(200, { ...SAFE_HEADERS, 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(response);
}

const SAFE_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { ...SAFE_HEADERS, 'content-type': contentType });
  response.end(body);
}

function sendResult(response: ServerResponse, status: number, result: IpcResult): void {
  send(response, status, CONTENT_TYPES['.json']!, JSON.stringify(result));
}

function refusal(code: string, message: string): IpcResult {
  return { ok: false, error: { code, message } };
}

/** The request body, or null once it grows past the limit. */
async function readBody(request: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
