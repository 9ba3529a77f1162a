import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

/**
 * Renders the app icon (renderer/public/icon.svg, also the page's favicon) to build/icon.png at
 * 512 px, the size electron-builder turns into the Windows .ico. Run after changing the SVG:
 * `tsx scripts/render-icon.ts` (needs Chromium at /usr/bin/chromium or CHROMIUM_PATH).
 */
const SIZE = 512;
const svg = readFileSync('renderer/public/icon.svg', 'utf8');
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: SIZE, height: SIZE } });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg width="${SIZE}" height="${SIZE}" `)}</body></html>`);
  await page.screenshot({ path: 'build/icon.png', omitBackground: true });
} finally {
  await browser.close();
}
console.log('wrote build/icon.png');
