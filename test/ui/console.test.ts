import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditExportLineSchema } from '../../protocol/wire.js';
import { billingLineCreate, noteCreate, update } from '../support/actions.js';
import { CLERK, INSPECTOR, tempDir } from '../support/device.js';
import { type ConsoleAccount, consoleAccount } from '../support/console.js';
import { NORTH, SOUTH_INSPECTOR } from '../support/server.js';
import { performInspection, signaturePng } from '../support/inspection.js';
import { makePng } from '../support/png.js';
import { repairCertificationVerifies } from '../../protocol/maintenance-signature.js';
import { FetchTransport } from '../../main/core/sync/transport.js';
import { type FieldDevice, SyncWorld, syncAll } from '../sync/support/world.js';
import { buildConsole, launchBrowser, openPage, pageProblems, screenshot, skipBrowserTests, VIEWPORTS } from './browser.js';

/**
 * The office console in Chromium, served by a real office (PGlite, or Postgres with DATABASE_URL)
 * with real device cores syncing to it: the dispatcher's main path, a conflict from two devices
 * decided by a reviewer and reaching both devices, an auditor reading a record's timeline and
 * exporting a range, and two signatures compared with the photos each device took. Screenshots in
 * test-results/ui/console-*.png.
 */
describe.skipIf(skipBrowserTests)('office console in the browser', () => {
  let world: SyncWorld;
  let browser: Browser;
  let cab: FieldDevice;
  let kiosk: FieldDevice;
  let dispatcher: ConsoleAccount;
  let reviewer: ConsoleAccount;
  let auditor: ConsoleAccount;
  let mechanic: ConsoleAccount;
  let admin: ConsoleAccount;
  /** The billing line the reviewer decided, which the auditor then traces. */
  let decidedLine: string;
  const pages: Page[] = [];

  beforeAll(async () => {
    // A desktop build in the office's update feed, for the administrator's rollout share.
    const updatesDir = tempDir('waypost-console-updates-');
    writeFileSync(join(updatesDir, 'latest.yml'), "version: 0.9.0\nfiles:\n  - url: Waypost-Setup-0.9.0.exe\npath: Waypost-Setup-0.9.0.exe\nreleaseDate: '2026-11-30T09:12:44.120Z'\n");
    world = await SyncWorld.start({ consoleDir: await buildConsole(), updatesDir });
    cab = await world.addDevice('cab-1');
    kiosk = await world.addDevice('kiosk-1');
    cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    kiosk.core.signIn(CLERK.badgeId, CLERK.pin);
    dispatcher = await consoleAccount(world.server, 'dana', 'dispatcher');
    reviewer = await consoleAccount(world.server, 'rita', 'reviewer');
    auditor = await consoleAccount(world.server, 'aldo', 'auditor');
    mechanic = await consoleAccount(world.server, 'max', 'maintenance');
    admin = await consoleAccount(world.server, 'ada', 'admin');
    browser = await launchBrowser();
    // Two builds-worth of work (the console, a PGlite office) on a shared 2-core machine: a hang guard only.
  }, 180_000);

  afterAll(async () => {
    // Before signing in, the console asks the office whether the browser holds a session (its cookie
    // is out of the page's reach): the 401 of that question is logged, and is the only problem allowed.
    const problems = pages.flatMap(pageProblems).filter((problem) => !/status of 401 \(Unauthorized\)/.test(problem));
    await browser?.close();
    await world?.close();
    expect(problems, 'script errors or CSP violations').toEqual([]);
  });

  /**
   * Opens the console at `path` signed in as `who`: an account with its email and password (a
   * console session: cookie and CSRF token), or an office API token; waits until its live channel is up.
   */
  async function signedIn(who: ConsoleAccount | string, path: string, viewport: { width: number; height: number } = VIEWPORTS.office): Promise<Page> {
    const page = await openPage(browser, viewport);
    pages.push(page);
    await page.goto(`${world.server.url}${path}`);
    if (typeof who === 'string') {
      await page.getByText('Sign in with an office API token').click();
      await page.getByLabel('Office API token').fill(who);
      await page.getByRole('button', { name: 'Use token' }).click();
    } else {
      await page.getByLabel('Email').fill(who.email);
      await page.getByLabel('Password').fill(who.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    }
    await page.getByRole('status', { name: 'Live updates: Live' }).waitFor();
    return page;
  }

  it("dispatcher: creates and assigns an order, sees the device's progress live, reassigns and cancels it", async () => {
    const signIn = await openPage(browser, VIEWPORTS.office);
    pages.push(signIn);
    await signIn.goto(`${world.server.url}/`);
    await signIn.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(signIn.url()).toBe(`${world.server.url}/console/`);
    await screenshot(signIn, 'console-01-sign-in');

    const page = await signedIn(dispatcher, '/console/dispatch');
    // A reload keeps the session: the cookie stays, the CSRF token comes again from /v1/console/me.
    await page.reload();
    await page.getByRole('status', { name: 'Live updates: Live' }).waitFor();
    await page.getByRole('button', { name: 'New work order' }).click();
    const form = page.getByRole('form', { name: 'New work order' });
    await form.getByLabel('Title').fill('Brake inspection, trailer 4410');
    await form.getByLabel('Unit number').fill('TRL-4410');
    await form.getByLabel('Assignee').selectOption({ label: `${INSPECTOR.displayName} (North yard)` });
    await form.getByLabel('Priority').selectOption('high');
    await form.getByRole('button', { name: 'Create work order' }).click();
    const board = page.getByRole('region', { name: 'Work orders' });
    const row = board.getByRole('row').filter({ hasText: 'Brake inspection, trailer 4410' });
    await row.getByText(INSPECTOR.displayName).waitFor();
    await row.getByText('No field activity yet').waitFor();

    // The inspector's device gets the order and starts it; the board shows it without a reload.
    await syncAll(cab);
    const order = cab.core.listRecords('workOrder').find((record) => record.fields.title === 'Brake inspection, trailer 4410');
    expect(order?.fields).toMatchObject({ assignee: INSPECTOR.operatorId, equipmentNumber: 'TRL-4410', priority: 'high', status: 'open' });
    const loads = countLoads(page);
    world.clock.advance(60_000);
    cab.core.perform(update('workOrder', order!.id, { status: 'in-progress', statusNote: 'Pads at 3 mm' }));
    await syncAll(cab);
    await row.getByText('in-progress').waitFor();
    await row.getByText(`${INSPECTOR.displayName} on cab-1`).waitFor();
    expect(loads()).toBe(0);
    await screenshot(page, 'console-02-dispatch');

    // Field-owned fields are shown, and not editable; office-owned ones are.
    await row.getByRole('button', { name: 'Brake inspection, trailer 4410' }).click();
    const detail = page.getByRole('form', { name: 'Work order Brake inspection, trailer 4410' });
    await detail.getByText('Field-owned: set on the device, read-only here').first().waitFor();
    expect(await detail.getByLabel('Completion note (field-owned, read-only)').count()).toBe(1);
    expect(await detail.getByRole('textbox', { name: /Completion note/ }).count()).toBe(0);
    expect(await detail.getByLabel('Status note').inputValue()).toBe('Pads at 3 mm');
    await screenshot(page, 'console-03-dispatch-detail');

    await detail.getByLabel('Assignee').selectOption({ label: `${SOUTH_INSPECTOR.displayName} (South yard)` });
    await detail.getByLabel('Due date').fill('2026-11-30');
    await detail.getByRole('button', { name: 'Save changes' }).click();
    await row.getByText(SOUTH_INSPECTOR.displayName).waitFor();
    expect(await world.office.record('workOrder', order!.id)).toMatchObject({ fields: { assignee: SOUTH_INSPECTOR.operatorId, dueDate: Date.UTC(2026, 10, 30), status: 'in-progress' } });

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('form', { name: 'Work order Brake inspection, trailer 4410' }).getByRole('button', { name: 'Cancel work order' }).click();
    await row.getByText('cancelled').waitFor();
    expect((await world.office.record('workOrder', order!.id))?.fields.status).toBe('cancelled');

    // An office API token still signs in (automation, users without a password).
    const tablet = await signedIn(world.office.token, `/dispatch?order=${order!.id}`, VIEWPORTS.tablet);
    await tablet.getByRole('form', { name: 'Work order Brake inspection, trailer 4410' }).waitFor();
    await screenshot(tablet, 'console-04-dispatch-tablet');
  });

  it('reviewer: a conflict two devices push appears live, is decided with a merged value, and the decision reaches both devices', async () => {
    const order = await world.office.createWorkOrder({ title: 'Brake job, chassis 88' });
    await syncAll(cab, kiosk);
    const line = cab.core.perform(billingLineCreate(order.id, 2)).record.id;
    decidedLine = line;
    await syncAll(cab, kiosk);

    const page = await signedIn(reviewer, '/console/review');
    await page.getByText('Nothing waits for review.').waitFor();
    const loads = countLoads(page);
    world.clock.advance(120_000);
    cab.core.perform(update('billingLine', line, { quantity: 3 }));
    world.clock.advance(30_000);
    kiosk.core.perform(update('billingLine', line, { quantity: 4 }));
    await syncAll(cab, kiosk);
    const item = page.getByRole('region', { name: 'Waiting for review' }).getByRole('button', { name: new RegExp(`Billing line ${line}`) });
    await item.waitFor();
    expect(loads()).toBe(0);
    await expect.poll(() => page.getByRole('navigation', { name: 'Console' }).getByLabel('1 waiting').count()).toBe(1);

    await item.click();
    const current = page.getByRole('article', { name: 'In place (current)' });
    const proposed = page.getByRole('article', { name: 'Proposed' });
    await current.getByText(INSPECTOR.displayName).waitFor();
    await proposed.getByText(CLERK.displayName).waitFor();
    expect(await current.locator('pre').textContent()).toBe('3');
    expect(await proposed.locator('pre').textContent()).toBe('4');
    await proposed.getByText(kiosk.core.deviceId, { exact: false }).waitFor();
    await screenshot(page, 'console-05-review');

    const decision = page.getByRole('form', { name: 'Decision' });
    await decision.getByLabel('A merged value').check();
    await decision.getByLabel('Merged value', { exact: true }).fill('5');
    await decision.getByLabel('Reason').fill('Both added parts: 3 pads and 2 clips, confirmed by phone');
    await decision.getByRole('button', { name: 'Decide' }).click();
    await page.getByRole('status').filter({ hasText: 'Decided' }).waitFor();
    await page.getByText('Nothing waits for review.').waitFor();

    await syncAll(cab, kiosk);
    for (const device of [cab, kiosk]) {
      expect(device.core.getRecord('billingLine', line), device.name).toMatchObject({ pendingReview: false, fields: { quantity: 5 } });
    }
    const tablet = await signedIn(reviewer, '/console/review', VIEWPORTS.tablet);
    await tablet.getByText('Nothing waits for review.').waitFor();
    await screenshot(tablet, 'console-06-review-tablet');
  });

  it("auditor: finds a record by operator, reads its whole timeline, exports a range that parses line by line, which npm run verify-audit verifies and in which it finds a changed byte", async () => {
    const page = await signedIn(auditor, '/console/audit');
    const search = page.getByRole('search', { name: 'Search the audit trail' });
    await search.getByLabel('Operator').selectOption({ label: CLERK.displayName });
    await search.getByRole('button', { name: 'Search' }).click();
    const results = page.getByRole('region', { name: 'Search results' });
    const lineButton = results.getByRole('button', { name: `Billing line ${decidedLine}` });
    await lineButton.waitFor();
    await lineButton.click();
    const timeline = page.getByRole('region', { name: `Timeline of billingLine ${decidedLine}` });
    await timeline.getByRole('article', { name: /Review decision/ }).waitFor();
    expect(await timeline.getByRole('article').count()).toBe(4);
    await timeline.getByText('Reviewer chose merged').waitFor();
    await timeline.getByText(/signature and chain link verified/).first().waitFor();
    await timeline.getByText(/anchored/).first().waitFor();
    await screenshot(page, 'console-07-audit');

    await search.getByLabel('Received from').fill('2026-11-22T00:00');
    await search.getByLabel('Received before').fill('2026-11-23T00:00');
    const [download] = await Promise.all([page.waitForEvent('download'), search.getByRole('button', { name: 'Export this time range' }).click()]);
    const lines = readFileSync((await download.path())!, 'utf8').trim().split('\n').map((text) => auditExportLineSchema.parse(JSON.parse(text)));
    expect(lines[0]).toMatchObject({ type: 'header', format: 'waypost-audit-export' });
    const entries = lines.filter((line) => line.type === 'entry');
    expect(new Set(entries.map((line) => line.deviceId))).toEqual(new Set([cab.core.deviceId, kiosk.core.deviceId]));
    expect(lines.filter((line) => line.type === 'receipt')).toHaveLength(2);
    await page.getByRole('status').filter({ hasText: 'Exported' }).waitFor();

    // The auditor's offline check, as the README tells it: the export verifies, and one changed byte is found.
    const exported = (await download.path())!;
    const verified = verifyAuditCli(exported);
    expect([verified.status, verified.stdout]).toEqual([0, expect.stringContaining('verdict: OK')]);
    const text = readFileSync(exported, 'utf8');
    const tamperedAt = text.split('\n').findIndex((line) => line.includes('"type":"entry"'));
    const tampered = text.split('\n').map((line, index) => (index === tamperedAt ? line.replace(/"deviceTime":(\d)/, (_, digit: string) => `"deviceTime":${(Number(digit) + 1) % 10}`) : line));
    expect(tampered.join('\n')).not.toBe(text);
    const tamperedFile = join(dirname(exported), 'tampered.jsonl');
    writeFileSync(tamperedFile, tampered.join('\n'));
    const failed = verifyAuditCli(tamperedFile);
    expect([failed.status, failed.stdout]).toEqual([1, expect.stringMatching(new RegExp(`FAILED at entry \\d+ \\(line ${tamperedAt + 1}\\)`))]);

    const tablet = await signedIn(auditor, `/console/audit?type=billingLine&id=${decidedLine}`, VIEWPORTS.tablet);
    await tablet.getByRole('article', { name: /Review decision/ }).waitFor();
    await screenshot(tablet, 'console-08-audit-tablet');
  });

  it('mechanic: a defect a driver reports marks the unit out of service in dispatch; the mechanic certifies the repair, the mark goes, and the signed certification reaches the device', async () => {
    performInspection(cab.core, 0, { signatureSeed: 'console-mechanic', now: () => world.clock.now() });
    await syncAll(cab);
    await world.office.createWorkOrder({ id: 'wo-yard-move-1000', siteId: NORTH, title: 'Yard move, TRK-1000', equipmentNumber: 'TRK-1000' });
    const dispatch = await signedIn(dispatcher, '/console/dispatch');
    const orderRow = dispatch.getByRole('region', { name: 'Work orders' }).getByRole('row').filter({ hasText: 'Yard move, TRK-1000' });
    await orderRow.getByText('Out of service').waitFor();

    // The mechanic's home is the maintenance queue.
    const page = await signedIn(mechanic, '/console/');
    await page.getByRole('heading', { name: 'Maintenance' }).waitFor();
    const units = page.getByRole('region', { name: 'Units with reported defects' });
    await units.getByRole('button', { name: /TRK-1000.*Out of service/ }).click();
    const unit = page.getByRole('region', { name: 'Unit TRK-1000' });
    const brakes = unit.getByRole('group', { name: /Service brakes including trailer brake connections/ });
    await brakes.getByText(/Driver: “Right rear chamber leaks/).waitFor();
    expect(await brakes.getByRole('radio', { name: 'Deferred' }).isDisabled()).toBe(true);
    // Certifying with nothing decided says what is missing, and sends nothing.
    await unit.getByRole('button', { name: `Certify as maintenance max` }).click();
    await unit.getByRole('alert').getByText('“Service brakes including trailer brake connections” has no decision yet').waitFor();
    await brakes.getByRole('radio', { name: 'Repaired' }).check();
    await brakes.getByLabel('Repair notes (optional)').fill('Replaced the right rear brake chamber; pushrod stroke 1 3/4 in');
    await screenshot(page, 'console-09-maintenance');
    await unit.getByRole('button', { name: 'Certify as maintenance max' }).click();
    await page.getByRole('status').getByText(/Certified TRK-1000 \(1 repaired\) as maintenance max/).waitFor();
    const recent = page.getByRole('region', { name: 'Recently certified' });
    await recent.getByRole('row').filter({ hasText: 'TRK-1000' }).getByText('Not yet reviewed').waitFor();
    await units.getByText('No reported defect waits for a mechanic.').waitFor();
    await screenshot(page, 'console-10-maintenance-certified');

    // The dispatcher's board drops the mark without a reload; the device gets the signed certification.
    await orderRow.getByText('Out of service').waitFor({ state: 'detached' });
    await syncAll(cab);
    const [certification] = cab.core.listRecords('repairCertification');
    expect(certification?.fields).toMatchObject({ equipmentNumber: 'TRK-1000', mechanicName: 'maintenance max', repairs: [{ defect: 'item:service-brakes', disposition: 'repaired' }] });
    const officeKey = Uint8Array.from(Buffer.from(cab.core.enrollment()!.serverPublicKey, 'hex'));
    expect(repairCertificationVerifies(certification!.id, certification!.fields, officeKey)).toBe(true);

    const tablet = await signedIn(mechanic, '/console/maintenance', VIEWPORTS.tablet);
    await tablet.getByRole('region', { name: 'Recently certified' }).waitFor();
    await screenshot(tablet, 'console-11-maintenance-tablet');
  });

  it("admin: sees every device's last sync, queue and clock, who needs attention and why, enrolls a new device with a one-time token shown as text and QR, and revokes one", async () => {
    // A device that queued work and then went quiet for half a day.
    const quiet = await world.addDevice('cab-quiet');
    quiet.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    quiet.core.perform(noteCreate('Gate 3 camera down'));
    world.clock.advance(12 * 60 * 60_000);
    // The cab syncs meanwhile: its pull tells the office the round trip of its last push.
    await cab.client.sync();

    const page = await signedIn(admin, '/console/fleet');
    const attention = page.getByRole('region', { name: 'Needs attention' });
    await attention.getByText('cab-quiet').waitFor();
    expect(await attention.textContent()).toMatch(/Last synced 12 h ago/);
    const devices = page.getByRole('region', { name: 'Devices' });
    await devices.getByRole('row').filter({ hasText: 'cab-1' }).getByText(INSPECTOR.displayName).waitFor();
    const kpis = page.getByRole('region', { name: 'Field KPIs' });
    await kpis.getByRole('figure', { name: 'Conflicts per 1,000 edits by record type and policy' }).getByText(/since/).waitFor();
    for (const chart of ['Queue depth over time', 'Pull latency over time', 'Push latency over time', 'Clock offset of devices', 'Time since last sync']) await kpis.getByRole('figure', { name: chart }).locator('.recharts-wrapper').waitFor();
    // No device came back from a dead zone in this window: the chart says so rather than drawing zeros.
    await kpis.getByRole('figure', { name: 'Time from reconnect to converged' }).getByText('No device reconnected in this window.').waitFor();
    await screenshot(page, 'console-12-fleet');

    // Require update: the cab's syncs are refused until it runs the build, its work kept; lifting it lets it sync.
    const cabRow = devices.getByRole('row').filter({ hasText: 'cab-1' });
    await cabRow.getByText(/schema \d+/).waitFor();
    await cabRow.getByRole('button', { name: 'Require an app update of cab-1…' }).click();
    const requireForm = cabRow.getByRole('form', { name: 'Require an app update of cab-1' });
    await requireForm.getByLabel('Lowest build it may run').fill('latest');
    await requireForm.getByRole('button', { name: 'Require' }).click();
    await cabRow.getByRole('alert').getByText(/not an app build/).waitFor();
    await requireForm.getByLabel('Lowest build it may run').fill('0.9.0');
    await requireForm.getByRole('button', { name: 'Require' }).click();
    await cabRow.getByText('Requires 0.9.0 or later').waitFor();
    cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    cab.core.perform(noteCreate('Spare tyre fitted'));
    await expect(cab.client.sync()).rejects.toMatchObject({ code: 'update-required' });
    expect(cab.core.status().outbox.pending).toBeGreaterThan(0);
    await screenshot(page, 'console-12b-fleet-require-update');
    await cabRow.getByRole('button', { name: 'Lift the update requirement of cab-1' }).click();
    await cabRow.getByRole('button', { name: 'Require an app update of cab-1…' }).waitFor();
    await cab.client.sync();
    expect(cab.core.status().outbox.pending).toBe(0);

    const enroll = page.getByRole('region', { name: 'Enroll a device' });
    await enroll.getByLabel('Site').selectOption({ label: 'North yard' });
    await enroll.getByLabel('Kind').selectOption('kiosk');
    await enroll.getByRole('button', { name: 'Make a one-time token' }).click();
    const token = (await enroll.getByLabel('One-time token').textContent())!.trim();
    await enroll.getByRole('img', { name: 'Enrollment QR code for a kiosk' }).waitFor();
    await screenshot(page, 'console-13-fleet-enroll');
    // The token enrolls a real device once.
    const fresh = world.openDevice('kiosk-fresh');
    await fresh.core.enroll({ transport: world.http(), token, kind: 'kiosk', label: 'kiosk-fresh' });
    expect(fresh.core.enrollment()).toMatchObject({ siteId: NORTH, kind: 'kiosk' });
    const again = world.openDevice('kiosk-again');
    await expect(again.core.enroll({ transport: world.http(), token, kind: 'kiosk', label: 'kiosk-again' })).rejects.toThrow(/used/);
    fresh.core.close();
    again.core.close();

    // The desktop release in the office's feed, offered to a third of the fleet first.
    const updates = page.getByRole('region', { name: 'Desktop updates' });
    await updates.getByText(/Release 0\.9\.0 built .* is offered to every installation/).waitFor();
    await updates.getByLabel('Offer it to (% of installations)').fill('30');
    await updates.getByRole('button', { name: 'Set share' }).click();
    await updates.getByText(/is offered to 30% of installations \(set /).waitFor();
    expect(await (await fetch(`${world.server.url}/updates/desktop/latest.yml`)).text()).toMatch(/stagingPercentage: 30\n$/);
    await updates.scrollIntoViewIfNeeded();
    await screenshot(page, 'console-13b-fleet-desktop-updates');

    await page.reload();
    const quietRow = devices.getByRole('row').filter({ hasText: 'cab-quiet' });
    await quietRow.getByRole('button', { name: 'Revoke cab-quiet…' }).click();
    await quietRow.getByRole('group', { name: 'Confirm revoking cab-quiet' }).getByRole('button', { name: 'Yes, revoke' }).click();
    await quietRow.getByText(/Revoked/).waitFor();
    await expect(quiet.client.sync()).rejects.toThrow(/revoked/);
    await screenshot(page, 'console-14-fleet-revoked');
  });

  it("reviewer: two signatures of one interchange wait side by side with each version's photos, a photo not yet uploaded says so until its device sends it, and each opens full size", async () => {
    // The fleet test left both devices idle for half a day: their sessions locked.
    cab.core.signIn(INSPECTOR.badgeId, INSPECTOR.pin);
    kiosk.core.signIn(CLERK.badgeId, CLERK.pin);
    const created = cab.core.perform({
      recordType: 'equipmentInterchange',
      action: 'create',
      ops: [
        { op: 'set', field: 'equipmentType', value: 'trailer' },
        { op: 'set', field: 'equipmentNumber', value: 'TRL-7731' },
        { op: 'set', field: 'fromCarrier', value: 'Northline Freight' },
        { op: 'set', field: 'toCarrier', value: 'Harbor Drayage' },
        { op: 'set', field: 'condition', value: 'damaged' },
        { op: 'set', field: 'conditionNote', value: 'Left rear corner post bent' },
        { op: 'set', field: 'interchangedAt', value: world.clock.now() },
      ],
    });
    const interchange = created.record.id;
    await syncAll(cab, kiosk);

    // The driver signs for Harbor Drayage on the cab, and so does the yard's copy on the kiosk, each with their own photo of the damage.
    const signOff = (device: FieldDevice, seed: string, photos: [number, number, number][]) => {
      const signature = device.core.putAttachment('image/png', signaturePng(seed)).sha256;
      const taken = photos.map((rgb) => device.core.putAttachment('image/png', makePng({ width: 320, height: 240, rgb })).sha256);
      device.core.perform({
        recordType: 'equipmentInterchange',
        recordId: interchange,
        action: 'update',
        ops: [...taken.map((member) => ({ op: 'add' as const, field: 'photos', member })), { op: 'set', field: 'toSignature', value: signature }],
      });
    };
    world.clock.advance(60_000);
    signOff(cab, 'harbor-driver-cab', [[150, 96, 52]]);
    world.clock.advance(20_000);
    signOff(kiosk, 'harbor-driver-kiosk', [
      [52, 110, 150],
      [96, 130, 70],
    ]);
    await syncAll(cab, kiosk);
    await cab.core.uploadAttachments(new FetchTransport(world.server.url));

    const page = await signedIn(reviewer, `/console/review?recordType=equipmentInterchange`);
    await page.getByRole('region', { name: 'Waiting for review' }).getByRole('button', { name: new RegExp(`Equipment interchange ${interchange}`) }).click();
    const current = page.getByRole('article', { name: 'In place (current)' });
    const proposed = page.getByRole('article', { name: 'Proposed' });
    await current.getByText(INSPECTOR.displayName).waitFor();
    await proposed.getByText(CLERK.displayName).waitFor();
    /** The width of the image once the browser has decoded it: a broken image fails to decode. */
    const drawn = (image: Locator) =>
      image.evaluate((element) => {
        const decodable = element as unknown as { decode(): Promise<void>; naturalWidth: number };
        return decodable.decode().then(() => decodable.naturalWidth);
      });
    const inPlace = ['In place: toSignature', 'In place: photos'];
    for (const name of inPlace) await expect.poll(() => drawn(current.getByRole('img', { name, exact: true })), { message: name }).toBeGreaterThan(0);
    // The kiosk has pushed its entries but not yet its files.
    await expect.poll(() => proposed.getByText('Photo not yet uploaded').count()).toBe(3);
    expect(await proposed.getByRole('img').count()).toBe(0);
    await screenshot(page, 'console-15-review-photos-not-yet-uploaded');

    await kiosk.core.uploadAttachments(new FetchTransport(world.server.url));
    const bringing = ['Proposed: toSignature', 'Proposed: photos 1 of 2', 'Proposed: photos 2 of 2'];
    for (const name of bringing) await expect.poll(() => drawn(proposed.getByRole('img', { name, exact: true })), { message: name, timeout: 20_000 }).toBeGreaterThan(0);
    expect(await proposed.getByText('Photo not yet uploaded').count()).toBe(0);
    expect(await proposed.locator('pre').textContent()).toMatch(/^Image [0-9a-f]{8}… \(below\)$/);
    expect(await page.getByRole('region', { name: 'Other photos on the record' }).count()).toBe(0);
    await screenshot(page, 'console-16-review-photos');

    await proposed.getByRole('button', { name: 'Proposed: toSignature' }).click();
    const viewer = page.getByRole('dialog', { name: 'Proposed: toSignature' });
    expect(await drawn(viewer.getByRole('img'))).toBe(360);
    await screenshot(page, 'console-17-review-photo-full-size');
    await viewer.getByRole('button', { name: 'Close' }).click();
    await viewer.waitFor({ state: 'hidden' });

    const decision = page.getByRole('form', { name: 'Decision' });
    await decision.getByLabel('The value in place').check();
    await decision.getByLabel('Reason').fill('The driver signed on the cab; the kiosk copy was signed again at the gate');
    await decision.getByRole('button', { name: 'Decide' }).click();
    await page.getByRole('status').filter({ hasText: 'Decided' }).waitFor();
    await syncAll(cab, kiosk);
    expect(kiosk.core.getRecord('equipmentInterchange', interchange)).toMatchObject({ pendingReview: false, fields: { toSignature: cab.core.getRecord('equipmentInterchange', interchange)!.fields.toSignature } });
    expect(kiosk.core.getRecord('equipmentInterchange', interchange)!.fields.photos).toHaveLength(3);
  });
});

/** Counts the page's full loads from now on: live updates must come without one. */
function countLoads(page: Page): () => number {
  let loads = 0;
  page.on('load', () => loads++);
  return () => loads;
}

/** `npm run verify-audit -- FILE`, as an auditor runs it on an export. */
function verifyAuditCli(file: string): { status: number | null; stdout: string } {
  const result = spawnSync('npm', ['run', '--silent', 'verify-audit', '--', file], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout };
}
