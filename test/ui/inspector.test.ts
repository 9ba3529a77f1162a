import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceCore } from '../../main/core/device-core.js';
import { InsecureDevFileKeyStore } from '../../main/core/keystore-dev.js';
import { systemRandomness } from '../../main/core/ports.js';
import { DEMO_OPERATORS } from '../../scripts/demo-operators.js';
import { tempDir } from '../support/device.js';
import { buildRenderer, launchBrowser, openPage, pageProblems, screenshot, skipBrowserTests, spawnDevHost, type DevHostProcess } from './browser.js';

/**
 * An inspector's checklist in the real UI, with the dev host as its own process (as `npm start`
 * runs it). Each answer is its own action, so when that process is SIGKILLed mid-inspection and
 * started again on the same data, the draft resumes exactly where it was.
 */
const INSPECTOR = DEMO_OPERATORS.find((operator) => operator.role === 'inspector')!;

describe.skipIf(skipBrowserTests)('inspector in the browser', () => {
  let dataDir: string;
  let rendererDir: string;
  let host: DevHostProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dataDir = tempDir('waypost-ui-');
    rendererDir = await buildRenderer();
    host = await spawnDevHost(dataDir, rendererDir);
    browser = await launchBrowser();
    page = await openPage(browser);
  });

  afterAll(async () => {
    await browser?.close();
    await host?.kill();
  });

  const item = (label: string) => page.getByRole('listitem').filter({ has: page.getByRole('radiogroup', { name: label, exact: true }) });
  const answer = (label: string, result: 'Pass' | 'Fail' | 'N/A') => item(label).getByRole('radio', { name: result, exact: true });
  const saved = (seq: number) => page.getByText(`Saved · journal entry ${seq}`, { exact: true });

  async function signIn(): Promise<void> {
    await page.goto(host.url);
    await page.getByLabel('Badge ID').fill(INSPECTOR.badgeId);
    await page.getByLabel('PIN').fill(INSPECTOR.pin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Start an inspection' }).waitFor();
  }

  it('refuses to start without a checklist and a unit number, then starts one', async () => {
    await signIn();
    await page.getByRole('button', { name: 'Start inspection' }).click();
    await page.getByText('Choose a checklist').waitFor();
    await page.getByText('Enter the unit or trailer number').waitFor();
    expect(await page.getByText('No inspection in progress.').count()).toBe(1);
    await screenshot(page, '09-start-refused');

    await page.getByRole('radio', { name: 'Driver vehicle inspection — power unit' }).click();
    await page.getByLabel('Unit / trailer number').fill('trk-104');
    await page.getByLabel('Odometer (miles)').fill('120500');
    await page.getByRole('button', { name: 'Start inspection' }).click();
    await page.getByText('0 of 11 items answered · odometer 120,500 mi').waitFor();
  });

  it('saves every answer, note and defect as its own journaled action', async () => {
    // Entries so far: session open (1) and the inspection's create (2).
    await answer('Parking brake', 'Fail').click();
    await saved(3).waitFor();
    await item('Parking brake').getByText('Describe the defect of a failed item').waitFor();
    await item('Parking brake').getByLabel('What is wrong (required)').fill('Does not hold on grade');
    await answer('Horn', 'Pass').click();
    await saved(5).waitFor();
    await page.getByText('2 of 11 items answered · 1 failed').waitFor();
    await page.getByLabel('New defect').fill('Parking brake chamber leaking');
    await page.getByRole('button', { name: 'Add defect' }).click();
    await saved(6).waitFor();
    await page.getByRole('list', { name: 'Defects' }).getByText('Parking brake chamber leaking').waitFor();
    await screenshot(page, '10-inspection-draft');
  });

  it('resumes the draft after the app is killed and started again', async () => {
    await host.kill();
    host = await spawnDevHost(dataDir, rendererDir);
    await signIn();
    const draft = page.getByRole('list', { name: 'Inspections in progress' }).getByRole('listitem').filter({ hasText: 'TRK-104' });
    expect(await draft.textContent()).toContain('2 of 11 items answered');
    await draft.getByRole('button', { name: 'Resume' }).click();

    expect(await answer('Parking brake', 'Fail').getAttribute('aria-checked')).toBe('true');
    expect(await item('Parking brake').getByLabel('What is wrong (required)').inputValue()).toBe('Does not hold on grade');
    expect(await answer('Horn', 'Pass').getAttribute('aria-checked')).toBe('true');
    expect(await answer('Tires', 'Pass').getAttribute('aria-checked')).toBe('false');
    await page.getByRole('list', { name: 'Defects' }).getByText('Parking brake chamber leaking').waitFor();
  });

  it('keeps an unsigned inspection from being submitted, saying why', async () => {
    await page.getByRole('status').filter({ hasText: 'Before submitting' }).getByText('The inspection must be signed').waitFor();
    expect(await page.getByRole('button', { name: 'Submit inspection' }).isDisabled()).toBe(true);
    await screenshot(page, '11-inspection-resumed');
    expect(pageProblems(page)).toEqual([]);
  });

  it('left a journal that verifies although the first process never closed its session', async () => {
    await host.kill();
    const core = DeviceCore.open({ path: join(dataDir, 'device.db'), keyStore: new InsecureDevFileKeyStore(join(dataDir, 'dev-keys.json'), systemRandomness) });
    try {
      expect(core.verifyJournal()).toMatchObject({ ok: true });
      const [inspection] = core.listRecords('inspection');
      expect(inspection?.fields).toMatchObject({
        equipmentNumber: 'TRK-104',
        odometer: 120500,
        items: { 'parking-brake': { result: 'fail', note: 'Does not hold on grade' }, horn: { result: 'pass' } },
        defects: ['Parking brake chamber leaking'],
        status: 'draft',
      });
    } finally {
      core.close();
    }
  });
});
