import { bytesToHex, ZERO_HASH } from '../../protocol/crypto/hash.js';
import type { SignedCertificate } from '../../protocol/journal.js';
import { AUDIT_EXPORT_FORMAT, type AuditExportLine, signAnchorReceipt } from '../../protocol/wire.js';
import type { Signer } from '../../protocol/crypto/ed25519.js';
import type { OfficeDb } from '../db/connect.js';
import { type Device, type OfficeUser, findDevice } from '../db/queries/identity.js';
import { ApiFailure } from '../errors.js';
import { deviceInReach } from '../routes/admin.js';
import { type DeviceSeqRange, deviceRangesReceivedBetween, findDeviceEntry, findLastEntryOfKind, readDeviceEntries } from './queries.js';

/**
 * Export of a range of devices' journals as JSON lines, with what an auditor needs to verify the
 * signatures offline (server/cli/verify-audit.ts): each device's identity key, where the range
 * starts (the chain head before it and the session certificate in force), every entry exactly as
 * the device signed it, and a server receipt for the range's last entry.
 *
 * The range is fixed before the first line is written (the journal is append-only), so the export
 * is consistent while devices keep pushing. A time range becomes, per device, the sequence range
 * from its first to its last entry received in that time, so every device's part is one unbroken
 * piece of its chain.
 */
export type AuditExportQuery = { deviceId: string; fromSeq?: number; toSeq?: number } | { from: number; to: number };

export interface ExportPlan {
  range: Record<string, unknown>;
  devices: { device: Device; fromSeq: number; toSeq: number }[];
}

const PAGE = 1000;

/** Checks the query and the user's reach; throws the 4xx before anything is written. */
export async function planAuditExport(db: OfficeDb, user: OfficeUser, query: AuditExportQuery): Promise<ExportPlan> {
  if ('deviceId' in query) {
    const device = await deviceInReach(db, user, query.deviceId);
    const fromSeq = query.fromSeq ?? 1;
    const toSeq = query.toSeq ?? device.chainSeq;
    if (device.chainSeq === 0) throw new ApiFailure(404, 'not-found', `device ${device.id} has no acknowledged entries`);
    if (fromSeq < 1 || fromSeq > toSeq || toSeq > device.chainSeq) {
      throw new ApiFailure(400, 'invalid-request', `device ${device.id} has acknowledged entries 1..${device.chainSeq}; ${fromSeq}..${toSeq} is not within them`);
    }
    return { range: { deviceId: device.id, fromSeq, toSeq }, devices: [{ device, fromSeq, toSeq }] };
  }
  if (query.from >= query.to) throw new ApiFailure(400, 'invalid-request', 'the time range is empty: from must be before to');
  const ranges: DeviceSeqRange[] = await deviceRangesReceivedBetween(db, query.from, query.to, user.organisationId);
  const devices = [];
  for (const range of ranges) devices.push({ device: (await findDevice(db, range.deviceId))!, fromSeq: range.fromSeq, toSeq: range.toSeq });
  return { range: { from: query.from, to: query.to }, devices };
}

export async function* auditExportLines(
  db: OfficeDb,
  plan: ExportPlan,
  context: { exportedAt: number; exportedBy: string; serverSigner: Signer },
): AsyncGenerator<string> {
  const header: AuditExportLine = {
    type: 'header',
    format: AUDIT_EXPORT_FORMAT,
    version: 1,
    exportedAt: context.exportedAt,
    exportedBy: context.exportedBy,
    serverPublicKey: bytesToHex(context.serverSigner.publicKey),
    range: plan.range,
  };
  yield line(header);
  for (const { device, fromSeq, toSeq } of plan.devices) {
    yield line({ type: 'device', deviceId: device.id, publicKey: device.publicKey, siteId: device.siteId, fromSeq, toSeq, start: await chainStart(db, device.id, fromSeq) });
    let head = '';
    for (let next = fromSeq; next <= toSeq; ) {
      const rows = await readDeviceEntries(db, device.id, next, toSeq, PAGE);
      if (rows.length === 0) throw new Error(`device ${device.id} is missing acknowledged entry ${next}`);
      for (const row of rows) {
        const entry = { body: JSON.parse(row.body) as unknown, hash: row.hash, signature: row.signature };
        yield line({ type: 'entry', deviceId: device.id, seq: row.seq, receivedAt: row.receivedAt, gapMs: row.gapMs, entry });
        head = row.hash;
      }
      next = rows.at(-1)!.seq + 1;
    }
    const receipt = signAnchorReceipt({ deviceId: device.id, seq: toSeq, head, serverTime: context.exportedAt }, context.serverSigner);
    yield line({ type: 'receipt', deviceId: device.id, receipt });
  }
}

/** The chain position before `fromSeq`: the previous entry's hash and the session in force after it. */
async function chainStart(db: OfficeDb, deviceId: string, fromSeq: number): Promise<Extract<AuditExportLine, { type: 'device' }>['start']> {
  if (fromSeq === 1) return { seq: 0, head: ZERO_HASH, session: null };
  const before = fromSeq - 1;
  const previous = await findDeviceEntry(db, deviceId, before);
  if (!previous) throw new Error(`device ${deviceId} is missing acknowledged entry ${before}`);
  const opened = await findLastEntryOfKind(db, deviceId, 'session.open', 0, before);
  if (!opened) return { seq: before, head: previous.hash, session: null };
  const certificate = (JSON.parse(opened.body) as { certificate: SignedCertificate }).certificate;
  const closed = (await findLastEntryOfKind(db, deviceId, 'session.close', opened.seq, before)) !== null;
  return { seq: before, head: previous.hash, session: { certificate, closed } };
}

function line(value: AuditExportLine): string {
  return `${JSON.stringify(value)}\n`;
}
