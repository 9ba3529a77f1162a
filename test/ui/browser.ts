import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { tempDir } from '../support/device.js';

/** Browser tests run the built renderer in headless Chromium against the dev host. */
export const CHROMIUM = '/usr/bin/chromium';

/** Locally a missing Chromium skips the browser tests; in CI (which installs it) they must run. */
export const skipBrowserTests = !existsSync(CHROMIUM) && !process.env.CI;
if (skipBrowserTests) console.warn(`Skipping the browser tests: ${CHROMIUM} is missing. Install it with "apt-get install -y chromium".`);

export const SCREENSHOTS = resolve('test-results/ui');

export async function buildRenderer(): Promise<string> {
  const outDir = join(tempDir('waypost-renderer-'), 'renderer');
  await build({ configFile: resolve('vite.config.ts'), build: { outDir, emptyOutDir: true, sourcemap: false }, logLevel: 'silent' });
  return outDir;
}

/** The office console, built as `npm run build:console` builds it, into a temporary directory the test office serves. */
export async function buildConsole(): Promise<string> {
  const outDir = join(tempDir('waypost-console-'), 'console');
  await build({ configFile: resolve('vite.console.config.ts'), build: { outDir, emptyOutDir: true, sourcemap: false }, logLevel: 'silent' });
  return outDir;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}

/** Screens the apps are laid out for: the toughbook, an office screen, a tablet. */
export const VIEWPORTS = {
  toughbook: { width: 1280, height: 800 },
  office: { width: 1366, height: 768 },
  tablet: { width: 820, height: 1180 },
} as const;

/** A page (toughbook-sized unless told) that fails fast instead of waiting out Playwright's 30 s default. */
export async function openPage(browser: Browser, viewport: { width: number; height: number } = VIEWPORTS.toughbook): Promise<Page> {
  const page = await browser.newPage({ viewport, acceptDownloads: true });
  page.setDefaultTimeout(10_000);
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  Object.assign(page, { problems });
  return page;
}

/** Errors the page logged (script errors, CSP violations): a clean run has none. */
export function pageProblems(page: Page): string[] {
  return (page as Page & { problems: string[] }).problems;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

export interface DevHostProcess {
  url: string;
  /** SIGKILL: no shutdown code runs, as when the app is killed or the power goes. */
  kill(): Promise<void>;
}

const STARTUP_LIMIT_MS = 30_000;

/** Runs `scripts/dev-host.ts` as its own process, the way `npm start` does, on a free port. */
export function spawnDevHost(dataDir: string, rendererDir: string): Promise<DevHostProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev-host.ts'], {
    env: { ...process.env, WAYPOST_DEV_PORT: '0', WAYPOST_DEV_DATA: dataDir, WAYPOST_RENDERER_DIR: rendererDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  let output = '';
  return new Promise((resolveStart, rejectStart) => {
    const fail = (reason: string) => {
      clearTimeout(timer);
      void kill();
      rejectStart(new Error(`${reason}:\n${output}`));
    };
    const timer = setTimeout(() => fail(`the dev host did not start within ${STARTUP_LIMIT_MS} ms`), STARTUP_LIMIT_MS);
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /Waypost dev host: (http:\/\/\S+)/.exec(output)?.[1];
      if (!url) return;
      clearTimeout(timer);
      resolveStart({ url, kill });
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('exit', (code, signal) => fail(`the dev host exited (${signal ?? code}) before it was ready`));
  });
}
