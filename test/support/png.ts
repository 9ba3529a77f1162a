import { crc32, deflateSync } from 'node:zlib';

/**
 * Small real PNG files for tests: a solid-colour image, optionally carrying a text chunk, so a
 * test can look for known bytes inside whatever stored it.
 */
export function makePng(options: { width?: number; height?: number; rgb?: [number, number, number]; text?: string } = {}): Uint8Array {
  const width = options.width ?? 8;
  const height = options.height ?? 8;
  const [red, green, blue] = options.rgb ?? [200, 60, 40];
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => [red, green, blue]).flat())]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  const chunks = [chunk('IHDR', header)];
  if (options.text) chunks.push(chunk('tEXt', Buffer.from(`Comment\u0000${options.text}`, 'latin1')));
  chunks.push(chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0)));
  return new Uint8Array(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks]));
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}
