import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceCore } from '../../main/core/device-core.js';
import { InsecureDevFileKeyStore } from '../../main/core/keystore-dev.js';
import { systemRandomness } from '../../main/core/ports.js';
import { DEMO_OPERATORS } from '../../scripts/demo-operators.js';
import { sha256Hex } from '../../protocol/crypto/hash.js';
import { tempDir } from '../support/device.js';
import { makePng } from '../support/png.js';
import { buildRenderer, launchBrowser, openPage, pageProblems, screenshot, skipBrowserTests, spawnDevHost, type DevHostProcess } from './browser.js';

/**
 * An inspector's checklist in the real UI, with the dev host as its own process (as `npm start`
 * runs it). Each answer is its own action, so when that process is SIGKILLed mid-inspection and
 * started again on the same data, the draft resumes exactly where it was; then a defect photo is
 * attached, the inspector signs on the pad and the inspection is submitted.
 */
const INSPECTOR = DEMO_OPERATORS.find((operator) => operator.role === 'inspector')!;
const DEFECT_PHOTO_WIDTH = 64;
const DEFECT_PHOTO = makePng({ width: DEFECT_PHOTO_WIDTH, height: 48, rgb: [170, 70, 30], text: 'brake chamber' });

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
  /** The width of the image once the browser has decoded it (a placeholder is not an image). */
  const decodedWidth = (image: Locator) =>
    image.evaluate((element) => {
      const decodable = element as unknown as { decode(): Promise<void>; naturalWidth: number };
      return decodable.decode().then(() => decodable.naturalWidth);
    });
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
    // The window goes down with the app: no page is left asking a dead host for the sync status.
    await page.goto('about:blank');
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

  it('attaches a defect photo and shows it as a thumbnail', async () => {
    await page.getByLabel('Attach photo').setInputFiles({ name: 'brake-chamber.png', mimeType: 'image/png', buffer: Buffer.from(DEFECT_PHOTO) });
    // The image decodes: the bytes came back from the core intact.
    expect(await decodedWidth(page.getByRole('list', { name: 'Defect photos' }).getByAltText('Defect photos 1'))).toBe(DEFECT_PHOTO_WIDTH);
  });

  it('refuses a file that is not a photo, saying which', async () => {
    await page.getByLabel('Attach photo').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a photo') });
    await page.getByRole('alert').getByText('notes.txt is not a photo (PNG, JPEG or WebP)').waitFor();
    expect(await page.getByRole('list', { name: 'Defect photos' }).getByRole('listitem').count()).toBe(1);
  });

  it('keeps the submit closed until every checklist item is answered', async () => {
    await page.getByText('9 of 11 checklist items are not answered yet').waitFor();
    const unanswered = ['Service brakes including trailer brake connections', 'Steering mechanism', 'Lighting devices and reflectors', 'Tires', 'Windshield wipers', 'Rear vision mirrors', 'Coupling devices', 'Wheels and rims', 'Emergency equipment'];
    for (const label of unanswered) await answer(label, 'Pass').click();
    await page.getByText('11 of 11 items answered · 1 failed', { exact: false }).waitFor();
    expect(await page.getByText(/checklist items? (is|are) not answered/).count()).toBe(0);
  });

  it('signs on the pad with the pointer, which makes the submit possible', async () => {
    const pad = page.getByRole('img', { name: 'Inspector signature: sign here' });
    const accept = page.getByRole('button', { name: 'Accept signature' });
    expect(await accept.isDisabled()).toBe(true);
    // The mouse acts on the viewport: the pad must be on screen.
    await pad.scrollIntoViewIfNeeded();
    const box = (await pad.boundingBox())!;
    // A signature-like scrawl: a few strokes across the pad.
    for (const [row, stroke] of [0.35, 0.6].entries()) {
      await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * stroke);
      await page.mouse.down();
      for (let step = 1; step <= 12; step++) {
        const x = box.x + box.width * (0.1 + step * 0.06);
        const y = box.y + box.height * (stroke + (step % 2 === row ? -0.15 : 0.15));
        await page.mouse.move(x, y, { steps: 3 });
      }
      await page.mouse.up();
    }
    await screenshot(page, '12-signature-drawn');
    await accept.click();
    expect(await decodedWidth(page.getByAltText('Inspector signature', { exact: true }))).toBe(720);
    expect(await page.getByText('The inspection must be signed').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Submit inspection' }).isDisabled()).toBe(false);
    await screenshot(page, '13-inspection-signed');
  });

  it('submits the signed inspection', async () => {
    await page.getByRole('button', { name: 'Submit inspection' }).click();
    await page.getByText(/^Submitted the inspection of TRK-104 \(journal entry \d+\)\.$/).waitFor();
    await page.getByText('No inspection in progress.').waitFor();
    await screenshot(page, '14-inspection-submitted');
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
        photos: [sha256Hex(DEFECT_PHOTO)],
        status: 'submitted',
      });
      // The photo and the signature are in the device's store, intact, as the journal names them.
      expect(Buffer.from(core.readAttachment(sha256Hex(DEFECT_PHOTO)).data).equals(Buffer.from(DEFECT_PHOTO))).toBe(true);
      const signature = core.readAttachment(inspection!.fields.signature as string);
      expect(signature.mimeType).toBe('image/png');
      const ops = core.recordHistory('inspection', inspection!.id).flatMap((entry) => (entry.body.kind === 'record' ? entry.body.ops : []));
      expect(ops).toContainEqual({ op: 'add', field: 'photos', member: sha256Hex(DEFECT_PHOTO) });
      expect(ops).toContainEqual({ op: 'set', field: 'signature', value: inspection!.fields.signature });
      expect(core.recordHistory('inspection', inspection!.id).at(-1)?.body).toMatchObject({ kind: 'record', action: 'submit' });
    } finally {
      core.close();
    }
  });
});
