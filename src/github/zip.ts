import { inflateRawSync } from 'node:zlib';

/**
 * Reads one file out of a zip archive (how GitHub serves an artifact), refusing anything it
 * cannot bound: its inflated size is capped whatever the archive declares.
 */
export function readZipEntry(zip: Buffer, name: string, maxBytes: number): Buffer | undefined {
  const eocd = findEndOfCentralDirectory(zip);
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  let found: Buffer | undefined;
  for (let i = 0; i < count; i++) {
    if (offset + 46 > zip.length || zip.readUInt32LE(offset) !== 0x02014b50) throw new Error('the archive\'s central directory is damaged');
    const method = zip.readUInt16LE(offset + 10);
    const compressed = zip.readUInt32LE(offset + 20);
    const size = zip.readUInt32LE(offset + 24);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const local = zip.readUInt32LE(offset + 42);
    const entryName = zip.subarray(offset + 46, offset + 46 + nameLength).toString('utf8');
    offset += 46 + nameLength + extraLength + commentLength;
    if (entryName !== name) continue;
    if (found) throw new Error(`the archive holds ${name} more than once`);
    if (size > maxBytes || compressed > maxBytes) throw new Error(`${name} is larger than ${maxBytes} bytes`);
    if (local + 30 > zip.length || zip.readUInt32LE(local) !== 0x04034b50) throw new Error('the archive\'s local header is damaged');
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + compressed);
    if (data.length !== compressed) throw new Error('the archive is truncated');
    if (method === 0) found = Buffer.from(data);
    else if (method === 8) {
      try {
        found = inflateRawSync(data, { maxOutputLength: maxBytes });
      } catch (err) {
        throw new Error((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? `${name} inflates to more than ${maxBytes} bytes` : `${name} cannot be inflated`);
      }
    } else throw new Error(`${name} uses compression method ${method}, which is not read`);
  }
  return found;
}

function findEndOfCentralDirectory(zip: Buffer): number {
  if (zip.length < 22) throw new Error('not a zip archive');
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65_535); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) return i;
  }
  throw new Error('not a zip archive');
}
