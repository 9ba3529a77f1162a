import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { verifyReceiptQr } from '../protocol/receipts.js';
import { describeSealVerdict, describeVerdict, verifyReceiptPdf } from '../main/receipts/receipt-pdf.js';

/**
 * Anyone's offline check of a Waypost receipt (a DVIR or EIR PDF):
 *
 *   npm run verify-receipt -- <receipt.pdf> [--device-key <hex>]
 *   npm run verify-receipt -- --qr '<the text a phone scanned from the printed code>' [--device-key <hex>]
 *
 * Checks the signed journal entries attached to the PDF (hashes, session signatures, the session
 * certificates by the device key), replays them into the record and compares the page with it;
 * prints who signed it, or exactly what fails, and exits 0 when it holds, 1 otherwise. Pin the
 * device's key with --device-key (from the office that enrolled it); without it the check shows
 * that the receipt agrees with itself and with the key it names. A paper copy's QR code carries the
 * signed submit entry: --qr checks who submitted which record when, without the PDF.
 */
const USAGE = "usage: verify-receipt <receipt.pdf> [--device-key <64 hex characters>]\n       verify-receipt --qr '<scanned text>' [--device-key <64 hex characters>]";

export async function runVerifyReceipt(args: readonly string[], out: (line: string) => void): Promise<number> {
  const parsed = parseArguments(args);
  if (typeof parsed === 'string') {
    out(`${parsed}\n${USAGE}`);
    return 1;
  }
  const pin = parsed.deviceKey === undefined ? {} : { devicePublicKey: parsed.deviceKey };
  if ('qr' in parsed) {
    const verdict = verifyReceiptQr(parsed.qr, pin);
    out(describeSealVerdict(verdict, parsed.deviceKey !== undefined));
    return verdict.ok ? 0 : 1;
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(parsed.file);
  } catch (error) {
    out(`cannot read ${parsed.file}: ${(error as Error).message}`);
    return 1;
  }
  const verdict = await verifyReceiptPdf(bytes, pin);
  out(describeVerdict(verdict, parsed.deviceKey !== undefined));
  return verdict.ok ? 0 : 1;
}

type Arguments = ({ file: string } | { qr: string }) & { deviceKey?: string };

function parseArguments(args: readonly string[]): Arguments | string {
  let file: string | undefined;
  let qr: string | undefined;
  let deviceKey: string | undefined;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--device-key') {
      deviceKey = args[++index];
      if (!deviceKey || !/^[0-9a-fA-F]{64}$/.test(deviceKey)) return '--device-key needs the device public key as 64 hex characters';
    } else if (arg === '--qr') {
      qr = args[++index];
      if (!qr) return '--qr needs the text scanned from the code';
    } else if (arg.startsWith('--')) {
      return `unknown option ${arg}`;
    } else if (file === undefined) {
      file = arg;
    } else {
      return 'give one receipt file';
    }
  }
  if ((file === undefined) === (qr === undefined)) return 'give the receipt PDF to verify, or --qr with a scanned code';
  const pinned = deviceKey === undefined ? {} : { deviceKey };
  return qr === undefined ? { file: file!, ...pinned } : { qr, ...pinned };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runVerifyReceipt(process.argv.slice(2), (line) => console.log(line));
}
