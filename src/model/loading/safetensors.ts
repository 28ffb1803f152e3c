// safetensors reader: 8-byte little-endian header length N, N bytes of JSON header
// `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {...}}`, then the data.
// The header can be checked on its own (from the first bytes of a download, before the weights
// arrive); tensors are views into the file's buffer, never copies, so a 1 GB checkpoint lives
// in memory once. Every error names the file and tensor and says what to do.
import { f16ArrayToF32, bf16ArrayToF32 } from './float16';
import { ModelLoadError, formatBytes, formatShape } from './errors';

/** Bytes per element of every dtype the safetensors format defines. */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E8M0: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8,
}; // prettier-ignore

/** The dtypes LogitLab computes with. */
export type FloatDtype = 'F32' | 'F16' | 'BF16';
export const FLOAT_DTYPES: readonly FloatDtype[] = ['F32', 'F16', 'BF16'];
export const LOADABLE_DTYPES_TEXT = 'LogitLab loads F32, F16 and BF16';

/** The safetensors library refuses headers above 100 MB; so do we, before allocating anything. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte range within the data section (after the 8 + N header bytes). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  file: string;
  /** N, the JSON header's length. */
  headerBytes: number;
  /** 8 + N: where the data section starts in the file. */
  dataOffset: number;
  /** 8 + N + the largest data_offsets end: the smallest file this header can describe. */
  declaredFileBytes: number;
  /** In header order. */
  tensors: TensorEntry[];
  metadata: Record<string, string> | null;
}

export function isFloatDtype(dtype: string): dtype is FloatDtype {
  return (FLOAT_DTYPES as readonly string[]).includes(dtype);
}

function fail(file: string, message: string): never {
  throw new ModelLoadError('format', `${file}: ${message}`, file);
}

function recognisableNonSafetensors(prefix: Uint8Array): string | null {
  const text = new TextDecoder().decode(prefix.subarray(0, 64)).trimStart().toLowerCase();
  if (text.startsWith('version https://git-lfs')) {
    return 'is a Git LFS pointer, not the weights: fetch the real file (git lfs pull, or download it from the Hub)';
  }
  if (text.startsWith('<!doctype') || text.startsWith('<html')) {
    return 'is an HTML page, not safetensors: the URL points at a web page (for the Hub use /resolve/, not /blob/)';
  }
  if (text.startsWith('{')) {
    return 'is JSON, not safetensors: is it the model.safetensors.index.json of a sharded checkpoint?';
  }
  return null;
}

/**
 * 8 + N, the bytes needed before `parseSafetensorsHeader` can run; validates N against the file
 * size when known. `prefix` must hold at least the first 8 bytes.
 */
export function safetensorsHeaderEnd(prefix: Uint8Array, file: string, fileBytes: number | null): number {
  if (prefix.length < 8) {
    fail(
      file,
      `the file is ${formatBytes(prefix.length)}, too short for a safetensors header (an 8-byte length, then JSON): ` +
        'the file is truncated or not safetensors',
    );
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const length = Number(view.getBigUint64(0, true));
  if (length > MAX_HEADER_BYTES || length < 2) {
    const known = recognisableNonSafetensors(prefix);
    if (known) fail(file, known);
    fail(
      file,
      `the first 8 bytes declare a ${formatBytes(length)} JSON header (safetensors allows 2 bytes to ` +
        `${formatBytes(MAX_HEADER_BYTES)}): the file is not safetensors`,
    );
  }
  if (fileBytes !== null && 8 + length > fileBytes) {
    fail(
      file,
      `the header length field says ${formatBytes(length)} but the file is ${formatBytes(fileBytes)}: ` +
        'the file is truncated or not safetensors',
    );
  }
  return 8 + length;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseEntry(file: string, name: string, value: unknown): TensorEntry {
  const malformed = (what: string): never =>
    fail(file, `tensor ${name} ${what}: the header is malformed (re-export the checkpoint)`);
  if (!isRecord(value)) return malformed('is not an object');
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') return malformed('has no "dtype" string');
  const elementBytes = DTYPE_BYTES[dtype];
  if (elementBytes === undefined) {
    fail(
      file,
      `tensor ${name} has dtype ${dtype}, which safetensors does not define; ${LOADABLE_DTYPES_TEXT}`,
    );
  }
  if (!Array.isArray(shape)) return malformed('has no "shape" list');
  if (!shape.every((d): d is number => Number.isSafeInteger(d) && (d as number) >= 0)) {
    fail(
      file,
      `tensor ${name} has shape ${JSON.stringify(shape)}: dimensions must be non-negative integers ` +
        '(the header is malformed; re-export the checkpoint)',
    );
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o): o is number => Number.isSafeInteger(o) && (o as number) >= 0) ||
    offsets[0] > offsets[1]
  ) {
    return malformed(
      `has data_offsets ${JSON.stringify(offsets)} (expected [begin, end] with 0 ≤ begin ≤ end)`,
    );
  }
  const [begin, end] = offsets as [number, number];
  const needed = shape.reduce((a, b) => a * b, 1) * elementBytes;
  if (end - begin !== needed) {
    fail(
      file,
      `tensor ${name}: shape ${formatShape(shape)} × ${dtype} (${elementBytes} bytes) needs ${needed} bytes ` +
        `but data_offsets [${begin}, ${end}] hold ${end - begin}: the header is malformed (re-export the checkpoint)`,
    );
  }
  return { name, dtype, shape: shape.slice(), begin, end };
}

/**
 * Parses and validates the header from the file's first 8 + N bytes (`prefix` may hold more).
 * `fileBytes` (the whole file's size, e.g. from Content-Length) enables the range checks.
 */
export function parseSafetensorsHeader(
  prefix: Uint8Array,
  file: string,
  fileBytes: number | null,
): SafetensorsHeader {
  const dataOffset = safetensorsHeaderEnd(prefix, file, fileBytes);
  if (prefix.length < dataOffset) {
    fail(file, `only ${formatBytes(prefix.length)} of the ${formatBytes(dataOffset)} header are present`);
  }
  let json: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(prefix.subarray(8, dataOffset));
    json = JSON.parse(text);
  } catch (error) {
    fail(
      file,
      `the header is not valid JSON (${(error as Error).message}): the file is corrupt or not safetensors`,
    );
  }
  if (!isRecord(json)) fail(file, 'the header is not a JSON object: the file is corrupt or not safetensors');
  let metadata: Record<string, string> | null = null;
  const tensors: TensorEntry[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isRecord(value)) fail(file, '"__metadata__" is not an object: the header is malformed');
      metadata = {};
      // The format says string → string; other writers' numbers are kept as their JSON text.
      for (const [k, v] of Object.entries(value)) metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
      continue;
    }
    tensors.push(parseEntry(file, name, value));
  }
  const byStart = tensors.filter((t) => t.end > t.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < byStart.length; i++) {
    const [a, b] = [byStart[i - 1], byStart[i]];
    if (b.begin < a.end) {
      fail(
        file,
        `tensors ${a.name} [${a.begin}, ${a.end}) and ${b.name} [${b.begin}, ${b.end}) overlap in the data ` +
          'section: the header is malformed (re-export the checkpoint)',
      );
    }
  }
  const last = byStart[byStart.length - 1];
  const declaredFileBytes = dataOffset + (last ? last.end : 0);
  if (fileBytes !== null && declaredFileBytes > fileBytes) {
    fail(
      file,
      `header declares ${formatBytes(declaredFileBytes)} but the file is ${formatBytes(fileBytes)} ` +
        `(tensor ${last.name} ends at byte ${declaredFileBytes}): the file is truncated or not safetensors`,
    );
  }
  return { file, headerBytes: dataOffset - 8, dataOffset, declaredFileBytes, tensors, metadata };
}

/** One tensor of a loaded file: a view of its bytes plus what is needed to interpret them. */
export class SafetensorsTensor {
  readonly elementCount: number;
  constructor(
    /** The name as stored in the file. */
    readonly name: string,
    readonly dtype: string,
    readonly shape: readonly number[],
    /** Little-endian raw bytes: a view into the file's buffer (upload as is for a matching GPU dtype). */
    readonly bytes: Uint8Array<ArrayBuffer>,
    readonly file: string,
  ) {
    this.elementCount = shape.reduce((a, b) => a * b, 1);
  }

  /** Raw 16-bit words of an F16 or BF16 tensor (a view when aligned, else a copy). */
  halfBits(): Uint16Array<ArrayBuffer> {
    if (this.dtype !== 'F16' && this.dtype !== 'BF16') {
      throw new ModelLoadError(
        'format',
        `${this.file}: tensor ${this.name} is ${this.dtype}, not F16 or BF16`,
      );
    }
    const { buffer, byteOffset } = this.bytes;
    if (byteOffset % 2 === 0) return new Uint16Array(buffer, byteOffset, this.elementCount);
    return new Uint16Array(this.bytes.slice().buffer);
  }

  /**
   * The values as F32. For an aligned F32 tensor this is a view of the file's buffer (no copy:
   * treat it as read-only); F16 and BF16 are converted into a new array.
   */
  toFloat32(): Float32Array<ArrayBuffer> {
    if (this.dtype === 'F32') {
      const { buffer, byteOffset } = this.bytes;
      if (byteOffset % 4 === 0) return new Float32Array(buffer, byteOffset, this.elementCount);
      return new Float32Array(this.bytes.slice().buffer);
    }
    if (this.dtype === 'F16') return f16ArrayToF32(this.halfBits()) as Float32Array<ArrayBuffer>;
    if (this.dtype === 'BF16') return bf16ArrayToF32(this.halfBits()) as Float32Array<ArrayBuffer>;
    throw new ModelLoadError(
      'format',
      `${this.file}: tensor ${this.name} has dtype ${this.dtype}; ${LOADABLE_DTYPES_TEXT}`,
      this.file,
    );
  }
}

export interface SafetensorsFile {
  header: SafetensorsHeader;
  /** By stored name, in header order. */
  tensors: Map<string, SafetensorsTensor>;
}

/** Parses a whole file; tensors are views into `bytes`. */
export function parseSafetensors(bytes: Uint8Array<ArrayBuffer>, file: string): SafetensorsFile {
  const header = parseSafetensorsHeader(bytes, file, bytes.length);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const t of header.tensors) {
    const view = bytes.subarray(header.dataOffset + t.begin, header.dataOffset + t.end);
    tensors.set(t.name, new SafetensorsTensor(t.name, t.dtype, t.shape, view, file));
  }
  return { header, tensors };
}
