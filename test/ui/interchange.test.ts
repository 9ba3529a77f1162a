import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_OPERATORS } from '../../scripts/demo-operators.js';
import { startDevHost, type DevHost } from '../../scripts/dev-host-server.js';
import { sha256Hex } from '../../protocol/crypto/hash.js';
import { tempDir } from '../support/device.js';
import { makePng } from '../support/png.js';
import { buildRenderer, launchBrowser, openPage, pageProblems, screenshot, SCREENSHOTS, skipBrowserTests, VIEWPORTS } from './browser.js';

/**
 * An equipment interchange (EIR) in the real UI, against a real device core behind the dev host: a
 * gate clerk starts one for a container (a wrong check digit is shown as typed), marks it damaged
 * with damage marks on the drawn unit (one removed again), attaches a photo, is told in plain words
 * beside the signatures why it cannot be submitted unsigned, has both parties sign, submits it and
 * finds it under Records. Every change is its own journaled action. Then the form at 1024 × 768 in
 * Night: Submit in view, nothing white, the top bar fitting for both roles.
 */
const CLERK = DEMO_OPERATORS.find((operator) => operator.role === 'gate-clerk')!;
const INSPECTOR = DEMO_OPERATORS.find((operator) => operator.role === 'inspector')!;
const SUPERVISOR = DEMO_OPERATORS.find((operator) => operator.role === 'supervisor')!;
const CAB = { width: 1024, height: 768 };
const DAMAGE_PHOTO = makePng({ width: 64, height: 48, rgb: [140, 60, 30], text: 'rear door' });

describe.skipIf(skipBrowserTests)('equipment interchange in the browser', () => {
  let host: DevHost;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    host = await startDevHost({ port: 0, dataDir: tempDir('waypost-ui-'), rendererDir: await buildRenderer(), siteId: 'yard-7' });
    browser = await launchBrowser();
    page = await openPage(browser, VIEWPORTS.toughbook);
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  const tab = (name: string) => page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name, exact: true });
  const equipment = (name: string) => page.getByRole('radiogroup', { name: 'Equipment' }).getByRole('radio', { name, exact: true });
  const marks = () => page.getByRole('list', { name: 'Damage marks' }).getByRole('listitem');
  const interchanges = () => host.core.listRecords('equipmentInterchange');
  /** Whether the element has the page's focus (focus moves with the key press). */
  const hasFocus = (locator: Locator) => locator.evaluate((element) => (element as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement === element);

  async function signIn(operator: { badgeId: string; pin: string }): Promise<void> {
    await page.getByLabel('Badge ID').fill(operator.badgeId);
    await page.getByLabel('PIN').fill(operator.pin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  async function sign(label: string): Promise<void> {
    const pad = page.getByRole('img', { name: `${label}: sign here` });
    await pad.scrollIntoViewIfNeeded();
    const box = (await pad.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.6);
    await page.mouse.down();
    for (let step = 1; step <= 10; step++) await page.mouse.move(box.x + box.width * (0.1 + step * 0.07), box.y + box.height * (step % 2 ? 0.3 : 0.7), { steps: 3 });
    await page.mouse.up();
    await page.locator('.signature-pad').filter({ has: pad }).getByRole('button', { name: 'Accept signature' }).click();
    await page.getByRole('img', { name: label, exact: true }).waitFor();
  }

  /** Submit is on screen, not below the fold, wherever the form is scrolled. */
  async function expectSubmitInView(): Promise<void> {
    const submit = (await page.getByRole('button', { name: 'Submit interchange' }).boundingBox())!;
    const { height } = page.viewportSize()!;
    expect(submit.y).toBeGreaterThanOrEqual(0);
    expect(submit.y + submit.height).toBeLessThanOrEqual(height);
  }

  /** Every control in the screen is at least 48 px each way, its text 18 px, and the top bar fits with "Sign out" on it. */
  async function expectFieldSized(): Promise<void> {
    const main = page.getByRole('main');
    // A photo picker's file input is hidden behind its "Attach photo" label, which is the target.
    const buttons = main.getByRole('button').and(main.locator(':not(input[type="file"])'));
    const photoPickers = main.locator('label', { hasText: 'Attach photo' });
    for (const control of [...(await buttons.all()), ...(await main.getByRole('radio').all()), ...(await photoPickers.all())]) {
      const box = (await control.boundingBox())!;
      const name = await control.evaluate((element) => (element as unknown as { outerHTML: string }).outerHTML.slice(0, 160));
      expect(Math.round(box.height), name).toBeGreaterThanOrEqual(48);
      expect(Math.round(box.width), name).toBeGreaterThanOrEqual(48);
    }
    expect(await main.evaluate((element) => (globalThis as any).getComputedStyle(element).fontSize)).toBe('18px');
    const signOut = (await page.getByRole('button', { name: 'Sign out' }).boundingBox())!;
    expect(signOut.x + signOut.width).toBeLessThanOrEqual(page.viewportSize()!.width);
    const overflow = await page.evaluate(() => {
      const root = (globalThis as any).document.documentElement;
      return root.scrollWidth - root.clientWidth;
    });
    expect(overflow).toBe(0);
  }

  it('gives the gate clerk an Interchange tab, whose equipment type moves with the arrow keys', async () => {
    await page.goto(host.url);
    await signIn(CLERK);
    await tab('Interchange').click();
    await page.getByRole('heading', { name: 'Record an equipment interchange' }).waitFor();
    expect(await equipment('Container').getAttribute('aria-checked')).toBe('true');

    await equipment('Container').focus();
    await page.keyboard.press('ArrowRight');
    expect(await equipment('Chassis').getAttribute('aria-checked')).toBe('true');
    await expect.poll(() => hasFocus(equipment('Chassis')), { timeout: 15_000, interval: 50 }).toBe(true);
    await page.getByLabel('Chassis number').waitFor();
    // Past the last it wraps to the first; back again with the other arrows.
    await page.keyboard.press('ArrowDown');
    expect(await equipment('Trailer').getAttribute('aria-checked')).toBe('true');
    await page.getByLabel('Trailer number').waitFor();
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    expect(await equipment('Container').getAttribute('aria-checked')).toBe('true');
    // One checked radio is the only one Tab reaches.
    expect(await page.getByRole('radiogroup', { name: 'Equipment' }).locator('[tabindex="0"]').count()).toBe(1);
  });

  it('shows a wrong container check digit as it is typed and starts nothing until it is right', async () => {
    await page.getByLabel('Container number').fill('CSQU3054384');
    await page.getByText('Check digit should be 3, not 4').waitFor();
    expect(await page.getByLabel('Container number').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Delivering party').fill('Blue Line Drayage');
    await page.getByLabel('Receiving party').fill('Demo yard');
    await page.getByRole('button', { name: 'Start interchange' }).click();
    await screenshot(page, '60-interchange-wrong-check-digit');
    expect(interchanges()).toEqual([]);

    await page.getByLabel('Container number').fill('csqu 305438 3');
    await page.getByText('✓ Valid container number CSQU3054383').waitFor();
    await page.getByRole('button', { name: 'Start interchange' }).click();
    await page.getByRole('heading', { name: 'Interchange of CSQU3054383' }).waitFor();
    expect(interchanges()).toHaveLength(1);
    expect(interchanges()[0]!.fields).toMatchObject({ equipmentType: 'container', equipmentNumber: 'CSQU3054383', fromCarrier: 'Blue Line Drayage', toCarrier: 'Demo yard', status: 'draft' });
  });

  it('records the condition and damage marks on the drawn unit, each tap its own action; a mark can be removed', async () => {
    await page.getByRole('radiogroup', { name: 'Condition' }).getByRole('radio', { name: 'Damaged' }).click();
    await page.getByText(/^Saved · journal entry \d+$/).waitFor();

    await page.getByRole('group', { name: 'Sides of the unit' }).getByRole('button', { name: 'Left', exact: true }).click();
    const markForm = page.getByRole('form', { name: 'Mark damage on the left' });
    // A mark needs what and how large: saying only one is refused in words, not saved.
    await markForm.getByRole('radio', { name: 'Dent' }).click();
    await markForm.getByRole('button', { name: 'Add mark' }).click();
    await markForm.getByText('Choose how large it is.').waitFor();
    await markForm.getByRole('radio', { name: 'Medium' }).click();
    await markForm.getByRole('button', { name: 'Add mark' }).click();
    await marks().filter({ hasText: 'left · dent · medium' }).waitFor();

    await page.getByRole('button', { name: 'Rear', exact: true }).click();
    const rear = page.getByRole('form', { name: 'Mark damage on the rear' });
    await rear.getByRole('radio', { name: 'Missing part' }).click();
    await rear.getByRole('radio', { name: 'Small' }).click();
    await rear.getByRole('button', { name: 'Add mark' }).click();
    await marks().filter({ hasText: 'rear · missing part · small' }).waitFor();
    expect(await marks().allTextContents()).toHaveLength(2);
    // The diagram counts the marks on each side.
    await page.getByRole('button', { name: 'Left, 1 mark' }).waitFor();

    await page.getByRole('button', { name: 'Remove left · dent · medium' }).click();
    await marks().filter({ hasText: 'left · dent · medium' }).waitFor({ state: 'detached' });
    expect(await marks().allTextContents()).toEqual(['rear · missing part · smallRemove']);
    await page.getByRole('button', { name: 'Left', exact: true }).waitFor();
    expect(interchanges()[0]!.fields.damages).toEqual(['rear · missing part · small']);

    await page.getByLabel('Attach photo').setInputFiles({ name: 'rear-door.png', mimeType: 'image/png', buffer: Buffer.from(DAMAGE_PHOTO) });
    await page.getByRole('list', { name: 'Photos' }).getByAltText('Photos 1').waitFor();
    expect(interchanges()[0]!.fields.photos).toEqual([sha256Hex(DAMAGE_PHOTO)]);
  });

  it('says in plain words, beside the signatures, why it cannot be submitted unsigned, and submits nothing', async () => {
    const before = host.core.status().journal;
    await page.getByLabel('Condition note').fill('Rear door seal torn');
    await page.getByRole('button', { name: 'Submit interchange' }).click();
    const problem = page.getByRole('region', { name: 'Signatures' }).getByRole('alert');
    await problem.filter({ hasText: 'Both carriers must sign the interchange.' }).waitFor();
    await page.getByText('Not submitted: one thing is missing, marked above.').waitFor();
    // The condition was given: nothing is said about it.
    expect(await page.getByText('Record the equipment condition.').count()).toBe(0);
    await expectSubmitInView();
    await screenshot(page, '60-interchange-unsigned-1280-light');
    await page.screenshot({ path: join(SCREENSHOTS, '60-interchange-unsigned-1280-light-window.png') });

    const [record] = interchanges();
    expect(record!.fields.status).toBe('draft');
    // Leaving the note by pressing Submit saved it, and that is all that was journaled.
    expect(record!.fields.conditionNote).toBe('Rear door seal torn');
    expect(host.core.status().journal.entries).toBe(before.entries + 1);
  });

  it('submits once both parties signed, and lists it as submitted today', async () => {
    await sign("Delivering driver's signature");
    // One signature is not enough: the problem stays until both signed.
    await page.getByText('Both carriers must sign the interchange.').waitFor();
    await sign("Receiving clerk's signature");
    await page.getByText('Both carriers must sign the interchange.').waitFor({ state: 'detached' });
    // A party emptied just before Submit is not recorded, nor is the interchange submitted with the old one.
    await page.getByLabel('Receiving party').fill('');
    await page.getByRole('button', { name: 'Submit interchange' }).click();
    await page.getByText('Enter the receiving party').waitFor();
    await page.getByText('Not submitted: one thing is missing, marked above.').waitFor();
    expect(interchanges()[0]!.fields).toMatchObject({ status: 'draft', toCarrier: 'Demo yard' });
    await page.getByLabel('Receiving party').fill('Demo yard');
    await page.getByRole('button', { name: 'Submit interchange' }).click();
    await page.getByRole('status').filter({ hasText: /^Submitted the interchange of CSQU3054383 \(journal entry \d+\)/ }).waitFor();
    await page.getByRole('list', { name: 'Interchanges submitted today' }).getByText('CSQU3054383').waitFor();
    await screenshot(page, '60-interchange-submitted');

    const [record] = interchanges();
    expect(record!.fields).toMatchObject({ status: 'submitted', condition: 'damaged', damages: ['rear · missing part · small'] });
    expect(record!.fields.fromSignature).toMatch(/^[0-9a-f]{64}$/);
    expect(record!.fields.toSignature).toMatch(/^[0-9a-f]{64}$/);
    // One action per change: the start, then one for each tap, mark, photo, note and signature, then the submit.
    const history = host.core.recordHistory('equipmentInterchange', record!.id).flatMap(({ body }) => ('action' in body ? [body] : []));
    expect(history.map((body) => body.action)).toEqual(['create', 'update', 'update', 'update', 'update', 'update', 'update', 'update', 'update', 'submit']);
    for (const body of history.slice(1)) expect(body.ops).toHaveLength(1);
  });

  it('opens it under Records with every field by its label', async () => {
    await tab('Records').click();
    await page.getByRole('radio', { name: 'Interchanges' }).click();
    await page.getByRole('button', { name: /^Interchange of CSQU3054383 .*Submitted$/ }).click();
    await page.getByRole('heading', { name: 'Interchange of CSQU3054383' }).waitFor();
    const details = page.getByRole('region', { name: 'Details' });
    const detail = (label: string) => details.locator(`dt:text-is("${label}") + dd`).textContent();
    expect(await detail('Equipment')).toBe('Container');
    expect(await detail('Equipment number')).toBe('CSQU3054383');
    expect(await detail('Delivering party')).toBe('Blue Line Drayage');
    expect(await detail('Receiving party')).toBe('Demo yard');
    expect(await detail('Condition')).toBe('Damaged');
    expect(await detail('Condition note')).toBe('Rear door seal torn');
    expect(await detail('Damage marks')).toBe('rear · missing part · small');
    expect(await detail('Status')).toBe('Submitted');
    expect(await detail('Handed over at')).toMatch(/\d/);
    await page.getByRole('region', { name: 'Photos' }).getByAltText('Photos 1').waitFor();
    for (const label of ["Delivering driver's signature", "Receiving clerk's signature"]) await page.getByRole('region', { name: label }).getByAltText(label).waitFor();
    await screenshot(page, '60-interchange-in-records');
  });

  it('keeps a half-typed interchange for the clerk across a sign-out', async () => {
    await tab('Interchange').click();
    await equipment('Trailer').click();
    await page.getByLabel('Trailer number').fill('trl-4410');
    await page.getByLabel('Delivering party').fill('Harbor Haulers');
    // Kept shortly after typing pauses.
    await page.waitForTimeout(800);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(CLERK);
    await tab('Interchange').click();
    await page.getByText('Your unsaved entries were kept while you were away').waitFor();
    expect(await equipment('Trailer').getAttribute('aria-checked')).toBe('true');
    expect(await page.getByLabel('Trailer number').inputValue()).toBe('trl-4410');
    expect(await page.getByLabel('Delivering party').inputValue()).toBe('Harbor Haulers');
  });

  it('fits a 1024 × 768 cab screen in Night: Submit in view, nothing white, the top bar whole', async () => {
    await page.setViewportSize(CAB);
    await page.evaluate(() => (globalThis as any).localStorage.setItem('waypost.theme', 'night'));
    await page.reload();
    await tab('Interchange').click();
    await page.getByLabel('Receiving party').fill('Demo yard');
    await expectFieldSized();
    await screenshot(page, '60-interchange-start-1024-dark');
    await page.getByRole('button', { name: 'Start interchange' }).click();
    await page.getByRole('heading', { name: 'Interchange of TRL-4410' }).waitFor();
    await page.getByRole('button', { name: 'Top', exact: true }).click();
    await expectSubmitInView();
    await expectFieldSized();
    const white = await page.evaluate(() => {
      const document = (globalThis as any).document;
      const view = document.defaultView;
      const found: string[] = [];
      for (const element of document.querySelectorAll('body *')) {
        const style = view.getComputedStyle(element);
        const box = element.getBoundingClientRect();
        // The signature pad keeps a white drawing surface, shown dimmed by its filter.
        if (box.width === 0 || box.height === 0 || style.filter !== 'none') continue;
        if (style.backgroundColor === 'rgb(255, 255, 255)' || (style.color === 'rgb(255, 255, 255)' && element.textContent.trim())) found.push(element.outerHTML.slice(0, 100));
      }
      return found;
    });
    expect(white).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, '60-interchange-form-1024-dark-window.png') });
    await screenshot(page, '60-interchange-form-1024-dark');
    await page.mouse.wheel(0, 900);
    await expectSubmitInView();
    await page.screenshot({ path: join(SCREENSHOTS, '60-interchange-form-1024-dark-scrolled.png') });
  });

  it('gives the inspector the tab too, and the top bar still fits at 1024 px', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(INSPECTOR);
    await tab('Interchange').click();
    await page.getByRole('heading', { name: 'Record an equipment interchange' }).waitFor();
    await expectFieldSized();
    await screenshot(page, '60-interchange-inspector-1024-dark');
    expect(pageProblems(page)).toEqual([]);
  });

  it("gives a supervisor every screen, and the top bar with all seven tabs still fits at 1024 px", async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(SUPERVISOR);
    const tabs = await page.getByRole('navigation', { name: 'Screens' }).getByRole('button').allTextContents();
    expect(tabs.map((name) => name.replace(/\d+$/, '').trim())).toEqual(['Work orders', 'Gate', 'Inspections', 'Interchange', 'Records', 'Sync', 'Device']);
    await tab('Interchange').click();
    await page.getByRole('heading', { name: 'Record an equipment interchange' }).waitFor();
    await expectFieldSized();
    await screenshot(page, '61-supervisor-1024-dark');
    expect(pageProblems(page)).toEqual([]);
  });
});
