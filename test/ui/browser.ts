import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, expect } from 'vitest';
import { startDevHost, type DevHost } from '../../scripts/dev-host-server.js';
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

/** The dev host on an empty data directory (site yard-7), Chromium and one page in it. */
export interface BrowserOnDevHost {
  host: DevHost;
  browser: Browser;
  page: Page;
}

/**
 * Starts a dev host, Chromium and a page before the calling describe's tests and closes them after
 * them, so its tests walk on from where the one before left off. The fields are set once the tests
 * start: read them inside hooks and tests, not when the describe is declared.
 */
export function useBrowserOnDevHost(viewport?: { width: number; height: number }): BrowserOnDevHost {
  const session = {} as BrowserOnDevHost;
  beforeAll(async () => {
    session.host = await startDevHost({ port: 0, dataDir: tempDir('waypost-ui-'), rendererDir: await buildRenderer(), siteId: 'yard-7' });
    session.browser = await launchBrowser();
    session.page = await openPage(session.browser, viewport);
  });
  afterAll(async () => {
    // Either may be missing when starting failed part way.
    await session.browser?.close();
    await session.host?.close();
  });
  return session;
}

/** Signs in from the sign-in screen with a badge and PIN, and waits until the operator is in. */
export async function signIn(page: Page, operator: { badgeId: string; pin: string }): Promise<void> {
  await page.getByLabel('Badge ID').fill(operator.badgeId);
  await page.getByLabel('PIN').fill(operator.pin);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Every control is at least `px` wide and high as laid out (a gloved finger's target); a failure names the control by its HTML. */
export async function expectTargetsAtLeast(controls: Locator[], px: number): Promise<void> {
  for (const control of controls) {
    const box = (await control.boundingBox())!;
    const name = await control.evaluate((element) => (element as unknown as { outerHTML: string }).outerHTML.slice(0, 160));
    expect(Math.round(box.height), name).toBeGreaterThanOrEqual(px);
    expect(Math.round(box.width), name).toBeGreaterThanOrEqual(px);
  }
}

/** The top bar fits the window with "Sign out" on it, and nothing makes the page scroll sideways. */
export async function expectTopBarFits(page: Page): Promise<void> {
  const signOut = (await page.getByRole('button', { name: 'Sign out' }).boundingBox())!;
  expect(signOut.x + signOut.width).toBeLessThanOrEqual(page.viewportSize()!.width);
  const overflow = await page.evaluate(() => {
    const root = (globalThis as any).document.documentElement;
    return root.scrollWidth - root.clientWidth;
  });
  expect(overflow).toBe(0);
}

/** Night: nothing on screen is painted pure white, neither a background nor words. */
export async function expectNoWhite(page: Page): Promise<void> {
  const white = await page.evaluate(() => {
    const document = (globalThis as any).document;
    const view = document.defaultView;
    const found: string[] = [];
    for (const element of document.querySelectorAll('body *')) {
      const style = view.getComputedStyle(element);
      const box = element.getBoundingClientRect();
      // A filtered element is shown as its filter makes it (the signature pad keeps a white PNG, shown dimmed).
      if (box.width === 0 || box.height === 0 || style.visibility === 'hidden' || style.filter !== 'none') continue;
      if (style.backgroundColor === 'rgb(255, 255, 255)' || (style.color === 'rgb(255, 255, 255)' && element.textContent.trim())) found.push(element.outerHTML.slice(0, 100));
    }
    return found;
  });
  expect(white).toEqual([]);
}

/** Draws a zigzag on the signature pad labelled `label` (the mouse acts on the viewport, so the pad is scrolled into it first); accepting it is the caller's. */
export async function scribbleSignature(page: Page, label: string): Promise<void> {
  const pad = page.getByRole('img', { name: `${label}: sign here` });
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.6);
  await page.mouse.down();
  for (let step = 1; step <= 10; step++) await page.mouse.move(box.x + box.width * (0.1 + step * 0.07), box.y + box.height * (step % 2 ? 0.3 : 0.7), { steps: 3 });
  await page.mouse.up();
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
