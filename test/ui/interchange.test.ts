import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DEMO_OPERATORS } from '../../scripts/demo-operators.js';
import { sha256Hex } from '../../protocol/crypto/hash.js';
import { makePng } from '../support/png.js';
import { expectNoWhite, expectTargetsAtLeast, expectTopBarFits, pageProblems, screenshot, SCREENSHOTS, scribbleSignature, signIn, skipBrowserTests, useBrowserOnDevHost } from './browser.js';

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
  const ui = useBrowserOnDevHost();

  const tab = (name: string) => ui.page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name, exact: true });
  const equipment = (name: string) => ui.page.getByRole('radiogroup', { name: 'Equipment' }).getByRole('radio', { name, exact: true });
  const marks = () => ui.page.getByRole('list', { name: 'Damage marks' }).getByRole('listitem');
  const interchanges = () => ui.host.core.listRecords('equipmentInterchange');
  /** Whether the element has the page's focus (focus moves with the key press). */
  const hasFocus = (locator: Locator) => locator.evaluate((element) => (element as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement === element);

  async function sign(label: string): Promise<void> {
    await scribbleSignature(ui.page, label);
    const pad = ui.page.getByRole('img', { name: `${label}: sign here` });
    await ui.page.locator('.signature-pad').filter({ has: pad }).getByRole('button', { name: 'Accept signature' }).click();
    await ui.page.getByRole('img', { name: label, exact: true }).waitFor();
  }

  /** Submit is on screen, not below the fold, wherever the form is scrolled. */
  async function expectSubmitInView(): Promise<void> {
    const submit = (await ui.page.getByRole('button', { name: 'Submit interchange' }).boundingBox())!;
    const { height } = ui.page.viewportSize()!;
    expect(submit.y).toBeGreaterThanOrEqual(0);
    expect(submit.y + submit.height).toBeLessThanOrEqual(height);
  }

  /** Every control in the screen is at least 48 px each way, its text 18 px, and the top bar fits with "Sign out" on it. */
  async function expectFieldSized(): Promise<void> {
    const main = ui.page.getByRole('main');
    // A photo picker's file input is hidden behind its "Attach photo" label, which is the target.
    const buttons = main.getByRole('button').and(main.locator(':not(input[type="file"])'));
    const photoPickers = main.locator('label', { hasText: 'Attach photo' });
    await expectTargetsAtLeast([...(await buttons.all()), ...(await main.getByRole('radio').all()), ...(await photoPickers.all())], 48);
    expect(await main.evaluate((element) => (globalThis as any).getComputedStyle(element).fontSize)).toBe('18px');
    await expectTopBarFits(ui.page);
  }

  it('gives the gate clerk an Interchange tab, whose equipment type moves with the arrow keys', async () => {
    await ui.page.goto(ui.host.url);
    await signIn(ui.page, CLERK);
    await tab('Interchange').click();
    await ui.page.getByRole('heading', { name: 'Record an equipment interchange' }).waitFor();
    expect(await equipment('Container').getAttribute('aria-checked')).toBe('true');

    await equipment('Container').focus();
    await ui.page.keyboard.press('ArrowRight');
    expect(await equipment('Chassis').getAttribute('aria-checked')).toBe('true');
    await expect.poll(() => hasFocus(equipment('Chassis')), { timeout: 15_000, interval: 50 }).toBe(true);
    await ui.page.getByLabel('Chassis number').waitFor();
    // Past the last it wraps to the first; back again with the other arrows.
    await ui.page.keyboard.press('ArrowDown');
    expect(await equipment('Trailer').getAttribute('aria-checked')).toBe('true');
    await ui.page.getByLabel('Trailer number').waitFor();
    await ui.page.keyboard.press('ArrowLeft');
    await ui.page.keyboard.press('ArrowRight');
    await ui.page.keyboard.press('ArrowRight');
    expect(await equipment('Container').getAttribute('aria-checked')).toBe('true');
    // One checked radio is the only one Tab reaches.
    expect(await ui.page.getByRole('radiogroup', { name: 'Equipment' }).locator('[tabindex="0"]').count()).toBe(1);
  });

  it('shows a wrong container check digit as it is typed and starts nothing until it is right', async () => {
    await ui.page.getByLabel('Container number').fill('CSQU3054384');
    await ui.page.getByText('Check digit should be 3, not 4').waitFor();
    expect(await ui.page.getByLabel('Container number').getAttribute('aria-invalid')).toBe('true');
    await ui.page.getByLabel('Delivering party').fill('Blue Line Drayage');
    await ui.page.getByLabel('Receiving party').fill('Demo yard');
    await ui.page.getByRole('button', { name: 'Start interchange' }).click();
    await screenshot(ui.page, '60-interchange-wrong-check-digit');
    expect(interchanges()).toEqual([]);

    await ui.page.getByLabel('Container number').fill('csqu 305438 3');
    await ui.page.getByText('✓ Valid container number CSQU3054383').waitFor();
    await ui.page.getByRole('button', { name: 'Start interchange' }).click();
    await ui.page.getByRole('heading', { name: 'Interchange of CSQU3054383' }).waitFor();
    expect(interchanges()).toHaveLength(1);
    expect(interchanges()[0]!.fields).toMatchObject({ equipmentType: 'container', equipmentNumber: 'CSQU3054383', fromCarrier: 'Blue Line Drayage', toCarrier: 'Demo yard', status: 'draft' });
  });

  it('records the condition and damage marks on the drawn unit, each tap its own action; a mark can be removed', async () => {
    await ui.page.getByRole('radiogroup', { name: 'Condition' }).getByRole('radio', { name: 'Damaged' }).click();
    await ui.page.getByText(/^Saved · journal entry \d+$/).waitFor();

    await ui.page.getByRole('group', { name: 'Sides of the unit' }).getByRole('button', { name: 'Left', exact: true }).click();
    const markForm = ui.page.getByRole('form', { name: 'Mark damage on the left' });
    // A mark needs what and how large: saying only one is refused in words, not saved.
    await markForm.getByRole('radio', { name: 'Dent' }).click();
    await markForm.getByRole('button', { name: 'Add mark' }).click();
    await markForm.getByText('Choose how large it is.').waitFor();
    await markForm.getByRole('radio', { name: 'Medium' }).click();
    await markForm.getByRole('button', { name: 'Add mark' }).click();
    await marks().filter({ hasText: 'left · dent · medium' }).waitFor();

    await ui.page.getByRole('button', { name: 'Rear', exact: true }).click();
    const rear = ui.page.getByRole('form', { name: 'Mark damage on the rear' });
    await rear.getByRole('radio', { name: 'Missing part' }).click();
    await rear.getByRole('radio', { name: 'Small' }).click();
    await rear.getByRole('button', { name: 'Add mark' }).click();
    await marks().filter({ hasText: 'rear · missing part · small' }).waitFor();
    expect(await marks().allTextContents()).toHaveLength(2);
    // The diagram counts the marks on each side.
    await ui.page.getByRole('button', { name: 'Left, 1 mark' }).waitFor();

    await ui.page.getByRole('button', { name: 'Remove left · dent · medium' }).click();
    await marks().filter({ hasText: 'left · dent · medium' }).waitFor({ state: 'detached' });
    expect(await marks().allTextContents()).toEqual(['rear · missing part · smallRemove']);
    await ui.page.getByRole('button', { name: 'Left', exact: true }).waitFor();
    expect(interchanges()[0]!.fields.damages).toEqual(['rear · missing part · small']);

    await ui.page.getByLabel('Attach photo').setInputFiles({ name: 'rear-door.png', mimeType: 'image/png', buffer: Buffer.from(DAMAGE_PHOTO) });
    await ui.page.getByRole('list', { name: 'Photos' }).getByAltText('Photos 1').waitFor();
    expect(interchanges()[0]!.fields.photos).toEqual([sha256Hex(DAMAGE_PHOTO)]);
  });

  it('says in plain words, beside the signatures, why it cannot be submitted unsigned, and submits nothing', async () => {
    const before = ui.host.core.status().journal;
    await ui.page.getByLabel('Condition note').fill('Rear door seal torn');
    await ui.page.getByRole('button', { name: 'Submit interchange' }).click();
    const problem = ui.page.getByRole('region', { name: 'Signatures' }).getByRole('alert');
    await problem.filter({ hasText: 'Both carriers must sign the interchange.' }).waitFor();
    await ui.page.getByText('Not submitted: one thing is missing, marked above.').waitFor();
    // The condition was given: nothing is said about it.
    expect(await ui.page.getByText('Record the equipment condition.').count()).toBe(0);
    await expectSubmitInView();
    await screenshot(ui.page, '60-interchange-unsigned-1280-light');
    await ui.page.screenshot({ path: join(SCREENSHOTS, '60-interchange-unsigned-1280-light-window.png') });

    const [record] = interchanges();
    expect(record!.fields.status).toBe('draft');
    // Leaving the note by pressing Submit saved it, and that is all that was journaled.
    expect(record!.fields.conditionNote).toBe('Rear door seal torn');
    expect(ui.host.core.status().journal.entries).toBe(before.entries + 1);
  });

  it('submits once both parties signed, and lists it as submitted today', async () => {
    await sign("Delivering driver's signature");
    // One signature is not enough: the problem stays until both signed.
    await ui.page.getByText('Both carriers must sign the interchange.').waitFor();
    await sign("Receiving clerk's signature");
    await ui.page.getByText('Both carriers must sign the interchange.').waitFor({ state: 'detached' });
    // A party emptied just before Submit is not recorded, nor is the interchange submitted with the old one.
    await ui.page.getByLabel('Receiving party').fill('');
    await ui.page.getByRole('button', { name: 'Submit interchange' }).click();
    await ui.page.getByText('Enter the receiving party').waitFor();
    await ui.page.getByText('Not submitted: one thing is missing, marked above.').waitFor();
    expect(interchanges()[0]!.fields).toMatchObject({ status: 'draft', toCarrier: 'Demo yard' });
    await ui.page.getByLabel('Receiving party').fill('Demo yard');
    await ui.page.getByRole('button', { name: 'Submit interchange' }).click();
    await ui.page.getByRole('status').filter({ hasText: /^Submitted the interchange of CSQU3054383 \(journal entry \d+\)/ }).waitFor();
    await ui.page.getByRole('list', { name: 'Interchanges submitted today' }).getByText('CSQU3054383').waitFor();
    await screenshot(ui.page, '60-interchange-submitted');

    const [record] = interchanges();
    expect(record!.fields).toMatchObject({ status: 'submitted', condition: 'damaged', damages: ['rear · missing part · small'] });
    expect(record!.fields.fromSignature).toMatch(/^[0-9a-f]{64}$/);
    expect(record!.fields.toSignature).toMatch(/^[0-9a-f]{64}$/);
    // One action per change: the start, then one for each tap, mark, photo, note and signature, then the submit.
    const history = ui.host.core.recordHistory('equipmentInterchange', record!.id).flatMap(({ body }) => ('action' in body ? [body] : []));
    expect(history.map((body) => body.action)).toEqual(['create', 'update', 'update', 'update', 'update', 'update', 'update', 'update', 'update', 'submit']);
    for (const body of history.slice(1)) expect(body.ops).toHaveLength(1);
  });

  it('opens it under Records with every field by its label', async () => {
    await tab('Records').click();
    await ui.page.getByRole('radio', { name: 'Interchanges' }).click();
    await ui.page.getByRole('button', { name: /^Interchange of CSQU3054383 .*Submitted$/ }).click();
    await ui.page.getByRole('heading', { name: 'Interchange of CSQU3054383' }).waitFor();
    const details = ui.page.getByRole('region', { name: 'Details' });
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
    await ui.page.getByRole('region', { name: 'Photos' }).getByAltText('Photos 1').waitFor();
    for (const label of ["Delivering driver's signature", "Receiving clerk's signature"]) await ui.page.getByRole('region', { name: label }).getByAltText(label).waitFor();
    await screenshot(ui.page, '60-interchange-in-records');
  });

  it('keeps a half-typed interchange for the clerk across a sign-out', async () => {
    await tab('Interchange').click();
    await equipment('Trailer').click();
    await ui.page.getByLabel('Trailer number').fill('trl-4410');
    await ui.page.getByLabel('Delivering party').fill('Harbor Haulers');
    // Kept shortly after typing pauses.
    await ui.page.waitForTimeout(800);
    await ui.page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(ui.page, CLERK);
    await tab('Interchange').click();
    await ui.page.getByText('Your unsaved entries were kept while you were away').waitFor();
    expect(await equipment('Trailer').getAttribute('aria-checked')).toBe('true');
    expect(await ui.page.getByLabel('Trailer number').inputValue()).toBe('trl-4410');
    expect(await ui.page.getByLabel('Delivering party').inputValue()).toBe('Harbor Haulers');
  });

  it('fits a 1024 × 768 cab screen in Night: Submit in view, nothing white, the top bar whole', async () => {
    await ui.page.setViewportSize(CAB);
    await ui.page.evaluate(() => (globalThis as any).localStorage.setItem('waypost.theme', 'night'));
    await ui.page.reload();
    await tab('Interchange').click();
    await ui.page.getByLabel('Receiving party').fill('Demo yard');
    await expectFieldSized();
    await screenshot(ui.page, '60-interchange-start-1024-dark');
    await ui.page.getByRole('button', { name: 'Start interchange' }).click();
    await ui.page.getByRole('heading', { name: 'Interchange of TRL-4410' }).waitFor();
    await ui.page.getByRole('button', { name: 'Top', exact: true }).click();
    await expectSubmitInView();
    await expectFieldSized();
    await expectNoWhite(ui.page);
    await ui.page.screenshot({ path: join(SCREENSHOTS, '60-interchange-form-1024-dark-window.png') });
    await screenshot(ui.page, '60-interchange-form-1024-dark');
    await ui.page.mouse.wheel(0, 900);
    await expectSubmitInView();
    await ui.page.screenshot({ path: join(SCREENSHOTS, '60-interchange-form-1024-dark-scrolled.png') });
  });

  it('gives the inspector the tab too, and the top bar still fits at 1024 px', async () => {
    await ui.page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(ui.page, INSPECTOR);
    await tab('Interchange').click();
    await ui.page.getByRole('heading', { name: 'Record an equipment interchange' }).waitFor();
    await expectFieldSized();
    await screenshot(ui.page, '60-interchange-inspector-1024-dark');
    expect(pageProblems(ui.page)).toEqual([]);
  });

  it("gives a supervisor every screen, and the top bar with all seven tabs still fits at 1024 px", async () => {
    await ui.page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(ui.page, SUPERVISOR);
    const tabs = await ui.page.getByRole('navigation', { name: 'Screens' }).getByRole('button').allTextContents();
    expect(tabs.map((name) => name.replace(/\d+$/, '').trim())).toEqual(['Work orders', 'Gate', 'Inspections', 'Interchange', 'Records', 'Sync', 'Device']);
    await tab('Interchange').click();
    await ui.page.getByRole('heading', { name: 'Record an equipment interchange' }).waitFor();
    await expectFieldSized();
    await screenshot(ui.page, '61-supervisor-1024-dark');
    expect(pageProblems(ui.page)).toEqual([]);
  });
});
