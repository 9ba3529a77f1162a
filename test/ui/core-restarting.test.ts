import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORE_RESTARTING } from '../../main/core-process/channel.js';
import { buildRenderer, launchBrowser, openPage, pageProblems, skipBrowserTests } from './browser.js';

/**
 * The first screen while the core process starts again after a crash: the built renderer, with a
 * stand-in for the preload that answers "restarting" (CoreRelay's answer) to the first calls. The
 * page says the core is restarting, keeps asking, and shows the sign-in once the core answers,
 * instead of stopping at an error.
 */
const ORIGIN = 'http://waypost.test';
const RESTARTING_ANSWERS = 2;

let browser: Browser;
let rendererDir: string;

describe.skipIf(skipBrowserTests)('the renderer while the core restarts', () => {
  beforeAll(async () => {
    rendererDir = await buildRenderer();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('says the core is restarting, then shows the sign-in once it answers', async () => {
    const page = await openPage(browser);
    await page.route(`${ORIGIN}/**`, async (route) => {
      const path = new URL(route.request().url()).pathname;
      const file = join(rendererDir, path === '/' ? 'index.html' : path);
      const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
      await route.fulfill({ status: 200, contentType: types[extname(file)] ?? 'application/octet-stream', body: await readFile(file) });
    });
    await page.addInitScript(
      ({ restarting, times }) => {
        const asked: string[] = [];
        let left = times;
        const api = {
          invoke: async (method: string) => {
            asked.push(method);
            if (method !== 'session.current') return { ok: false, error: { code: 'unavailable', message: 'not in this test' } };
            if (left-- > 0) return restarting;
            return { ok: true, value: null };
          },
        };
        Object.defineProperty(globalThis, 'waypost', { value: api });
        Object.defineProperty(globalThis, 'waypostAsked', { value: asked });
      },
      { restarting: CORE_RESTARTING, times: RESTARTING_ANSWERS },
    );
    await page.goto(`${ORIGIN}/`);
    await expect(page.getByText(/restarting its data service/).textContent()).resolves.toContain('Everything saved is kept');
    await page.getByRole('form', { name: 'Sign in' }).waitFor();
    const asked = await page.evaluate(() => (globalThis as unknown as { waypostAsked: string[] }).waypostAsked.filter((method) => method === 'session.current').length);
    expect(asked).toBe(RESTARTING_ANSWERS + 1);
    expect(pageProblems(page)).toEqual([]);
  });
});
