import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../../server/main.js';
import { bootstrapDemoOffice, DEMO_SITE, DEMO_WORK_ORDER, issueEnrollmentToken, OfficeApi } from '../../scripts/demo-office.js';
import { DEMO_OPERATORS } from '../../scripts/demo-operators.js';
import { startDevHost, type DevHost } from '../../scripts/dev-host-server.js';
import { maintenanceQueueSchema, officeWriteResponseSchema } from '../../protocol/wire.js';
import { tempDir } from '../support/device.js';
import { INSPECTION_TEMPLATE, performInspection, signaturePng } from '../support/inspection.js';
import { buildRenderer, launchBrowser, openPage, pageProblems, screenshot, skipBrowserTests } from './browser.js';

/**
 * Sync in the real UI: the office service on embedded PGlite (as `npm start` runs it), set up
 * through its admin API, and a dev host enrolled with it. What is tried: signing in with an
 * operator that exists only at the office, sending a gate event with "Sync now", an office edit
 * arriving by live notification alone, a conflicting edit reaching the conflict inbox, a rejected
 * change discarded after a confirmation, and an outdated app stopped by the forced-update screen.
 */
const ADMIN_TOKEN = 'wpo_sync-ui-test-admin-token-0123456789';
const OLIVE = { id: 'op-olive', badgeId: 'OLV-7', pin: '8642', displayName: 'Olive Office', role: 'gate-clerk' };
const INSPECTOR = DEMO_OPERATORS.find((operator) => operator.role === 'inspector')!;
/** How long an office edit may take to show on the device by itself (it usually takes well under a second). */
const LIVE_WAIT_MS = 15_000;

describe.skipIf(skipBrowserTests)('sync in the browser', () => {
  let office: Awaited<ReturnType<typeof startService>>;
  let api: OfficeApi;
  let rendererDir: string;
  let host: DevHost;
  let outdated: DevHost | undefined;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    office = await startService({
      WAYPOST_DATA_DIR: tempDir('waypost-office-ui-'),
      WAYPOST_HOST: '127.0.0.1',
      WAYPOST_PORT: '0',
      WAYPOST_ADMIN_TOKEN: ADMIN_TOKEN,
      WAYPOST_LOG_LEVEL: 'silent',
    });
    api = new OfficeApi(office.url, ADMIN_TOKEN);
    await bootstrapDemoOffice(api);
    await api.ensure('/v1/admin/operators', { ...OLIVE, siteId: DEMO_SITE.id }, 'the office-only operator');
    rendererDir = await buildRenderer();
    host = await startDevHost({
      port: 0,
      dataDir: tempDir('waypost-ui-sync-'),
      rendererDir,
      // Only the triggers under test sync: "Sync now" and the office's live notifications.
      office: { url: office.url, enrollmentToken: () => issueEnrollmentToken(api, DEMO_SITE.id, 'kiosk'), syncIntervalMs: 60 * 60_000 },
    });
    browser = await launchBrowser();
    page = await openPage(browser);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await outdated?.close();
    await host?.close();
    await office?.stop();
  });

  const badge = () => page.getByTestId('sync-badge');
  const tab = (name: RegExp) => page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name });
  const workOrder = () => page.getByRole('list', { name: 'Your work orders' }).getByRole('listitem', { name: DEMO_WORK_ORDER.title });

  async function signIn(badgeId: string, pin: string, name: string): Promise<void> {
    await page.getByLabel('Badge ID').fill(badgeId);
    await page.getByLabel('PIN').fill(pin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('banner').getByText(name).waitFor();
  }

  async function officeRecord(type: string, id: string): Promise<{ status: number; body: any }> {
    return api.request('GET', `/v1/office/records/${type}/${id}`);
  }

  async function officeEdit(set: Record<string, unknown>): Promise<void> {
    const answer = await api.request('PATCH', `/v1/office/work-orders/${DEMO_WORK_ORDER.id}`, { set });
    expect(answer.status).toBe(200);
  }

  it('signs in with an operator that exists only at the office: the device took it from there on enrolling', async () => {
    expect(host.core.enrollment()).toMatchObject({ siteId: DEMO_SITE.id, kind: 'kiosk' });
    await page.goto(host.url);
    await signIn(OLIVE.badgeId, OLIVE.pin, OLIVE.displayName);
    await badge().getByText('Online').waitFor();
  });

  it('records a gate event, sends it with "Sync now", and the office holds it', async () => {
    await page.getByLabel('Truck plate').fill('4kdx921');
    await page.getByLabel('Carrier').fill('Blue Line Drayage');
    await page.getByLabel('Container number').fill('CSQU3054383');
    await page.getByRole('button', { name: 'Record gate-in' }).click();
    await page.getByRole('status').filter({ hasText: 'Recorded gate-in of 4KDX921' }).waitFor();
    await badge().getByText(/\d+ changes? waiting to send/).waitFor();
    const [event] = host.core.listRecords('gateEvent');
    expect((await officeRecord('gateEvent', event!.id)).status).toBe(404);
    await screenshot(page, '20-sync-waiting');

    await badge().getByRole('button', { name: 'Sync now' }).click();
    await badge().getByText('nothing waiting to send').waitFor();
    expect(await badge().textContent()).toMatch(/last synced \d/);
    expect(host.core.status().outbox.pending).toBe(0);
    expect(host.core.getRecord('gateEvent', event!.id)?.syncState).toBe('synced');
    const held = await officeRecord('gateEvent', event!.id);
    expect(held.status).toBe(200);
    expect(held.body).toMatchObject({ fields: { truckPlate: '4KDX921', carrier: 'Blue Line Drayage', containerNumber: 'CSQU3054383', siteId: DEMO_SITE.id } });
    // The office's notification of this very push brings a short pull; the screenshot waits it out.
    await badge().getByText('Online', { exact: true }).waitFor();
    await screenshot(page, '21-sync-sent');

    await tab(/^Device$/).click();
    expect(await page.getByTestId('live-updates').textContent()).toBe('Connected');
    expect(await page.getByTestId('outbox-pending').textContent()).toBe('0');
    expect(await page.getByTestId('enrollment').textContent()).toBe('org-demo · kiosk');
    await tab(/^Gate$/).click();
  });

  it("shows an office edit of the inspector's work order without anyone pressing a button", async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(INSPECTOR.badgeId, INSPECTOR.pin, INSPECTOR.displayName);
    await tab(/^Work orders$/).click();
    await workOrder().waitFor();
    expect(await workOrder().getByTestId('status-note').textContent()).toBe('none');
    const syncsBefore = host.sync!.status().lastSuccessAt;

    await officeEdit({ statusNote: 'Bring the torque wrench', priority: 'urgent' });
    await workOrder().getByTestId('status-note').getByText('Bring the torque wrench').waitFor({ timeout: LIVE_WAIT_MS });
    await workOrder().getByText('Urgent').waitFor();
    // It came by the live notification's pull, not by a full sync.
    expect(host.sync!.status().lastSuccessAt).toBe(syncsBefore);
    await screenshot(page, '22-sync-office-edit');
  });

  it('puts a conflicting edit in the conflict inbox, with what was sent and what the office kept', async () => {
    await workOrder().getByLabel('New status note').fill('Waiting for brake parts');
    await workOrder().getByRole('button', { name: 'Save note' }).click();
    await workOrder().getByText('Not sent yet').waitFor();
    // The dispatcher writes the same field later, before the device has sent its note.
    await officeEdit({ statusNote: 'Parts arrive Monday, hold the unit' });
    const version = (await officeRecord('workOrder', DEMO_WORK_ORDER.id)).body.version;
    await expect.poll(() => host.core.getRecord('workOrder', DEMO_WORK_ORDER.id)?.serverVersion, { timeout: LIVE_WAIT_MS }).toBe(version);
    // Until the office has decided, the inspector still sees the note they wrote.
    expect(await workOrder().getByTestId('status-note').textContent()).toBe('Waiting for brake parts');

    await badge().getByRole('button', { name: 'Sync now' }).click();
    await workOrder().getByTestId('status-note').getByText('Parts arrive Monday, hold the unit').waitFor();
    await tab(/^Sync 1 to look at$/).click();
    const item = page.getByRole('list', { name: 'Conflict inbox' }).getByRole('listitem').filter({ hasText: `Work order “${DEMO_WORK_ORDER.title}”` });
    await item.waitFor();
    // The office's later edit won the field: the change was not kept, whatever the entry's outcome says.
    expect(await item.getByText('Not kept', { exact: true }).count()).toBe(1);
    expect(await item.textContent()).not.toContain(DEMO_WORK_ORDER.id);
    expect(await item.getByRole('row', { name: 'Status note Waiting for brake parts Parts arrive Monday, hold the unit' }).count()).toBe(1);
    await screenshot(page, '23-sync-conflict-inbox');

    await item.getByRole('button', { name: 'Mark seen' }).click();
    await item.getByText(/^Seen /).waitFor();
    expect(host.core.conflicts({ unseenOnly: true })).toEqual([]);
    await tab(/^Sync$/).waitFor();
  });

  it('lists a change the office rejected with its reason, and discards it only after a confirmation, with a signed entry', async () => {
    // The title belongs to the office: a device edit made before the office's own is refused.
    const attempt = await page.evaluate(
      (id) => (globalThis as any).waypost.invoke('records.perform', { recordType: 'workOrder', recordId: id, action: 'update', ops: [{ op: 'set', field: 'title', value: 'Brakes only' }] }),
      DEMO_WORK_ORDER.id,
    );
    expect(attempt.ok).toBe(true);
    await officeEdit({ title: 'Pre-trip inspection and brake check, tractor 4127' });
    await badge().getByRole('button', { name: 'Sync now' }).click();
    const rejected = page.getByRole('list', { name: 'Rejected changes' }).getByRole('listitem');
    await rejected.waitFor();
    expect(await rejected.textContent()).toMatch(/that part of the record is kept by the office/);
    expect(await rejected.textContent()).toContain('Changed: Title → Brakes only');
    expect(await rejected.textContent()).not.toMatch(/policy-rejected|op-demo/);
    const [failed] = host.core.failedEntries();

    await rejected.getByRole('button', { name: 'Discard…' }).click();
    await rejected.getByRole('group', { name: 'Confirm discard' }).waitFor();
    await screenshot(page, '24-sync-discard-confirm');
    await rejected.getByRole('button', { name: 'Keep it' }).click();
    expect(host.core.failedEntries()).toEqual([failed]);

    await rejected.getByRole('button', { name: 'Discard…' }).click();
    await rejected.getByRole('button', { name: 'Yes, discard' }).click();
    await page.getByRole('status').filter({ hasText: 'Discarded. Journal entry' }).waitFor();
    expect(await page.getByText('Nothing was rejected.').count()).toBe(1);
    expect(host.core.failedEntries()).toEqual([]);
    expect(host.core.journal().at(-1)?.body).toMatchObject({ kind: 'entry.discard', discardedSeq: failed!.seq, operatorId: INSPECTOR.operatorId });

    await badge().getByRole('button', { name: 'Sync now' }).click();
    await badge().getByText('nothing waiting to send').waitFor();
    await screenshot(page, '25-sync-discarded');
    expect(pageProblems(page)).toEqual([]);
  });

  it("shows the inspector a repair the mechanic certified, checked against the office's signature, and sends their review", async () => {
    // The inspector reports a failed service brake on TRK-1000 (an out-of-service item) and sends it.
    performInspection(host.core, 0, { signatureSeed: 'ui-sync-repairs', now: () => Date.now() });
    await badge().getByRole('button', { name: 'Sync now' }).click();
    await badge().getByText('nothing waiting to send').waitFor();
    const queue = maintenanceQueueSchema.parse((await api.request('GET', '/v1/office/maintenance')).body);
    const unit = queue.units.find((candidate) => candidate.equipmentNumber === 'TRK-1000')!;
    expect(unit).toMatchObject({ outOfService: true });

    await tab(/^Inspections$/).click();
    const certified = await api.request('POST', '/v1/office/maintenance/certifications', {
      inspectionId: unit.inspections[0]!.inspectionId,
      repairs: [{ defect: 'item:service-brakes', disposition: 'repaired', reason: 'Replaced the right rear brake chamber' }],
    });
    expect(certified.status).toBe(201);
    // It arrives by the office's live notification.
    const card = page.getByRole('list', { name: 'Repairs to review' }).getByRole('listitem').filter({ hasText: 'TRK-1000' });
    await card.waitFor({ timeout: LIVE_WAIT_MS });
    await card.getByText('Certified', { exact: true }).waitFor();
    expect(await card.textContent()).toContain('Service brakes including trailer brake connections: Repaired — Replaced the right rear brake chamber');
    await screenshot(page, '27-repairs-to-review');

    await card.getByRole('button', { name: 'I have reviewed these repairs' }).click();
    await page.getByText('You reviewed the repairs on TRK-1000.').waitFor();
    await badge().getByRole('button', { name: 'Sync now' }).click();
    await badge().getByText('nothing waiting to send').waitFor();
    const record = await officeRecord('repairCertification', officeWriteResponseSchema.parse(certified.body).record!.id);
    expect(record.body.fields).toMatchObject({ reviewedBy: INSPECTOR.operatorId, reviewedAt: expect.any(Number) });
    expect(pageProblems(page)).toEqual([]);
  });

  it('starts an inspection from its work order and, on submit, marks the order done with what it found', async () => {
    await tab(/^Work orders$/).click();
    const order = page.getByRole('list', { name: 'Your work orders' }).getByRole('listitem').filter({ hasText: '4127' });
    await order.getByRole('button', { name: 'Inspect 4127' }).click();
    const start = page.getByRole('form', { name: 'Start an inspection' });
    await start.getByText(/For the work order “Pre-trip inspection.*”: submitting the inspection marks it done/).waitFor();
    expect(await start.getByLabel(/Unit \/ trailer number/).inputValue()).toBe('4127');
    await start.getByRole('radio', { name: 'Driver vehicle inspection — power unit' }).click();
    await start.getByRole('button', { name: 'Start inspection' }).click();
    await page.getByRole('button', { name: 'Submit inspection' }).waitFor();
    const [started] = host.core.listRecords('inspection').filter((record) => record.fields.workOrderId === DEMO_WORK_ORDER.id);
    expect(started?.fields).toMatchObject({ equipmentNumber: '4127', workOrderId: DEMO_WORK_ORDER.id });

    // The checklist and the signature as the form would send them (the inspector test drives those taps).
    for (const item of INSPECTION_TEMPLATE.items) {
      const value = item.id === 'service-brakes' ? { result: 'fail', note: 'Soft pedal: air leak at the right rear chamber' } : { result: 'pass' };
      host.core.perform({ recordType: 'inspection', recordId: started!.id, action: 'update', ops: [{ op: 'set', field: 'items', key: item.id, value }] });
    }
    const { sha256 } = host.core.putAttachment('image/png', signaturePng('ui-sync-work-order'));
    host.core.perform({ recordType: 'inspection', recordId: started!.id, action: 'update', ops: [{ op: 'set', field: 'signature', value: sha256 }] });
    await page.reload();
    await tab(/^Inspections$/).click();
    await page.getByRole('list', { name: 'Inspections in progress' }).getByRole('listitem').filter({ hasText: '4127' }).getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('button', { name: 'Submit inspection' }).click();
    await page.getByText(/Submitted the inspection of 4127 \(journal entry \d+\)\. Its work order “Pre-trip inspection.*” is marked done\./).waitFor();
    await screenshot(page, '29-inspection-from-work-order');
    await tab(/^Work orders$/).click();
    await order.getByText('Done').waitFor();
    await badge().getByRole('button', { name: 'Sync now' }).click();
    await badge().getByText('nothing waiting to send').waitFor();
    expect((await officeRecord('workOrder', DEMO_WORK_ORDER.id)).body.fields).toMatchObject({
      status: 'done',
      completionNote: 'Inspection of 4127 submitted, 1 defect: Service brakes including trailer brake connections.',
    });
  });

  it('works offline when the dev host cuts the office link: the queue grows, and drains by itself when the link is back', async () => {
    const dev = await openPage(browser);
    await dev.goto(`${host.url}dev`);
    await dev.getByText('The office can be reached.').waitFor();
    await dev.getByRole('button', { name: 'Cut the office link' }).click();
    await dev.getByText(/The office is unreachable/).waitFor();
    expect(host.link!.reachable).toBe(false);

    const written = await page.evaluate(() =>
      (globalThis as any).waypost.invoke('records.perform', {
        recordType: 'note',
        action: 'create',
        ops: [
          { op: 'set', field: 'subjectType', value: 'workOrder' },
          { op: 'set', field: 'subjectId', value: 'wo-demo-4127' },
          { op: 'set', field: 'body', value: 'Written in the dead zone' },
        ],
      }),
    );
    const noteId: string = written.value.record.id;
    await badge().getByRole('button', { name: 'Sync now' }).click();
    await badge().getByText('Offline').waitFor();
    await page.getByText(/The office cannot be reached.*Keep working: everything is saved on this device/).waitFor();
    await badge().getByText(/1 change waiting to send/).waitFor();
    await screenshot(page, '28-offline-by-dev-host');
    expect((await officeRecord('note', noteId)).status).toBe(404);

    await dev.reload();
    await dev.getByText('Waiting to send: 1.').waitFor();
    await dev.getByRole('button', { name: 'Restore the office link' }).click();
    await dev.getByText('The office can be reached.').waitFor();
    await badge().getByText('nothing waiting to send').waitFor({ timeout: LIVE_WAIT_MS });
    expect((await officeRecord('note', noteId)).body.fields.body).toBe('Written in the dead zone');
    // Another site's page cannot work the switch (a form posted from elsewhere carries its own Origin).
    const forged = await fetch(`${host.url}dev/office-link`, { method: 'POST', headers: { origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: 'reachable=false' });
    expect([forged.status, host.link!.reachable]).toEqual([403, true]);
    expect(pageProblems(dev)).toEqual([]);
    await dev.close();
  });

  it('stops an app the office no longer accepts at the forced-update screen', async () => {
    outdated = await startDevHost({
      port: 0,
      dataDir: tempDir('waypost-ui-outdated-'),
      rendererDir,
      office: { url: office.url, enrollmentToken: () => issueEnrollmentToken(api, DEMO_SITE.id, 'cab'), kind: 'cab', schemaVersion: 0 },
    });
    const outdatedPage = await openPage(browser);
    await outdatedPage.goto(outdated.url);
    await outdatedPage.getByRole('heading', { name: 'Update required' }).waitFor();
    expect(await outdatedPage.getByText('it needs one that syncs in format 1 or later').count()).toBe(1);
    expect(await outdatedPage.getByLabel('Badge ID').count()).toBe(0);
    await screenshot(outdatedPage, '26-sync-update-required');
    expect(pageProblems(outdatedPage)).toEqual([]);
  });
});
