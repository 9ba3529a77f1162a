import QRCode from 'qrcode';
import {
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFHexString,
  PDFName,
  PDFRawStream,
  PDFStream,
  PDFString,
  type PDFFont,
  type PDFImage,
  type PDFOperator,
  type PDFPage,
  StandardFonts,
  decodePDFRawStream,
  fill,
  popGraphicsState,
  pushGraphicsState,
  rectangle,
  rgb,
  setFillingGrayscaleColor,
} from 'pdf-lib';
import {
  RECEIPT_ATTACHMENT_NAME,
  RECEIPT_TITLES,
  type ReceiptCheckOptions,
  type ReceiptLine,
  type ReceiptPayload,
  type ReceiptVerdict,
  type SealVerdict,
  localTime,
  receiptLines,
  receiptQrText,
  receiptSignatures,
  verifyReceipt,
} from '../../protocol/receipts.js';
import { canonicalize } from '../../protocol/canonical.js';

/**
 * The receipt as a PDF (pdf-lib, standard fonts: nothing to embed, nothing to sanitize beyond
 * protocol/receipts.ts `printable`): the lines the verified record prints, its signature images,
 * the QR code, and the payload attached as a file, so the PDF alone is enough to verify it.
 */

/** US Letter, the paper a truck stop or yard office prints on. */
const PAGE_WIDTH = 612;
const PAGE_HEIGHT = 792;
const MARGIN = 50;
const QR_SIZE = 180;
const SIGNATURE_BOX = { width: 240, height: 80 };
const STYLES: Readonly<Record<ReceiptLine['style'], { size: number; bold: boolean; gapBefore: number }>> = {
  title: { size: 18, bold: true, gapBefore: 0 },
  heading: { size: 12, bold: true, gapBefore: 10 },
  body: { size: 10, bold: false, gapBefore: 0 },
  footer: { size: 8, bold: false, gapBefore: 14 },
};

export interface ReceiptImage {
  mimeType: string;
  data: Uint8Array;
}

export async function renderReceiptPdf(payload: ReceiptPayload, images: ReadonlyMap<string, ReceiptImage>): Promise<Uint8Array> {
  // Only what verifies is printed: a receipt the device cannot check itself would mislead its reader.
  const verdict = verifyReceipt(payload);
  if (!verdict.ok) throw new Error(`the receipt does not verify: ${verdict.failure.message}`);
  const receipt = verdict.receipt;

  const document = await PDFDocument.create();
  const title = RECEIPT_TITLES[receipt.recordType];
  document.setTitle(`${title} ${receipt.recordId}`);
  document.setSubject(`Signed by ${receipt.operatorId} on device ${receipt.deviceId}, journal entry ${receipt.seq}`);
  document.setProducer('Waypost');
  document.setCreationDate(new Date(receipt.submittedAt));
  const fonts = { regular: await document.embedFont(StandardFonts.Helvetica), bold: await document.embedFont(StandardFonts.HelveticaBold) };

  const signatureImages = new Map<string, { image: PDFImage | null; sha256: string }>();
  for (const signature of receiptSignatures(receipt)) {
    const stored = images.get(signature.sha256);
    signatureImages.set(signature.label, { image: stored ? await embedImage(document, stored) : null, sha256: signature.sha256 });
  }

  let page = document.addPage([PAGE_WIDTH, PAGE_HEIGHT]);
  drawQr(page, receiptQrText(payload));
  const qrBottom = PAGE_HEIGHT - MARGIN - QR_SIZE;
  let y = PAGE_HEIGHT - MARGIN;
  const room = (needed: number) => {
    if (y - needed >= MARGIN) return;
    page = document.addPage([PAGE_WIDTH, PAGE_HEIGHT]);
    y = PAGE_HEIGHT - MARGIN;
  };

  for (const line of receiptLines(receipt)) {
    const style = STYLES[line.style];
    const font = style.bold ? fonts.bold : fonts.regular;
    const leading = style.size * 1.3;
    y -= style.gapBefore;
    const width = () => PAGE_WIDTH - 2 * MARGIN - (page === document.getPage(0) && y > qrBottom - leading ? QR_SIZE + 12 : 0);
    for (const piece of wrap(line.text, font, style.size, width)) {
      room(leading);
      y -= leading;
      page.drawText(piece, { x: MARGIN, y, size: style.size, font, color: rgb(0, 0, 0) });
    }
    const signature = [...signatureImages.entries()].find(([label]) => line.text.startsWith(`${label}:`))?.[1];
    if (signature) {
      room(SIGNATURE_BOX.height + 6);
      y -= SIGNATURE_BOX.height + 6;
      if (signature.image) {
        const scaled = signature.image.scaleToFit(SIGNATURE_BOX.width, SIGNATURE_BOX.height);
        page.drawImage(signature.image, { x: MARGIN, y, width: scaled.width, height: scaled.height });
      }
      page.drawRectangle({ x: MARGIN, y, width: SIGNATURE_BOX.width, height: SIGNATURE_BOX.height, borderColor: rgb(0.6, 0.6, 0.6), borderWidth: 0.5 });
    }
  }

  await document.attach(new TextEncoder().encode(canonicalize(payload)), RECEIPT_ATTACHMENT_NAME, {
    mimeType: 'application/json',
    description: 'The signed journal entries this receipt prints, for offline verification',
    creationDate: new Date(receipt.submittedAt),
    modificationDate: new Date(receipt.submittedAt),
  });
  return document.save();
}

/** A PDF file name that says what it is: `DVIR TRK-1000 2026-11-22.pdf`. */
export function receiptFileName(payload: ReceiptPayload, fields: Record<string, unknown>): string {
  const kind = payload.recordType === 'inspection' ? 'DVIR' : 'EIR';
  const submit = payload.entries.at(-1)!;
  const day = localTime(submit.body.deviceTime, payload.context.utcOffsetMinutes).slice(0, 10);
  const unit = String(fields.equipmentNumber ?? payload.recordId).replace(/[^A-Za-z0-9._-]+/g, '-');
  return `${kind} ${unit} ${day}.pdf`;
}

async function embedImage(document: PDFDocument, image: ReceiptImage): Promise<PDFImage | null> {
  // A signature pad exports PNG; a format a standard PDF cannot hold is left out, its box and hash still printed.
  if (image.mimeType === 'image/png') return document.embedPng(image.data);
  if (image.mimeType === 'image/jpeg') return document.embedJpg(image.data);
  return null;
}

function wrap(text: string, font: PDFFont, size: number, width: () => number): string[] {
  const pieces: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    const candidate = current ? `${current} ${word}` : word;
    if (current && font.widthOfTextAtSize(candidate, size) > width()) {
      pieces.push(current);
      current = word;
    } else {
      current = candidate;
    }
  }
  pieces.push(current);
  return pieces;
}

/** Drawn as vector squares, one rectangle per run of dark modules: sharp at any printer's resolution. */
function drawQr(page: PDFPage, text: string): void {
  page.pushOperators(pushGraphicsState(), setFillingGrayscaleColor(0), ...qrRectangles(text), fill(), popGraphicsState());
}

function qrRectangles(text: string): PDFOperator[] {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const module = QR_SIZE / modules.size;
  const left = PAGE_WIDTH - MARGIN - QR_SIZE;
  const top = PAGE_HEIGHT - MARGIN;
  const dark = (row: number, column: number) => modules.data[row * modules.size + column] === 1;
  const runs: PDFOperator[] = [];
  for (let row = 0; row < modules.size; row++) {
    for (let column = 0; column < modules.size; column++) {
      if (!dark(row, column)) continue;
      const start = column;
      while (column + 1 < modules.size && dark(row, column + 1)) column++;
      runs.push(rectangle(left + start * module, top - (row + 1) * module, (column - start + 1) * module, module));
    }
  }
  return runs;
}

/**
 * The QR code on the first page is the one of this payload: a page whose code was swapped for
 * another receipt's would send a reader who scans it to another record than the one printed.
 */
function qrMatches(operators: string, payload: ReceiptPayload): boolean {
  return operators.includes(qrRectangles(receiptQrText(payload)).map(String).join('\n'));
}

export interface ReadReceipt {
  /** The attached payload, parsed; undefined when the file has none, null when it is not JSON. */
  payload: unknown;
  /** The text drawn on the pages, in the order drawn. */
  printed: string[];
  /** The first page's content operators (where the QR code is drawn). */
  firstPage: string;
}

export async function readReceiptPdf(bytes: Uint8Array): Promise<ReadReceipt> {
  const document = await PDFDocument.load(bytes, { updateMetadata: false });
  const pages = document.getPages().map((page) => pageOperators(document, page));
  const read = { printed: pages.flatMap(shownText), firstPage: pages[0] ?? '' };
  const attached = attachment(document, RECEIPT_ATTACHMENT_NAME);
  if (attached === undefined) return { payload: undefined, ...read };
  try {
    return { payload: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(attached)), ...read };
  } catch {
    return { payload: null, ...read };
  }
}

/** What `npm run verify-receipt` checks: the attached payload, and the page against it. */
export async function verifyReceiptPdf(bytes: Uint8Array, options: Omit<ReceiptCheckOptions, 'printed'> = {}): Promise<ReceiptVerdict> {
  let read: ReadReceipt;
  try {
    read = await readReceiptPdf(bytes);
  } catch (error) {
    return { ok: false, failure: { code: 'payload-missing', message: `the file is not a readable PDF: ${(error as Error).message}` } };
  }
  if (read.payload === undefined) return { ok: false, failure: { code: 'payload-missing', message: `the PDF has no ${RECEIPT_ATTACHMENT_NAME} attached: it is not a Waypost receipt` } };
  if (read.payload === null) return { ok: false, failure: { code: 'payload-malformed', message: `the attached ${RECEIPT_ATTACHMENT_NAME} is not JSON` } };
  const verdict = verifyReceipt(read.payload, { ...options, printed: read.printed });
  if (verdict.ok && !qrMatches(read.firstPage, read.payload as ReceiptPayload)) {
    return { ok: false, failure: { code: 'qr-mismatch', message: 'the QR code printed on the page is not the one of the signed entries attached' } };
  }
  return verdict;
}

/** The verdict as the CLI prints it. */
export function describeVerdict(verdict: ReceiptVerdict, pinned = false): string {
  if (!verdict.ok) return `invalid: ${verdict.failure.code}: ${verdict.failure.message}`;
  const { receipt } = verdict;
  const operator = receipt.context.operatorName ? `${receipt.context.operatorName} (operator ${receipt.operatorId})` : `operator ${receipt.operatorId}`;
  return [
    `valid: signed by ${operator} on device ${receipt.deviceId}, entry ${receipt.seq}, ${localTime(receipt.submittedAt, receipt.context.utcOffsetMinutes)}`,
    `  ${RECEIPT_TITLES[receipt.recordType]} ${receipt.recordId}; entry hash ${receipt.hash}`,
    '  The operator id, device and content are signed; the printed name, site and checklist labels are as the device printed them.',
    pinned ? '  The device key is the one given.' : `  Device key ${receipt.devicePublicKey}: pin it with --device-key (from the office that enrolled the device).`,
  ].join('\n');
}

/** A page's content operators, decoded, as pdf-lib wrote them. */
function pageOperators(document: PDFDocument, page: PDFPage): string {
  const contents = page.node.Contents();
  const streams = contents instanceof PDFArray ? contents.asArray().map((ref) => document.context.lookup(ref)) : [contents];
  return streams
    .filter((stream): stream is PDFRawStream => stream instanceof PDFRawStream)
    .map((stream) => Buffer.from(decodePDFRawStream(stream).decode()).toString('latin1'))
    .join('\n');
}

/** What a scanned QR code says, as the CLI prints it. */
export function describeSealVerdict(verdict: SealVerdict, pinned = false): string {
  if (!verdict.ok) return `invalid: ${verdict.failure.code}: ${verdict.failure.message}`;
  const { seal } = verdict;
  return [
    `valid: submit of ${RECEIPT_TITLES[seal.recordType]} ${seal.recordId} signed by operator ${seal.operatorId} on device ${seal.deviceId}, entry ${seal.seq}, ${localTime(seal.submittedAt, 0)}`,
    '  The code proves who submitted the record and when; what it held is checked with the PDF.',
    pinned ? '  The device key is the one given.' : `  Device key ${seal.devicePublicKey}: pin it with --device-key (from the office that enrolled the device).`,
  ].join('\n');
}

/** Strings shown by `Tj`, as pdf-lib writes them for a standard font (hex, WinAnsi). */
function shownText(operators: string): string[] {
  return [...operators.matchAll(/<([0-9A-Fa-f]*)>\s*Tj/g)].map((match) => Buffer.from(match[1]!, 'hex').toString('latin1'));
}

function attachment(document: PDFDocument, name: string): Uint8Array | undefined {
  const names = document.catalog.lookupMaybe(PDFName.of('Names'), PDFDict)?.lookupMaybe(PDFName.of('EmbeddedFiles'), PDFDict)?.lookupMaybe(PDFName.of('Names'), PDFArray);
  if (!names) return undefined;
  for (let index = 0; index + 1 < names.size(); index += 2) {
    const spec = names.lookupMaybe(index + 1, PDFDict);
    const fileName = spec?.lookupMaybe(PDFName.of('UF'), PDFString, PDFHexString) ?? spec?.lookupMaybe(PDFName.of('F'), PDFString, PDFHexString);
    if (!spec || fileName?.decodeText() !== name) continue;
    const stream = spec.lookupMaybe(PDFName.of('EF'), PDFDict)?.lookupMaybe(PDFName.of('F'), PDFStream);
    if (stream instanceof PDFRawStream) return decodePDFRawStream(stream).decode();
  }
  return undefined;
}
