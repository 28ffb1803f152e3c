// A minimal zip archive (PKWARE APPNOTE 6.3.x) for checkpoints: the browser downloads a trained
// model as one file, and the Train tab reads it back. Writing stores entries uncompressed
// (method 0; safetensors of random-looking floats barely compress) under one folder, so any unzip
// tool gives back a Hugging Face model folder. Reading accepts stored entries and, where the
// runtime has DecompressionStream("deflate-raw"), deflated ones (an archive re-zipped by an OS
// tool). No zip64, encryption or multi-disk archives: a checkpoint never needs them.

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL = 0x06054b50;
const UTF8_FLAG = 0x0800;
const MAX_ZIP32 = 0xffffffff;

export class ZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipError';
  }
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309, the zip and PNG checksum). */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** MS-DOS date and time fields of a Date (local time, 2-second resolution). */
function dosDateTime(date: Date): { time: number; date: number } {
  const year = Math.max(1980, date.getFullYear());
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1),
    date: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

/** The files under `folder/` in one stored (uncompressed) zip archive. */
export function writeZip(
  files: Record<string, Uint8Array>,
  folder: string,
  modified = new Date(),
): Uint8Array<ArrayBuffer> {
  const encoder = new TextEncoder();
  const stamp = dosDateTime(modified);
  const entries = Object.entries(files).map(([name, data]) => ({
    name: encoder.encode(`${folder}/${name}`),
    data,
    crc: crc32(data),
  }));
  const localSize = entries.reduce((sum, e) => sum + 30 + e.name.length + e.data.length, 0);
  const centralSize = entries.reduce((sum, e) => sum + 46 + e.name.length, 0);
  if (localSize + centralSize + 22 > MAX_ZIP32)
    throw new ZipError(
      `The checkpoint is ${localSize} bytes; zip archives without zip64 hold at most 4 GiB.`,
    );
  const out = new Uint8Array(localSize + centralSize + 22);
  const view = new DataView(out.buffer);
  let at = 0;
  const offsets: number[] = [];
  for (const e of entries) {
    offsets.push(at);
    view.setUint32(at, LOCAL_HEADER, true);
    view.setUint16(at + 4, 20, true); // version needed: 2.0
    view.setUint16(at + 6, UTF8_FLAG, true);
    view.setUint16(at + 8, 0, true); // stored
    view.setUint16(at + 10, stamp.time, true);
    view.setUint16(at + 12, stamp.date, true);
    view.setUint32(at + 14, e.crc, true);
    view.setUint32(at + 18, e.data.length, true);
    view.setUint32(at + 22, e.data.length, true);
    view.setUint16(at + 26, e.name.length, true);
    view.setUint16(at + 28, 0, true);
    out.set(e.name, at + 30);
    out.set(e.data, at + 30 + e.name.length);
    at += 30 + e.name.length + e.data.length;
  }
  const centralStart = at;
  entries.forEach((e, i) => {
    view.setUint32(at, CENTRAL_HEADER, true);
    view.setUint16(at + 4, 20, true); // made by: 2.0, MS-DOS attributes
    view.setUint16(at + 6, 20, true);
    view.setUint16(at + 8, UTF8_FLAG, true);
    view.setUint16(at + 10, 0, true);
    view.setUint16(at + 12, stamp.time, true);
    view.setUint16(at + 14, stamp.date, true);
    view.setUint32(at + 16, e.crc, true);
    view.setUint32(at + 20, e.data.length, true);
    view.setUint32(at + 24, e.data.length, true);
    view.setUint16(at + 28, e.name.length, true);
    // extra length, comment length, disk number, internal and external attributes stay 0
    view.setUint32(at + 42, offsets[i], true);
    out.set(e.name, at + 46);
    at += 46 + e.name.length;
  });
  view.setUint32(at, END_OF_CENTRAL, true);
  view.setUint16(at + 8, entries.length, true);
  view.setUint16(at + 10, entries.length, true);
  view.setUint32(at + 12, at - centralStart, true);
  view.setUint32(at + 16, centralStart, true);
  return out;
}

async function inflateRaw(data: Uint8Array<ArrayBuffer>, name: string): Promise<Uint8Array<ArrayBuffer>> {
  if (typeof DecompressionStream === 'undefined')
    throw new ZipError(`${name} is compressed (deflate) and this browser cannot inflate it: unzip the archive and choose its files`); // prettier-ignore
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Every file entry of a zip archive by its path inside it (folders are skipped). */
export async function readZip(
  archive: Uint8Array,
  archiveName = 'the archive',
): Promise<Map<string, Uint8Array>> {
  const view = new DataView(archive.buffer, archive.byteOffset, archive.byteLength);
  // The end-of-central-directory record: 22 bytes plus a comment of up to 65,535.
  let end = -1;
  for (let at = archive.length - 22; at >= Math.max(0, archive.length - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === END_OF_CENTRAL) {
      end = at;
      break;
    }
  }
  if (end < 0) throw new ZipError(`${archiveName} is not a zip archive (no end-of-central-directory record)`);
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const decoder = new TextDecoder();
  const files = new Map<string, Uint8Array>();
  for (let i = 0; i < count; i++) {
    if (at + 46 > archive.length || view.getUint32(at, true) !== CENTRAL_HEADER)
      throw new ZipError(`${archiveName}: central directory entry ${i} is damaged; the archive is truncated`);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const compressedSize = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const localOffset = view.getUint32(at + 42, true);
    const name = decoder.decode(archive.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    if (compressedSize === MAX_ZIP32 || localOffset === MAX_ZIP32)
      throw new ZipError(`${archiveName}: ${name} uses zip64, which is not supported; unzip the archive and choose its files`); // prettier-ignore
    if (view.getUint32(localOffset, true) !== LOCAL_HEADER)
      throw new ZipError(`${archiveName}: the local header of ${name} is missing; the archive is damaged`);
    const dataStart = localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true); // prettier-ignore
    if (dataStart + compressedSize > archive.length)
      throw new ZipError(
        `${archiveName}: ${name} runs past the end of the archive; the download is truncated`,
      );
    const stored = archive.slice(dataStart, dataStart + compressedSize);
    let data: Uint8Array<ArrayBuffer>;
    if (method === 0) data = stored;
    else if (method === 8) data = await inflateRaw(stored, name);
    else throw new ZipError(`${archiveName}: ${name} uses compression method ${method}; only stored and deflate are supported`); // prettier-ignore
    if (crc32(data) !== crc)
      throw new ZipError(`${archiveName}: ${name} fails its CRC-32 check; the archive is damaged`);
    files.set(name, data);
  }
  return files;
}
