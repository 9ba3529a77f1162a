import type { SignedCheckpoint } from '../../protocol/checkpoint.js';
import { publicKeyProblem } from '../../protocol/crypto/ed25519.js';
import { ZERO_HASH, hexToBytes } from '../../protocol/crypto/hash.js';
import { signedCertificateSchema } from '../../protocol/journal.js';
import { type ChainState, type DeviceIdentity, certifiedSession, verifyChain } from '../../protocol/verify.js';
import { type AnchorReceipt, type AuditExportLine, auditExportLineSchema, verifyAnchorReceipt } from '../../protocol/wire.js';

/**
 * Offline verification of an audit export (server/audit/export.ts), for the auditor's CLI. Each
 * device's part is checked with the shared chain verifier from the start the export declares: the
 * session certificate in force there must be signed by the device key, every entry must hash,
 * link and verify under its session key, the entries must cover the declared range, and the
 * server's receipt must sign the range's last entry. A failure names the entry and the line.
 */
export interface ExportProblem {
  /** 1-based line number in the export. */
  line: number;
  message: string;
}

export interface DeviceVerdict {
  deviceId: string;
  ok: boolean;
  fromSeq: number;
  toSeq: number;
  entriesVerified: number;
  /** Why the device's part fails: the first problem found, with the entry's sequence number when known. */
  failure: (ExportProblem & { seq: number | null; code: string }) | null;
}

export interface ExportVerdict {
  ok: boolean;
  devices: DeviceVerdict[];
  /** Lines that could not be read or placed (not JSON, unknown shape, no device line before them). */
  problems: ExportProblem[];
  /** The key receipts were checked with, and whether it came from the export itself or the caller. */
  serverKey: { hex: string; source: 'pinned' | 'export-header' } | null;
}

interface DevicePart {
  line: number;
  device: Extract<AuditExportLine, { type: 'device' }>;
  checkpoints: { line: number; checkpoint: unknown }[];
  entries: { line: number; seq: number; entry: unknown }[];
  receipt: { line: number; receipt: AnchorReceipt } | null;
}

export function verifyAuditExport(text: string, options: { serverPublicKeyHex?: string } = {}): ExportVerdict {
  const problems: ExportProblem[] = [];
  const parts = new Map<string, DevicePart>();
  let headerKey: string | null = null;

  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const lineNumber = index + 1;
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      problems.push({ line: lineNumber, message: `not JSON (${(error as Error).message})` });
      continue;
    }
    const parsed = auditExportLineSchema.safeParse(value);
    if (!parsed.success) {
      problems.push({ line: lineNumber, message: `not an export line: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`.trim() });
      continue;
    }
    const item = parsed.data;
    if (item.type === 'header') {
      if (headerKey !== null || lineNumber !== firstContentLine(lines)) problems.push({ line: lineNumber, message: 'a header must be the first line, once' });
      headerKey = item.serverPublicKey;
      continue;
    }
    if (item.type === 'device') {
      if (parts.has(item.deviceId)) problems.push({ line: lineNumber, message: `device ${item.deviceId} appears twice` });
      else parts.set(item.deviceId, { line: lineNumber, device: item, checkpoints: [], entries: [], receipt: null });
      continue;
    }
    const part = parts.get(item.deviceId);
    if (!part) {
      problems.push({ line: lineNumber, message: `${item.type} of device ${item.deviceId} comes before that device's line` });
      continue;
    }
    if (part.receipt) {
      problems.push({ line: lineNumber, message: `${item.type} of device ${item.deviceId} comes after its receipt` });
      continue;
    }
    if (item.type === 'checkpoint') part.checkpoints.push({ line: lineNumber, checkpoint: item.checkpoint });
    else if (item.type === 'entry') part.entries.push({ line: lineNumber, seq: item.seq, entry: item.entry });
    else part.receipt = { line: lineNumber, receipt: item.receipt };
  }
  if (headerKey === null) problems.push({ line: 1, message: 'the export has no header line' });

  const serverKeyHex = options.serverPublicKeyHex ?? headerKey;
  const devices = [...parts.values()].map((part) => verifyDevicePart(part, serverKeyHex));
  return {
    ok: problems.length === 0 && devices.every((device) => device.ok),
    devices,
    problems,
    serverKey: serverKeyHex === null ? null : { hex: serverKeyHex, source: options.serverPublicKeyHex ? 'pinned' : 'export-header' },
  };
}

function verifyDevicePart(part: DevicePart, serverKeyHex: string | null): DeviceVerdict {
  const { device } = part;
  const verdict = (entriesVerified: number, failure: DeviceVerdict['failure']): DeviceVerdict => ({
    deviceId: device.deviceId,
    ok: failure === null,
    fromSeq: device.fromSeq,
    toSeq: device.toSeq,
    entriesVerified,
    failure,
  });
  const fail = (line: number, seq: number | null, code: string, message: string, verified = 0) => verdict(verified, { line, seq, code, message });

  const identity: DeviceIdentity = { deviceId: device.deviceId, devicePublicKey: hexToBytes(device.publicKey) };
  const deviceKeyProblem = publicKeyProblem(identity.devicePublicKey);
  if (deviceKeyProblem) return fail(part.line, null, 'weak-device-key', `the device key ${deviceKeyProblem}`);
  const start = startState(device, identity);
  if (typeof start === 'string') return fail(part.line, null, 'bad-start', start);
  if (device.fromSeq !== device.start.seq + 1) {
    return fail(part.line, null, 'bad-start', `the range starts at ${device.fromSeq} but the declared start is after entry ${device.start.seq}`);
  }

  const mislabelled = part.entries.find(({ seq, entry }) => (entry as { body?: { seq?: unknown } } | null)?.body?.seq !== seq);
  const chain = verifyChain(identity, {
    checkpoints: part.checkpoints.map(({ checkpoint }) => checkpoint as SignedCheckpoint),
    entries: part.entries.map(({ entry }) => entry),
    start,
  });
  if (!chain.ok) {
    const { failure } = chain;
    const at = failure.code === 'bad-checkpoint' ? part.checkpoints[failure.index] : part.entries[failure.index];
    return fail(at?.line ?? part.line, failure.seq, failure.code, failure.message, chain.entriesVerified);
  }
  if (mislabelled) return fail(mislabelled.line, mislabelled.seq, 'mislabelled', `the line says seq ${mislabelled.seq} but its entry has another sequence number`, chain.entriesVerified);
  if (chain.state.lastSeq !== device.toSeq) {
    return fail(part.entries.at(-1)?.line ?? part.line, chain.state.lastSeq, 'incomplete', `the range ends at ${device.toSeq} but the entries end at ${chain.state.lastSeq}`, chain.entriesVerified);
  }

  if (!part.receipt) return fail(part.line, null, 'no-receipt', 'the server receipt for this range is missing', chain.entriesVerified);
  const { receipt, line } = part.receipt;
  const serverKey = serverKeyHex !== null && /^[0-9a-f]{64}$/.test(serverKeyHex) ? hexToBytes(serverKeyHex) : null;
  const serverKeyProblem = serverKey && publicKeyProblem(serverKey);
  if (serverKeyProblem) return fail(line, receipt.seq, 'bad-receipt', `the server key the receipt is checked with ${serverKeyProblem}`, chain.entriesVerified);
  if (!serverKey || !verifyAnchorReceipt(receipt, serverKey)) {
    return fail(line, receipt.seq, 'bad-receipt', 'the receipt is not signed by the server key', chain.entriesVerified);
  }
  if (receipt.deviceId !== device.deviceId || receipt.seq !== chain.state.lastSeq || receipt.head !== chain.state.head) {
    return fail(line, receipt.seq, 'bad-receipt', `the receipt covers ${receipt.deviceId} up to ${receipt.seq}, not the verified chain's end`, chain.entriesVerified);
  }
  return verdict(chain.entriesVerified, null);
}

/** The chain state the device's part starts from; a start session must carry a certificate that holds for this device. */
function startState(device: DevicePart['device'], identity: DeviceIdentity): ChainState | string {
  const { seq, head, session } = device.start;
  if (seq === 0 && (head !== ZERO_HASH || session !== null)) return 'a chain that starts at the beginning has the zero head and no session';
  if (!session) return { lastSeq: seq, head, session: null };
  const signed = signedCertificateSchema.safeParse(session.certificate);
  if (!signed.success) return 'the start session certificate is malformed';
  const certified = certifiedSession(signed.data, session.closed, identity);
  if (typeof certified === 'string') return `the start session certificate does not hold: ${certified}`;
  return { lastSeq: seq, head, session: certified };
}

function firstContentLine(lines: readonly string[]): number {
  return lines.findIndex((raw) => raw.trim() !== '') + 1;
}
