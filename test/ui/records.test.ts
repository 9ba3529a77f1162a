import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DEMO_OPERATORS } from '../../scripts/demo-operators.js';
import { makePng } from '../support/png.js';
import { expectTargetsAtLeast, expectTopBarFits, openPage, pageProblems, screenshot, SCREENSHOTS, scribbleSignature, signIn, skipBrowserTests, useBrowserOnDevHost } from './browser.js';

/**
 * Records in the real UI, on a 1024 × 768 cab screen: an inspector submits an inspection with a
 * defect photo and a signature, finds it under Records, searches it by unit number in lower case
 * and opens it (labelled answers, the photo full size, the signature, its history); a gate clerk
 * finds yesterday's gate event by its plate (recorded with the kiosk's clock on yesterday) and
 * reaches its correction; a search without a match says so.
 */
const INSPECTOR = DEMO_OPERATORS.find((operator) => operator.role === 'inspector')!;
const CLERK = DEMO_OPERATORS.find((operator) => operator.role === 'gate-clerk')!;
const CAB = { width: 1024, height: 768 };
const PHOTO_WIDTH = 480;
const DEFECT_PHOTO = makePng({ width: PHOTO_WIDTH, height: 320, rgb: [170, 70, 30], text: 'king pin' });
const CHASSIS_ITEMS = [
  'Lighting devices, lamps, markers and conspicuity marking material',
  'Wheels, rims, lugs and tires',
  'Air line connections, hoses and couplers',
  'King pin upper coupling device',
  'Rails or support frames',
  'Tie down bolts or locking pins, clevises, clamps or hooks',
  'Sliders or sliding frame lock',
];

describe.skipIf(skipBrowserTests)('records in the browser', () => {
  const ui = useBrowserOnDevHost(CAB);

  const tab = (name: string) => ui.page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name, exact: true });
  const rows = () => ui.page.getByRole('list', { name: 'Records found' }).getByRole('listitem');
  const row = (title: string) => ui.page.getByRole('button', { name: new RegExp(`^${title} `) });
  /** The width of the image once the browser has decoded it (a placeholder is not an image). */
  const decodedWidth = (image: Locator) =>
    image.evaluate((element) => {
      const decodable = element as unknown as { decode(): Promise<void>; naturalWidth: number };
      return decodable.decode().then(() => decodable.naturalWidth);
    });

  /** Every control `within` is at least 52 px each way, and the top bar fits the cab screen with "Sign out" on it. */
  async function expectCabSized(on: Page, within: Locator): Promise<void> {
    await expectTargetsAtLeast(await within.getByRole('button').all(), 52);
    for (const input of await within.locator('input').all()) expect(Math.round((await input.boundingBox())!.height)).toBeGreaterThanOrEqual(52);
    await expectTopBarFits(on);
  }

  it('submits an inspection with a failed item, a defect photo and a signature', async () => {
    await ui.page.goto(ui.host.url);
    await signIn(ui.page, INSPECTOR);
    await ui.page.getByRole('radio', { name: 'Intermodal equipment (chassis) inspection' }).click();
    await ui.page.getByLabel('Unit / trailer number').fill('chz-5521');
    await ui.page.getByRole('button', { name: 'Start inspection' }).click();
    const brakes = ui.page.getByRole('listitem').filter({ has: ui.page.getByRole('radiogroup', { name: 'Brakes', exact: true }) });
    await brakes.getByRole('radio', { name: 'Fail' }).click();
    await brakes.getByLabel('What is wrong (required)').fill('Air leak at the rear chamber');
    for (const label of CHASSIS_ITEMS) await ui.page.getByRole('radiogroup', { name: label, exact: true }).getByRole('radio', { name: 'Pass' }).click();
    await ui.page.getByText('8 of 8 items answered · 1 failed').waitFor();
    await ui.page.getByLabel('Attach photo').setInputFiles({ name: 'king-pin.png', mimeType: 'image/png', buffer: Buffer.from(DEFECT_PHOTO) });
    await ui.page.getByRole('list', { name: 'Defect photos' }).getByAltText('Defect photos 1').waitFor();

    await scribbleSignature(ui.page, 'Inspector signature');
    await ui.page.getByRole('button', { name: 'Accept signature' }).click();
    await ui.page.getByText('Signed.').waitFor();
    await ui.page.getByRole('button', { name: 'Submit inspection' }).click();
    await ui.page.getByText(/^Submitted the inspection of CHZ-5521/).waitFor();
    // Another of today's inspections, still a draft, which the search must leave out.
    await ui.page.getByRole('radio', { name: 'Driver vehicle inspection — power unit' }).click();
    await ui.page.getByLabel('Unit / trailer number').fill('trk-200');
    await ui.page.getByRole('button', { name: 'Start inspection' }).click();
    await ui.page.getByRole('button', { name: 'Back to list' }).click();
  });

  it("lists today's inspections under Records, newest first, with time, who and sync state, and fits the cab screen", async () => {
    await tab('Records').click();
    await ui.page.getByRole('heading', { name: /^Inspections today · / }).waitFor();
    await rows().nth(1).waitFor();
    expect(await rows().allTextContents()).toEqual([
      expect.stringMatching(/^Inspection of TRK-200\d.* · Ivan InspectorSaved on this deviceDraft$/),
      expect.stringMatching(/^Inspection of CHZ-5521\d.* · Ivan InspectorSaved on this deviceSubmitted$/),
    ]);
    await ui.page.getByText('Older records are kept at the office.').waitFor();
    // Read at a glance: what each row says is in the app's 18 px text, its title larger.
    const fontSize = (locator: Locator) => locator.evaluate((element) => (globalThis as any).getComputedStyle(element).fontSize as string);
    expect(await fontSize(rows().first().getByText('Ivan Inspector'))).toBe('18px');
    expect(parseFloat(await fontSize(rows().first().getByText('Inspection of TRK-200')))).toBeGreaterThan(18);
    expect(await tab('Records').getAttribute('aria-current')).toBe('page');
    await expectCabSized(ui.page, ui.page.getByRole('main'));
    await screenshot(ui.page, '50-records-today');
  });

  it('finds the inspection by its unit number typed in lower case, with spaces', async () => {
    await ui.page.getByLabel('Search by unit number').fill('chz 5521');
    await rows().filter({ hasText: 'TRK-200' }).waitFor({ state: 'detached' });
    expect(await rows().count()).toBe(1);
    await row('Inspection of CHZ-5521').waitFor();
    await screenshot(ui.page, '51-records-search');
  });

  it('opens it read-only: labelled fields and answers, the photo full size, the signature and its history', async () => {
    await row('Inspection of CHZ-5521').click();
    await ui.page.getByRole('heading', { name: 'Inspection of CHZ-5521' }).waitFor();
    const details = ui.page.getByRole('region', { name: 'Details' });
    const detail = (label: string) => details.locator(`dt:text-is("${label}") + dd`);
    expect(await detail('Unit / trailer number').textContent()).toBe('CHZ-5521');
    expect(await detail('Checklist').textContent()).toBe('Intermodal equipment (chassis) inspection');
    expect(await detail('Status').textContent()).toBe('Submitted');
    expect(await detail('Odometer (miles)').textContent()).toBe('None');
    expect(await detail('Submitted at').textContent()).toMatch(/\d/);
    await ui.page.getByText('Saved on this device; it goes to the office at the next sync.').waitFor();
    // Read-only: nothing on it to answer or type into.
    expect(await ui.page.getByRole('radio').count()).toBe(0);
    expect(await ui.page.getByRole('textbox').count()).toBe(0);

    const answers = ui.page.getByRole('list', { name: 'Checklist answers' }).getByRole('listitem');
    expect(await answers.count()).toBe(8);
    expect(await answers.first().textContent()).toBe('BrakesFailAir leak at the rear chamber');
    expect(await answers.filter({ hasText: 'King pin upper coupling device' }).textContent()).toBe('King pin upper coupling devicePass');

    const thumbnail = ui.page.getByRole('button', { name: 'Open Defect photos 1 full size' });
    expect(await decodedWidth(thumbnail.getByAltText('Defect photos 1'))).toBe(PHOTO_WIDTH);
    await thumbnail.click();
    const viewer = ui.page.getByRole('dialog', { name: 'Defect photos 1' });
    expect(await decodedWidth(viewer.getByAltText('Defect photos 1, full size'))).toBe(PHOTO_WIDTH);
    // The window as the inspector sees it: the dialog is over what is on screen, not the whole page.
    await ui.page.screenshot({ path: join(SCREENSHOTS, '52-record-photo-full-size.png') });
    await viewer.getByRole('button', { name: 'Close' }).click();
    await viewer.waitFor({ state: 'hidden' });

    expect(await decodedWidth(ui.page.getByRole('region', { name: 'Inspector signature' }).getByAltText('Inspector signature'))).toBe(720);

    const history = ui.page.getByRole('list', { name: 'History' }).locator(':scope > li');
    const entries = await history.allTextContents();
    expect(entries[0]).toMatch(/^Created .* by Ivan Inspector/);
    expect(entries[0]).toContain('Unit / trailer number: CHZ-5521');
    expect(entries.some((entry) => entry.includes('Brakes: Fail (Air leak at the rear chamber)'))).toBe(true);
    expect(entries.some((entry) => entry.includes('Defect photos: added a photo'))).toBe(true);
    expect(entries.some((entry) => entry.includes('Inspector signature: a signature'))).toBe(true);
    expect(entries.at(-1)).toMatch(/^Submitted .* by Ivan Inspector.*Not sent to the office yet$/);
    await expectCabSized(ui.page, ui.page.getByRole('main'));
    await screenshot(ui.page, '53-record-inspection');
  });

  it('says plainly when a search finds nothing', async () => {
    await ui.page.getByRole('button', { name: 'Back to records' }).first().click();
    // The search and the day are as they were left.
    expect(await ui.page.getByLabel('Search by unit number').inputValue()).toBe('chz 5521');
    await ui.page.getByLabel('Search by unit number').fill('zzz999');
    await ui.page.getByText(/^No inspections match “ZZZ999” today\. Check the number, or search all days\.$/).waitFor();
    expect(await rows().count()).toBe(0);
    await screenshot(ui.page, '54-records-no-match');
    expect(pageProblems(ui.page)).toEqual([]);
    await ui.page.getByRole('button', { name: 'Sign out' }).click();
  });

  it("finds yesterday's gate event by its plate, opens it, and reaches its correction", async () => {
    const clerk = await openPage(ui.browser, CAB);
    const now = new Date();
    const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1, 15, 20);
    // The kiosk's clock on yesterday afternoon: the truck passed the gate then.
    await clerk.clock.setFixedTime(yesterday);
    await clerk.goto(ui.host.url);
    await signIn(clerk, CLERK);
    await clerk.getByLabel('Truck plate').fill('4xyz789');
    await clerk.getByLabel('Carrier').fill('Harbor Haulers');
    await clerk.getByLabel('Container number').fill('MSCU 123456 6');
    await clerk.getByRole('button', { name: 'Record gate-in' }).click();
    await clerk.getByRole('status').filter({ hasText: 'Recorded gate-in of 4XYZ789' }).waitFor();
    await clerk.getByRole('list', { name: "Today's gate events" }).getByRole('button', { name: 'Submit' }).click();
    await clerk.getByRole('status').filter({ hasText: 'Submitted the gate-in of 4XYZ789' }).waitFor();
    await clerk.getByRole('button', { name: 'Sign out' }).click();

    await clerk.clock.setFixedTime(now);
    await signIn(clerk, CLERK);
    await clerk.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Records', exact: true }).click();
    const search = clerk.getByLabel('Search by plate, container or chassis number');
    await search.fill('4XYZ 789');
    await clerk.getByText(/^No gate events match “4XYZ 789” today\./).waitFor();
    await clerk.getByRole('button', { name: 'Earlier day' }).click();
    await clerk.getByRole('heading', { name: /^Gate events on / }).waitFor();
    const found = clerk.getByRole('button', { name: /^Gate-in of 4XYZ789 .*· Gina Gate/ });
    await found.waitFor();
    await expectCabSized(clerk, clerk.getByRole('main'));
    await screenshot(clerk, '55-records-yesterday-gate-event');
    // The container number finds it too, without its check digit.
    await search.fill('mscu123456');
    await found.waitFor();

    await found.click();
    await clerk.getByRole('heading', { name: 'Gate-in of 4XYZ789' }).waitFor();
    const details = clerk.getByRole('region', { name: 'Details' });
    expect(await details.locator('dt:text-is("Container number") + dd').textContent()).toBe('MSCU1234566');
    expect(await details.locator('dt:text-is("Direction") + dd').textContent()).toBe('Gate in');
    expect(await details.locator('dt:text-is("Carrier") + dd').textContent()).toBe('Harbor Haulers');
    await clerk.getByRole('region', { name: 'Photos' }).getByText('No photos.').waitFor();
    const created = clerk.getByRole('list', { name: 'History' }).locator(':scope > li').first();
    expect(await created.textContent()).toContain('Passed the gate at: ');
    // Fields it was created without are not listed as changes.
    expect(await created.textContent()).not.toMatch(/Driver|Corrects/);
    await screenshot(clerk, '56-record-gate-event');

    await clerk.getByRole('button', { name: 'Correct this gate event' }).click();
    await clerk.getByRole('heading', { name: 'Correct a submitted gate event' }).waitFor();
    expect(await clerk.getByLabel('Truck plate').inputValue()).toBe('4XYZ789');
    // Yesterday's event is named with its date, not its time alone.
    expect(await clerk.getByRole('status').filter({ hasText: 'Correcting the gate-in of 4XYZ789' }).textContent()).toContain(String(yesterday.getFullYear()));
    await screenshot(clerk, '57-gate-correction-from-records');
    expect(await clerk.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Gate', exact: true }).getAttribute('aria-current')).toBe('page');
    await clerk.getByRole('button', { name: 'Cancel' }).click();
    await clerk.getByRole('heading', { name: 'Record a gate event' }).waitFor();
    expect(pageProblems(clerk)).toEqual([]);
  });
});
