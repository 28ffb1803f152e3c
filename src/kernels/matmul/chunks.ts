// Tensors larger than one storage binding, split along one axis into separate buffers.
//
// WebGPU binds at most maxStorageBufferBindingSize bytes (often 128 MiB .. 2 GiB), but Qwen2.5's
// 151,936 x 896 f32 embedding / head is 545 MB. Weights are therefore split along N (the output
// axis of a matmul, the row axis of an embedding table): chunk i holds the index range
// [start, end) of that axis and nothing else.
//   layout "nk" ([N, K], nn.Linear, embedding tables): rows start..end-1, contiguous in memory.
//   layout "kn" ([K, N], GPT-2 Conv1D): a [K, end - start] matrix, gathered from columns.
// Each chunk is one buffer bound whole; kernels dispatch once per chunk.
//
// dtype "f16" (half the memory and bandwidth; decoded in WGSL with the core unpack2x16float, so
// no `shader-f16` feature is needed): the chunk is an array of u32, two halves per word, element
// 2i in the low 16 bits (pack2x16float's order). Every row of the chunk's contiguous axis is padded
// to an even count with a zero half, so rows start on a word:
//   "nk": row n is K halves in ceil(K / 2) words   -> (end - start) * ceil(K / 2) words.
//   "kn": row k is width halves in ceil(width / 2) words -> K * ceil(width / 2) words.
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import { f32ArrayToF16 } from '../../model/loading/float16';
import { checkStorage } from './support';

/** Memory layout of a weight W that maps K inputs to N outputs. */
export type WeightLayout = 'kn' | 'nk';

/** [start, end) along the split axis. */
export interface IndexRange {
  start: number;
  end: number;
}

/** One buffer holding the range [start, end) of the split axis (see the file header). */
export interface TensorChunk extends IndexRange {
  buffer: GPUBuffer;
}

/** Element type of a weight's chunks; "f16" chunks are packed (see the file header). */
export type WeightDtype = 'f32' | 'f16';

/** A weight W with K inputs and N outputs, as chunks covering 0..N in order. */
export interface MatmulWeight {
  layout: WeightLayout;
  chunks: readonly TensorChunk[];
  /** Absent means "f32". */
  dtype?: WeightDtype;
}

/** Bytes of one chunk of `width` indices along N (see the file header for the f16 packing). */
export function weightChunkBytes(dtype: WeightDtype, layout: WeightLayout, k: number, width: number): number {
  if (dtype === 'f32') return width * k * 4;
  return layout === 'nk' ? width * Math.ceil(k / 2) * 4 : k * Math.ceil(width / 2) * 4;
}

/**
 * Ranges of at most floor(limit / (K * bytesPerElement)) rows each, covering 0..N in order (the
 * last one takes the remainder, so chunks are uneven in general). When a chunk holds 4 or more
 * rows the count is rounded down to a multiple of 4, so "kn" chunks keep vec4-aligned rows.
 * Throws when a single row of K elements exceeds `limit`.
 */
export function splitRowsForLimit(
  n: number,
  k: number,
  bytesPerElement: number,
  limit: number,
): IndexRange[] {
  for (const [what, value] of [
    ['N (rows to split)', n],
    ['K (elements per row)', k],
    ['bytesPerElement', bytesPerElement],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new KernelInputError(`splitRowsForLimit: ${what} must be a positive integer, got ${value}`);
    }
  }
  const rowBytes = k * bytesPerElement;
  if (!(limit >= rowBytes)) {
    throw new KernelInputError(
      `splitRowsForLimit: one row of ${k} elements is ${rowBytes} bytes, over the limit of ${limit} bytes; ` +
        'this device cannot bind even one row of the tensor',
    );
  }
  let perChunk = Math.min(n, Math.floor(limit / rowBytes));
  if (perChunk >= 4 && perChunk < n) perChunk -= perChunk % 4;
  const ranges: IndexRange[] = [];
  for (let start = 0; start < n; start += perChunk)
    ranges.push({ start, end: Math.min(n, start + perChunk) });
  return ranges;
}

/** The chunks' host data: "nk" slices rows of [N, K]; "kn" gathers columns of [K, N]. */
export function chunkWeightData(
  data: Float32Array,
  layout: WeightLayout,
  n: number,
  k: number,
  ranges: readonly IndexRange[],
): Float32Array[] {
  checkLength('chunkWeightData', data.length, n, k);
  return ranges.map(({ start, end }) => {
    if (layout === 'nk') return data.subarray(start * k, end * k);
    const width = end - start;
    const out = new Float32Array(k * width);
    for (let row = 0; row < k; row++) out.set(data.subarray(row * n + start, row * n + end), row * width);
    return out;
  });
}

/** The largest chunk this device can create and bind whole. */
export function chunkLimit(gpu: Gpu): number {
  return Math.min(gpu.device.limits.maxStorageBufferBindingSize, gpu.device.limits.maxBufferSize);
}

/**
 * Uploads W ([N, K] for "nk", [K, N] for "kn") as chunks no larger than `limit` bytes (default:
 * chunkLimit(gpu)). dtype "f16" rounds to nearest even on the host (PyTorch's `.half()`) and
 * packs (uploadWeightF16Bits). The caller owns the buffers (destroyWeight).
 */
export function uploadWeight(
  gpu: Gpu,
  data: Float32Array,
  layout: WeightLayout,
  n: number,
  k: number,
  label: string,
  limit = chunkLimit(gpu),
  dtype: WeightDtype = 'f32',
): MatmulWeight {
  if (dtype === 'f16') {
    checkLength('uploadWeight', data.length, n, k);
    return uploadWeightF16Bits(gpu, f32ArrayToF16(data), layout, n, k, label, limit);
  }
  const ranges = splitRowsForLimit(n, k, 4, limit);
  const parts = chunkWeightData(data, layout, n, k, ranges);
  const chunks = ranges.map((range, i) => {
    const buffer = createWeightBuffer(gpu, label, ranges.length, range, parts[i].byteLength);
    new Float32Array(buffer.getMappedRange(0, parts[i].byteLength)).set(parts[i]);
    buffer.unmap();
    return { ...range, buffer };
  });
  return { layout, chunks, dtype: 'f32' };
}

/**
 * Ranges for f16 chunks whose packed size stays within `limit`: "nk" rows count their padding;
 * "kn" splits whole column pairs, so only the last chunk can have an odd width.
 */
export function splitF16RowsForLimit(
  n: number,
  k: number,
  layout: WeightLayout,
  limit: number,
): IndexRange[] {
  if (layout === 'nk') return splitRowsForLimit(n, 2 * Math.ceil(k / 2), 2, limit);
  return splitRowsForLimit(Math.ceil(n / 2), 2 * k, 2, limit).map(({ start, end }) => ({
    start: 2 * start,
    end: Math.min(n, 2 * end),
  }));
}

/**
 * Uploads W given as IEEE half bits (a safetensors F16 tensor's bytes), [N, K] for "nk" or
 * [K, N] for "kn", packed as in the file header, in chunks of at most `limit` bytes.
 */
export function uploadWeightF16Bits(
  gpu: Gpu,
  bits: Uint16Array,
  layout: WeightLayout,
  n: number,
  k: number,
  label: string,
  limit = chunkLimit(gpu),
): MatmulWeight {
  checkLength('uploadWeightF16Bits', bits.length, n, k);
  const ranges = splitF16RowsForLimit(n, k, layout, limit);
  const chunks = ranges.map((range) => {
    const bytes = weightChunkBytes('f16', layout, k, range.end - range.start);
    const buffer = createWeightBuffer(gpu, label, ranges.length, range, bytes);
    packF16Chunk(bits, layout, n, k, range, new Uint16Array(buffer.getMappedRange(0, bytes)));
    buffer.unmap();
    return { ...range, buffer };
  });
  return { layout, chunks, dtype: 'f16' };
}

/**
 * Writes one chunk's halves into `out` (zeroed, weightChunkBytes / 2 halves long), each row at a
 * word boundary; the padding halves stay zero. A little-endian host puts half 2i in the low bits.
 */
export function packF16Chunk(
  bits: Uint16Array,
  layout: WeightLayout,
  n: number,
  k: number,
  { start, end }: IndexRange,
  out: Uint16Array,
): void {
  const width = end - start;
  if (layout === 'nk') {
    const stride = 2 * Math.ceil(k / 2);
    for (let row = 0; row < width; row++) {
      out.set(bits.subarray((start + row) * k, (start + row + 1) * k), row * stride);
    }
    return;
  }
  const stride = 2 * Math.ceil(width / 2);
  for (let row = 0; row < k; row++) out.set(bits.subarray(row * n + start, row * n + end), row * stride);
}

function checkLength(caller: string, length: number, n: number, k: number): void {
  if (length !== n * k) {
    throw new KernelInputError(`${caller}: data has ${length} elements, N*K = ${n}*${k} = ${n * k}`);
  }
}

function createWeightBuffer(
  gpu: Gpu,
  label: string,
  count: number,
  range: IndexRange,
  bytes: number,
): GPUBuffer {
  return gpu.device.createBuffer({
    label: count === 1 ? label : `${label}[${range.start}:${range.end}]`,
    size: Math.max(16, bytes),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
    mappedAtCreation: true,
  });
}

export function destroyWeight(weight: MatmulWeight): void {
  for (const chunk of weight.chunks) chunk.buffer.destroy();
}

/**
 * Chunks must cover 0..total in order without gaps, and each buffer must hold
 * (end - start) * elementsPerIndex f32 values (or chunkBytes(end - start) bytes when given) and
 * fit one binding.
 */
export function checkChunks(
  gpu: Gpu,
  kernel: string,
  what: string,
  chunks: readonly TensorChunk[],
  total: number,
  elementsPerIndex: number,
  chunkBytes = (width: number) => width * elementsPerIndex * 4,
): void {
  if (chunks.length === 0) throw new KernelInputError(`${kernel}: ${what} has no chunks`);
  let expected = 0;
  chunks.forEach((chunk, i) => {
    const { start, end } = chunk;
    if (start !== expected || !Number.isInteger(end) || end <= start || end > total) {
      throw new KernelInputError(
        `${kernel}: ${what} chunk ${i} covers [${start}, ${end}) but must start at ${expected} and end ` +
          `after it, at most at ${total}: chunks must cover 0..${total} in order`,
      );
    }
    checkStorage(gpu, kernel, `${what} chunk ${i}`, chunk.buffer, chunkBytes(end - start));
    expected = end;
  });
  if (expected !== total) {
    throw new KernelInputError(`${kernel}: ${what} chunks end at ${expected} but must cover 0..${total}`);
  }
}
