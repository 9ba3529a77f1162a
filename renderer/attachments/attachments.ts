import { ATTACHMENT_MIME_TYPES, MAX_ATTACHMENT_BYTES, type AttachmentMimeType } from '../../protocol/records/attachments.js';
import { call } from '../api.js';

/**
 * Photos and signatures go to the core as base64 and come back by the SHA-256 the core named
 * them with; records refer to them by that name only.
 */
export const ACCEPTED_IMAGE_TYPES = ATTACHMENT_MIME_TYPES.join(',');

function isAcceptedImageType(type: string): type is AttachmentMimeType {
  return (ATTACHMENT_MIME_TYPES as readonly string[]).includes(type);
}

/** A picked file's image type, or why it cannot be attached (in the words shown next to the picker). */
export function checkPickedFile(file: { name: string; type: string; size: number }): { mimeType: AttachmentMimeType } | { problem: string } {
  if (!isAcceptedImageType(file.type)) return { problem: `${file.name} is not a photo (PNG, JPEG or WebP)` };
  if (file.size > MAX_ATTACHMENT_BYTES) return { problem: `${file.name} is larger than ${MAX_ATTACHMENT_BYTES / (1024 * 1024)} MB` };
  return { mimeType: file.type };
}

/** The base64 part of a data: URL (what FileReader and canvas.toDataURL produce). */
export function dataUrlBase64(dataUrl: string): string {
  return dataUrl.slice(dataUrl.indexOf(',') + 1);
}

export async function attachFile(file: File, mimeType: AttachmentMimeType): Promise<string> {
  const dataUrl = await new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error(`could not read ${file.name}`));
    reader.readAsDataURL(file);
  });
  return (await call('attachments.put', { mimeType, dataBase64: dataUrlBase64(dataUrl) })).sha256;
}

export async function attachPng(dataUrl: string): Promise<string> {
  return (await call('attachments.put', { mimeType: 'image/png', dataBase64: dataUrlBase64(dataUrl) })).sha256;
}
