// Tensors larger than one storage binding, split along one axis into separate buffers.
//
// WebGPU binds at most maxStorageBufferBindingSize bytes (often 128 MiB .. 2 GiB), but Qwen2.5's
// 151,936 x 896 f32 embedding / head is 545 MB. Weights are therefore split along N (the output
// axis of a matmul, the row axis of an embedding table): chunk i holds the index range
// [start, end) of that axis and nothing else.
//   layout "nk" ([N, K], nn.Linear, embedding tables): rows start..end-1, contiguous in memory.
//   layout "kn" ([K, N], GPT-2 Conv1D): a [K, end - start] matrix, gathered from columns.
// Each chunk is one buffer bound whole; kernels dispatch once per chunk.
import { KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
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

/** A weight W with K inputs and N outputs, as chunks covering 0..N in order. */
export interface MatmulWeight {
  layout: WeightLayout;
  chunks: readonly TensorChunk[];
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
  if (data.length !== n * k) {
    throw new KernelInputError(
      `chunkWeightData: data has ${data.length} elements, N*K = ${n}*${k} = ${n * k}`,
    );
  }
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
 * chunkLimit(gpu)). The caller owns the buffers (destroyWeight).
 */
export function uploadWeight(
  gpu: Gpu,
  data: Float32Array,
  layout: WeightLayout,
  n: number,
  k: number,
  label: string,
  limit = chunkLimit(gpu),
): MatmulWeight {
  const ranges = splitRowsForLimit(n, k, 4, limit);
  const parts = chunkWeightData(data, layout, n, k, ranges);
  const chunks = ranges.map((range, i) => {
    const buffer = gpu.device.createBuffer({
      label: ranges.length === 1 ? label : `${label}[${range.start}:${range.end}]`,
      size: Math.max(16, parts[i].byteLength),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
      mappedAtCreation: true,
    });
    new Float32Array(buffer.getMappedRange(0, parts[i].byteLength)).set(parts[i]);
    buffer.unmap();
    return { ...range, buffer };
  });
  return { layout, chunks };
}

export function destroyWeight(weight: MatmulWeight): void {
  for (const chunk of weight.chunks) chunk.buffer.destroy();
}

/**
 * Chunks must cover 0..total in order without gaps, and each buffer must hold
 * (end - start) * elementsPerIndex f32 values and fit one binding.
 */
export function checkChunks(
  gpu: Gpu,
  kernel: string,
  what: string,
  chunks: readonly TensorChunk[],
  total: number,
  elementsPerIndex: number,
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
    checkStorage(gpu, kernel, `${what} chunk ${i}`, chunk.buffer, (end - start) * elementsPerIndex * 4);
    expected = end;
  });
  if (expected !== total) {
    throw new KernelInputError(`${kernel}: ${what} chunks end at ${expected} but must cover 0..${total}`);
  }
}
