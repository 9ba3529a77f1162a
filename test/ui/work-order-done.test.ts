import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../../server/main.js';
import { bootstrapDemoOffice, DEMO_SITE, DEMO_WORK_ORDER, issueEnrollmentToken, OfficeApi } from '../../scripts/demo-office.js';
import { DEMO_OPERATORS } from '../../scripts/demo-operators.js';
import { startDevHost, type DevHost } from '../../scripts/dev-host-server.js';
import { UNDO_WINDOW_MS } from '../../renderer/work-orders/undo-window.js';
import { tempDir } from '../support/device.js';
import { buildRenderer, launchBrowser, openPage, pageProblems, screenshot, skipBrowserTests } from './browser.js';

/**
 * "Mark done" on a work order in the real UI, against an office on embedded PGlite: the notice that
 * offers Undo for ten seconds (the page's clock is Playwright's, moved forward instead of waited
 * out), the undo as a journaled change of its own that syncs like any other, also with the office
 * link cut, and the confirmation asked first when an inspection of the order is still in progress.
 */
const ADMIN_TOKEN = 'wpo_work-order-done-ui-admin-token-0123456789';
const INSPECTOR = DEMO_OPERATORS.find((operator) => operator.role === 'inspector')!;
/** How long the device may take to drain its queue once the office link is back (it usually takes well under a second). */
const SYNC_WAIT_MS = 15_000;

const order = (id: string, title: string, equipmentNumber: string) => ({ id, siteId: DEMO_SITE.id, title, equipmentNumber, assignee: INSPECTOR.operatorId, priority: 'normal', status: 'in-progress' });
const LIGHTS = order('wo-done-lights', 'Trailer lights, TRL-5521', 'TRL-5521');
const COUPLING = order('wo-done-coupling', 'Fifth wheel check, tractor 3310', '3310');
const MIRRORS = order('wo-done-mirrors', 'Mirror brackets, tractor 2208', '2208');

describe.skipIf(skipBrowserTests)('marking a work order done in the browser', () => {
  let office: Awaited<ReturnType<typeof startService>>;
  let api: OfficeApi;
  let host: DevHost;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    office = await startService({
      WAYPOST_DATA_DIR: tempDir('waypost-office-done-'),
      WAYPOST_HOST: '127.0.0.1',
      WAYPOST_PORT: '0',
      WAYPOST_ADMIN_TOKEN: ADMIN_TOKEN,
      WAYPOST_LOG_LEVEL: 'silent',
    });
    api = new OfficeApi(office.url, ADMIN_TOKEN);
    await bootstrapDemoOffice(api);
    for (const extra of [LIGHTS, COUPLING, MIRRORS]) await api.ensure('/v1/office/work-orders', extra, extra.title);
    host = await startDevHost({
      port: 0,
      dataDir: tempDir('waypost-ui-done-'),
      rendererDir: await buildRenderer(),
      // Only the office link's return and the live notifications sync: the queue stays as the test left it.
      office: { url: office.url, enrollmentToken: () => issueEnrollmentToken(api, DEMO_SITE.id, 'cab'), kind: 'cab', syncIntervalMs: 60 * 60_000 },
    });
    browser = await launchBrowser();
    page = await openPage(browser);
    // Time flows as usual until the test moves it on: the undo window closes without ten seconds of waiting.
    await page.clock.install();
    await page.goto(host.url);
    await signIn();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await office?.stop();
  });

  const tab = (name: string) => page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name, exact: true });
  const workOrder = (title: string) => page.getByRole('list', { name: 'Your work orders' }).getByRole('listitem', { name: title });
  const undoNotice = () => page.getByRole('status').filter({ hasText: 'marked done' });
  const undoButton = () => page.getByRole('button', { name: 'Undo', exact: true });
  const badge = () => page.getByTestId('sync-badge');
  const hasFocus = (locator: Locator) => locator.evaluate((element) => (element as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement === element);
  /** Focus moves in an effect after the render that shows the element: on a loaded machine a moment later (bounded as a hang guard only). */
  const focused = (locator: Locator) => expect.poll(() => hasFocus(locator), { timeout: 15_000, interval: 50 });
  const invoke = (method: string, input: unknown) => page.evaluate(([m, i]) => (globalThis as any).waypost.invoke(m, i), [method, input] as const);

  async function signIn(): Promise<void> {
    await page.getByLabel('Badge ID').fill(INSPECTOR.badgeId);
    await page.getByLabel('PIN').fill(INSPECTOR.pin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('banner').getByText(INSPECTOR.displayName).waitFor();
    await tab('Work orders').click();
  }

  async function markDone(title: string): Promise<void> {
    await workOrder(title).getByRole('button', { name: 'Mark done' }).click();
    await workOrder(title).getByText('Done', { exact: true }).waitFor();
    await undoNotice().waitFor();
  }

  /** Cuts or restores the office link, as a developer does on the dev host's page. */
  async function setOfficeLink(reachable: boolean): Promise<void> {
    const dev = await openPage(browser);
    await dev.goto(`${host.url}dev`);
    await dev.getByRole('button', { name: reachable ? 'Restore the office link' : 'Cut the office link' }).click();
    await dev.getByText(reachable ? 'The office can be reached.' : /The office is unreachable/).waitFor();
    expect(pageProblems(dev)).toEqual([]);
    await dev.close();
  }

  it('takes "Mark done" back with Undo while offline: two journaled changes, kept over a reload, sent when the link is back', async () => {
    await setOfficeLink(false);
    await badge().getByRole('button', { name: 'Sync now' }).click();
    await badge().getByText('Offline', { exact: true }).waitFor();
    await workOrder(DEMO_WORK_ORDER.title).getByRole('button', { name: 'Start' }).click();
    await workOrder(DEMO_WORK_ORDER.title).getByText('In progress', { exact: true }).waitFor();

    await markDone(DEMO_WORK_ORDER.title);
    expect(await undoNotice().textContent()).toMatch(/^Work order “Pre-trip inspection, tractor 4127” marked done\.0:(10|09) leftUndo$/);
    expect(await undoNotice().getAttribute('aria-live')).toBe('polite');
    // Focus waits beside Undo, not on it, now that the pressed button has gone with the order's new status.
    await focused(undoNotice()).toBe(true);
    expect(await workOrder(DEMO_WORK_ORDER.title).getByRole('button', { name: 'Mark done' }).count()).toBe(0);
    await screenshot(page, 'work-order-01-done-undo-offered');

    await undoButton().click();
    await workOrder(DEMO_WORK_ORDER.title).getByText('In progress', { exact: true }).waitFor();
    const undone = page.getByRole('status').filter({ hasText: /is in progress again \(journal entry \d+\)/ });
    await undone.waitFor();
    expect(await undoButton().count()).toBe(0);
    await workOrder(DEMO_WORK_ORDER.title).getByRole('button', { name: 'Mark done' }).waitFor();

    // The journal keeps the "done" and adds the undo after it, each a signed entry of the inspector's.
    const history = await invoke('records.history', { recordType: 'workOrder', recordId: DEMO_WORK_ORDER.id });
    const statuses = history.value.slice(-3).map((entry: any) => ({ seq: entry.seq, ops: entry.ops, operatorId: entry.operatorId }));
    const [started, done, undo] = statuses;
    expect(statuses.map((entry: any) => entry.ops)).toEqual([
      [{ op: 'set', field: 'status', value: 'in-progress' }],
      [{ op: 'set', field: 'status', value: 'done' }],
      [{ op: 'set', field: 'status', value: 'in-progress' }],
    ]);
    expect([done.seq, undo.seq]).toEqual([started.seq + 1, started.seq + 2]);
    expect(statuses.every((entry: any) => entry.operatorId === INSPECTOR.operatorId)).toBe(true);
    expect(await undone.textContent()).toContain(`(journal entry ${undo.seq})`);
    await badge().getByText('3 changes waiting to send').waitFor();
    expect((await invoke('device.status', {})).value.journal).toMatchObject({ lastSeq: undo.seq });
    expect(host.core.verifyJournal()).toMatchObject({ ok: true });
    await screenshot(page, 'work-order-02-undone-offline');

    await page.reload();
    await tab('Work orders').click();
    await workOrder(DEMO_WORK_ORDER.title).getByText('In progress', { exact: true }).waitFor();
    expect(await workOrder(DEMO_WORK_ORDER.title).getByText('Not sent yet').count()).toBe(1);
    expect(await undoButton().count()).toBe(0);
    expect((await invoke('records.get', { recordType: 'workOrder', recordId: DEMO_WORK_ORDER.id })).value.fields.status).toBe('in-progress');

    await setOfficeLink(true);
    await badge().getByText('nothing waiting to send').waitFor({ timeout: SYNC_WAIT_MS });
    expect((await api.request('GET', `/v1/office/records/workOrder/${DEMO_WORK_ORDER.id}`)).body).toMatchObject({ fields: { status: 'in-progress' } });
    await workOrder(DEMO_WORK_ORDER.title).getByText('Not sent yet').waitFor({ state: 'detached' });
  });

  it('stops offering Undo once ten seconds have passed, and the order stays done', async () => {
    await markDone(LIGHTS.title);
    await page.clock.fastForward(UNDO_WINDOW_MS - 1_000);
    await undoNotice().getByText('0:01 left').waitFor();
    expect(await undoButton().isEnabled()).toBe(true);
    await page.clock.fastForward(1_000);
    await undoButton().waitFor({ state: 'detached' });
    expect(await undoNotice().count()).toBe(0);
    expect(await workOrder(LIGHTS.title).getByText('Done', { exact: true }).count()).toBe(1);
    expect((await invoke('records.get', { recordType: 'workOrder', recordId: LIGHTS.id })).value.fields.status).toBe('done');
  });

  it('asks first when an inspection of the order is still in progress: "Keep open" and Escape leave it, "Mark done" marks it', async () => {
    await workOrder(COUPLING.title).getByRole('button', { name: 'Inspect 3310' }).click();
    const start = page.getByRole('form', { name: 'Start an inspection' });
    await start.getByRole('radio', { name: 'Driver vehicle inspection — power unit' }).click();
    await start.getByRole('button', { name: 'Start inspection' }).click();
    await page.getByRole('button', { name: 'Submit inspection' }).waitFor();
    await tab('Work orders').click();

    const dialog = page.getByRole('dialog', { name: 'Mark done anyway?' });
    const seqBefore = (await invoke('device.status', {})).value.journal.lastSeq;
    await workOrder(COUPLING.title).getByRole('button', { name: 'Mark done' }).click();
    await dialog.waitFor();
    expect(await dialog.getAttribute('aria-describedby').then((id) => page.locator(`[id="${id}"]`).textContent())).toBe(
      'The inspection of 3310 started from this work order is still in progress: it has not been submitted.',
    );
    // Modal (the page behind cannot be used until it is answered), with the safe answer focused.
    expect(await dialog.evaluate((element) => (element as unknown as { matches(selector: string): boolean }).matches(':modal'))).toBe(true);
    await focused(dialog.getByRole('button', { name: 'Keep open' })).toBe(true);
    await screenshot(page, 'work-order-03-confirm-done');

    await dialog.getByRole('button', { name: 'Keep open' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await focused(workOrder(COUPLING.title).getByRole('button', { name: 'Mark done' })).toBe(true);
    await workOrder(COUPLING.title).getByRole('button', { name: 'Mark done' }).click();
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await workOrder(COUPLING.title).getByText('In progress', { exact: true }).count()).toBe(1);
    expect(await undoNotice().count()).toBe(0);
    expect((await invoke('device.status', {})).value.journal.lastSeq).toBe(seqBefore);

    await workOrder(COUPLING.title).getByRole('button', { name: 'Mark done' }).click();
    await dialog.getByRole('button', { name: 'Mark done' }).click();
    await workOrder(COUPLING.title).getByText('Done', { exact: true }).waitFor();
    await undoNotice().waitFor();
    expect((await invoke('records.get', { recordType: 'workOrder', recordId: COUPLING.id })).value.fields.status).toBe('done');

    // Leaving the screen ends the offer: back on it, the order is simply done.
    await tab('Inspections').click();
    await tab('Work orders').click();
    await workOrder(COUPLING.title).getByText('Done', { exact: true }).waitFor();
    expect(await undoButton().count()).toBe(0);
  });

  it('asks nothing of an order without an inspection in progress, and offers no Undo after signing out and in again', async () => {
    await markDone(MIRRORS.title);
    expect(await page.getByRole('dialog').count()).toBe(0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Badge ID').waitFor();
    await signIn();
    await workOrder(MIRRORS.title).getByText('Done', { exact: true }).waitFor();
    expect(await undoButton().count()).toBe(0);
    expect(pageProblems(page)).toEqual([]);
  });
});
