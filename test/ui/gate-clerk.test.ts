import type { Locator } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DEMO_OPERATORS } from '../../scripts/demo-operators.js';
import { sha256Hex } from '../../protocol/crypto/hash.js';
import { makePng } from '../support/png.js';
import { pageProblems, screenshot, skipBrowserTests, useBrowserOnDevHost } from './browser.js';

/**
 * A gate clerk's shift in the real UI, in Chromium, against a real device core behind the dev
 * host: sign-in, a container number with a wrong check digit, a recorded (with a photo) and
 * submitted event, a correction, the device panel and sign-out.
 */
const CLERK = DEMO_OPERATORS.find((operator) => operator.role === 'gate-clerk')!;
const SEAL_PHOTO = makePng({ width: 40, height: 30, rgb: [30, 90, 160], text: 'seal SEAL-0042' });

describe.skipIf(skipBrowserTests)('gate clerk in the browser', () => {
  const ui = useBrowserOnDevHost();

  const field = (label: string) => ui.page.getByLabel(label);
  const gateEvents = () => ui.page.getByRole('list', { name: "Today's gate events" }).getByRole('listitem');

  async function journalEntries(): Promise<number> {
    await ui.page.getByRole('button', { name: 'Device', exact: true }).click();
    const text = await ui.page.getByTestId('journal-entries').textContent();
    await ui.page.getByRole('button', { name: 'Gate', exact: true }).click();
    return Number(text);
  }

  it('refuses a wrong PIN with a clear message, then signs in', async () => {
    await ui.page.goto(ui.host.url);
    await field('Badge ID').fill(CLERK.badgeId);
    await field('PIN').fill('9999');
    await ui.page.getByRole('button', { name: 'Sign in' }).click();
    await ui.page.getByRole('alert').filter({ hasText: 'Wrong badge or PIN. 4 more tries before sign-in with this badge pauses.' }).waitFor();
    expect(await field('PIN').inputValue()).toBe('');
    await screenshot(ui.page, '01-wrong-pin');

    await field('PIN').fill(CLERK.pin);
    await ui.page.getByRole('button', { name: 'Sign in' }).click();
    await ui.page.getByRole('banner').getByText(CLERK.displayName).waitFor();
    await ui.page.getByRole('banner').getByText('Gate clerk · yard-7').waitFor();
  });

  it('shows a wrong container check digit inline as it is typed and records nothing', async () => {
    const before = ui.host.core.status().journal;
    await field('Truck plate').fill('7abc123');
    await field('Carrier').fill('Blue Line Drayage');
    await field('Driver').fill('Sam Ortiz');
    await field('Container number').fill('CSQU305438');
    expect(await ui.page.getByText('A container number is 3 letters, U/J/Z, 6 digits and a check digit').count()).toBe(1);
    await field('Container number').fill('CSQU3054384');
    await ui.page.getByText('Check digit should be 3, not 4').waitFor();
    expect(await field('Container number').getAttribute('aria-invalid')).toBe('true');
    await ui.page.getByRole('button', { name: 'Record gate-in' }).click();
    await screenshot(ui.page, '02-wrong-check-digit');

    expect(await ui.page.getByText('No gate events recorded today.').count()).toBe(1);
    expect(ui.host.core.status().journal).toEqual(before);
    expect(ui.host.core.listRecords('gateEvent')).toEqual([]);
  });

  /** Whether the element has the page's focus (focus moves with the key press; polled, bounded as a hang guard only). */
  const hasFocus = (locator: Locator) => locator.evaluate((element) => (element as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement === element);

  it("takes a barcode scanner's Enter as the end of the code, not of the form: on to the next field, or the next seal", async () => {
    const before = ui.host.core.status().journal;
    // Tried: a scanner typing a container number, a chassis number and two seals, each followed by Enter.
    await field('Container number').fill('');
    await field('Container number').pressSequentially('CSQU3054383');
    await field('Container number').press('Enter');
    await ui.page.getByText('✓ Valid container number CSQU3054383').waitFor();
    await expect.poll(() => hasFocus(field('Chassis number')), { timeout: 15_000, interval: 50 }).toBe(true);
    await field('Chassis number').pressSequentially('DCLZ402211');
    await field('Chassis number').press('Enter');
    await expect.poll(() => hasFocus(field('Seal numbers')), { timeout: 15_000, interval: 50 }).toBe(true);
    for (const seal of ['SEAL-0042', 'SEAL-0043']) {
      await field('Seal numbers').pressSequentially(seal);
      await field('Seal numbers').press('Enter');
    }
    expect(await field('Seal numbers').inputValue()).toBe('SEAL-0042, SEAL-0043, ');
    // Nothing was submitted half filled.
    expect(await ui.page.getByText('No gate events recorded today.').count()).toBe(1);
    expect(ui.host.core.status().journal).toEqual(before);
    await screenshot(ui.page, '02b-scanned-codes');
    await ui.page.getByRole('button', { name: 'Clear form' }).click();
  });

  it('records the event once the number is right: it is listed and the journal grew by one entry', async () => {
    const entriesBefore = await journalEntries();
    await field('Truck plate').fill('7abc123');
    await field('Carrier').fill('Blue Line Drayage');
    await field('Driver').fill('Sam Ortiz');
    await field('Container number').fill('csqu 305438 3');
    await ui.page.getByText('✓ Valid container number CSQU3054383').waitFor();
    await field('Chassis number').fill('DCLZ402211');
    await field('Seal numbers').fill('SEAL-0043, SEAL-0042');
    await ui.page.getByLabel('Attach photo').setInputFiles({ name: 'seal.png', mimeType: 'image/png', buffer: Buffer.from(SEAL_PHOTO) });
    await ui.page.getByRole('list', { name: 'Photos' }).getByAltText('Photos 1').waitFor();
    await ui.page.getByRole('button', { name: 'Record gate-in' }).click();
    await ui.page.getByRole('status').filter({ hasText: 'Recorded gate-in of 7ABC123' }).waitFor();
    expect(ui.host.core.listRecords('gateEvent')[0]?.fields.photos).toEqual([sha256Hex(SEAL_PHOTO)]);

    const event = gateEvents().filter({ hasText: '7ABC123' });
    expect(await gateEvents().count()).toBe(1);
    const text = await event.textContent();
    for (const expected of ['IN', 'Draft', 'Blue Line Drayage', 'Sam Ortiz', 'CSQU3054383', 'DCLZ402211', 'SEAL-0042, SEAL-0043', '1 photo']) expect(text).toContain(expected);
    expect(await field('Truck plate').inputValue()).toBe('');
    await screenshot(ui.page, '03-recorded');

    expect(await journalEntries()).toBe(entriesBefore + 1);
  });

  it('edits the draft with one action holding only what changed', async () => {
    await gateEvents().filter({ hasText: '7ABC123' }).getByRole('button', { name: 'Edit' }).click();
    await ui.page.getByRole('heading', { name: 'Edit draft gate event' }).waitFor();
    await field('Driver').fill('Samuel Ortiz');
    await ui.page.getByRole('button', { name: 'Save changes' }).click();
    await ui.page.getByRole('status').filter({ hasText: 'Saved changes to 7ABC123' }).waitFor();
    expect(await gateEvents().filter({ hasText: '7ABC123' }).textContent()).toContain('Samuel Ortiz');
    const [event] = ui.host.core.listRecords('gateEvent');
    expect(ui.host.core.recordHistory('gateEvent', event!.id).at(-1)?.body).toMatchObject({ action: 'update', ops: [{ op: 'set', field: 'driverName', value: 'Samuel Ortiz' }] });
  });

  it('submits the event, after which it can only be corrected', async () => {
    const event = gateEvents().filter({ hasText: '7ABC123' });
    await event.getByRole('button', { name: 'Submit' }).click();
    await event.getByText('Submitted').waitFor();
    expect(await event.getByRole('button', { name: 'Edit' }).count()).toBe(0);
    expect(await event.getByRole('button', { name: 'Correct' }).count()).toBe(1);
    expect(ui.host.core.listRecords('gateEvent')[0]?.fields.status).toBe('submitted');
  });

  it('records a correction as a new event that refers to the original, which stays as it was', async () => {
    await gateEvents().filter({ hasText: '7ABC123' }).getByRole('button', { name: 'Correct' }).click();
    await ui.page.getByRole('heading', { name: 'Correct a submitted gate event' }).waitFor();
    expect(await field('Container number').inputValue()).toBe('CSQU3054383');
    await field('Carrier').fill('Harbor Haulers');
    await ui.page.getByRole('button', { name: 'Record correction' }).click();
    await ui.page.getByRole('status').filter({ hasText: 'Recorded a correction for 7ABC123' }).waitFor();

    const correction = gateEvents().filter({ hasText: 'Harbor Haulers' });
    await correction.getByRole('button', { name: 'Submit' }).click();
    await correction.getByText('Submitted').waitFor();
    expect(await correction.textContent()).toContain('Corrects the event of 7ABC123');
    const original = gateEvents().filter({ hasText: 'Blue Line Drayage' });
    expect(await original.getByText('Corrected', { exact: true }).count()).toBe(1);
    expect(await original.getByRole('button', { name: 'Correct' }).count()).toBe(0);
    await screenshot(ui.page, '04-correction');

    const [first, second] = ui.host.core.listRecords('gateEvent');
    expect(first?.fields).toMatchObject({ carrier: 'Blue Line Drayage', status: 'submitted', correctsId: null });
    expect(second?.fields).toMatchObject({ carrier: 'Harbor Haulers', status: 'submitted', correctsId: first?.id, containerNumber: 'CSQU3054383' });
  });

  it('shows the device status and verifies the journal', async () => {
    await ui.page.getByRole('button', { name: 'Device', exact: true }).click();
    const { journal, outbox } = ui.host.core.status();
    expect(await ui.page.getByTestId('journal-entries').textContent()).toBe(String(journal.entries));
    expect(await ui.page.getByTestId('outbox-pending').textContent()).toBe(String(outbox.pending));
    await ui.page.getByRole('button', { name: 'Verify journal' }).click();
    await ui.page.getByRole('status').filter({ hasText: `Journal verified: ${journal.entries} entries,` }).waitFor();
    await screenshot(ui.page, '05-device');
  });

  it('signs out back to the sign-in screen, and pages logged no errors', async () => {
    await ui.page.getByRole('button', { name: 'Sign out' }).click();
    await ui.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await ui.page.getByText('Signed out.').waitFor();
    expect(ui.host.core.sessions.current).toBeNull();
    await screenshot(ui.page, '06-signed-out');
    expect(pageProblems(ui.page)).toEqual([]);
  });
});
