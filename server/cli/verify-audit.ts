import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type ExportVerdict, verifyAuditExport } from '../audit/verify-export.js';

/**
 * The auditor's offline check of an audit export (GET /v1/audit/export):
 *
 *   npm run verify-audit -- <export.jsonl> [--server-key <hex>]
 *
 * Verifies every device's signed chain in the file and the server's receipt for it, prints one
 * verdict per device (naming the first entry that fails and its line), and exits 0 when everything
 * verifies, 1 otherwise. Pin the server's receipt key with --server-key (obtained from the office
 * out of band); without it the key in the export's header is used, which only shows the file is
 * consistent with itself. Server-side times in the export (receivedAt, gapMs) are not signed by
 * devices and are reported, not verified.
 */
const USAGE = 'usage: verify-audit <export.jsonl> [--server-key <64 hex characters>]';

export function runVerifyAudit(args: readonly string[], out: (line: string) => void): number {
  const parsed = parseArguments(args);
  if (typeof parsed === 'string') {
    out(`${parsed}\n${USAGE}`);
    return 1;
  }
  let text: string;
  try {
    text = readFileSync(parsed.file, 'utf8');
  } catch (error) {
    out(`cannot read ${parsed.file}: ${(error as Error).message}`);
    return 1;
  }
  const verdict = verifyAuditExport(text, { serverPublicKeyHex: parsed.serverKey });
  for (const line of report(verdict)) out(line);
  return verdict.ok ? 0 : 1;
}

export function report(verdict: ExportVerdict): string[] {
  const lines: string[] = [];
  for (const device of verdict.devices) {
    const range = `entries ${device.fromSeq}..${device.toSeq}`;
    if (device.ok) {
      lines.push(`${device.deviceId}: OK (${range}: ${device.entriesVerified} verified; server receipt verified)`);
    } else {
      const failure = device.failure!;
      const where = failure.seq === null ? `line ${failure.line}` : `entry ${failure.seq} (line ${failure.line})`;
      lines.push(`${device.deviceId}: FAILED at ${where}: ${failure.code}: ${failure.message} (${range}; ${device.entriesVerified} verified before it)`);
    }
  }
  for (const problem of verdict.problems) lines.push(`line ${problem.line}: ${problem.message}`);
  if (verdict.serverKey?.source === 'export-header') {
    lines.push(`note: receipts were checked with the key in the export header (${verdict.serverKey.hex.slice(0, 16)}…); pin it with --server-key`);
  }
  const failed = verdict.devices.filter((device) => !device.ok).length;
  lines.push(
    verdict.ok
      ? `verdict: OK (${verdict.devices.length} device${verdict.devices.length === 1 ? '' : 's'})`
      : `verdict: FAILED (${failed} of ${verdict.devices.length} devices failed, ${verdict.problems.length} unreadable or misplaced lines)`,
  );
  return lines;
}

function parseArguments(args: readonly string[]): { file: string; serverKey?: string } | string {
  let file: string | undefined;
  let serverKey: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--server-key') {
      serverKey = args[++i];
      if (!serverKey || !/^[0-9a-f]{64}$/.test(serverKey)) return '--server-key needs the server public key as 64 lowercase hex characters';
    } else if (arg.startsWith('-')) {
      return `unknown option ${arg}`;
    } else if (file === undefined) {
      file = arg;
    } else {
      return 'give one export file';
    }
  }
  return file === undefined ? 'give the export file to verify' : { file, serverKey };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = runVerifyAudit(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`));
}
