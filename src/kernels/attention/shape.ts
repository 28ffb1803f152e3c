// Layouts, validation and the uniform block shared by the attention kernels
// (shaders/attention-common.wgsl holds the WGSL side of the same struct). All tensors f32:
//   Q, O       [queries, numHeads, headDim]    from element queryOffset / outputOffset
//   K, V cache [capacity, numKvHeads, headDim] from element cacheOffset (the same in both buffers)
// Positions 0 .. keys - 1 of the cache are valid; the new tokens are the last `queries` of them.
import { KernelInputError } from '../../gpu/errors';

export const MAX_HEAD_DIM = 128;
export const MAX_HEADS = 128;
/** Bytes of AttentionParams (16 words). */
export const PARAM_BYTES = 64;

export interface AttentionShape {
  /** Tq: new tokens of this sequence (rows of Q and O). */
  queries: number;
  /** L: valid cache positions, the new tokens included (they sit at L - Tq .. L - 1). */
  keys: number;
  numHeads: number;
  /** Divides numHeads; head h reads kv head floor(h / (numHeads / numKvHeads)). */
  numKvHeads: number;
  /** Even, 2..128. */
  headDim: number;
  /** Positions the K and V buffers hold from cacheOffset on (>= keys). */
  capacity: number;
  /** Element offset of position 0 inside the K and V buffers (default 0). */
  cacheOffset?: number;
  /** Element offset of Q inside the query buffer (default 0). */
  queryOffset?: number;
  /** Element offset of O inside the output buffer (default 0). */
  outputOffset?: number;
  /** Softmax scale (default 1 / sqrt(headDim)). */
  scale?: number;
}

export type ResolvedShape = Required<AttentionShape> & { groupSize: number };

export interface AttentionBuffers {
  /** Q [queries, numHeads, headDim] f32 from queryOffset. */
  query: GPUBuffer;
  /** K cache [capacity, numKvHeads, headDim] f32 from cacheOffset. */
  key: GPUBuffer;
  /** V cache, same layout as the K cache. */
  value: GPUBuffer;
  /** O [queries, numHeads, headDim] f32 from outputOffset; written, never read. */
  output: GPUBuffer;
}

/** Extra words of the uniform block some kernels use. */
export interface ParamExtras {
  splits?: number;
  splitSize?: number;
  captureHead?: number;
}

function integerIn(kernel: string, name: string, value: number, min: number, max: number, advice: string) {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new KernelInputError(
      `${kernel}: ${name} = ${value} must be an integer in ${min}..${max}; ${advice}`,
    );
  }
}

/** Validates the numbers of `shape` and fills in the defaults; throws KernelInputError naming the value. */
export function resolveShape(kernel: string, shape: AttentionShape): ResolvedShape {
  const { queries, keys, numHeads, numKvHeads, headDim, capacity } = shape;
  const big = 2 ** 31;
  integerIn(kernel, 'keys (L)', keys, 1, big, 'it counts the cached positions including the new tokens.');
  integerIn(kernel, 'queries (Tq)', queries, 1, big, 'pass the number of new tokens.');
  if (queries > keys) {
    throw new KernelInputError(
      `${kernel}: queries (Tq) = ${queries} exceeds keys (L) = ${keys}; write the new tokens' keys and ` +
        'values into the cache first, so L counts them.',
    );
  }
  integerIn(kernel, 'numHeads', numHeads, 1, MAX_HEADS, 'larger head counts are not supported.');
  integerIn(kernel, 'numKvHeads', numKvHeads, 1, numHeads, 'it cannot exceed numHeads.');
  if (numHeads % numKvHeads !== 0) {
    throw new KernelInputError(
      `${kernel}: numKvHeads = ${numKvHeads} does not divide numHeads = ${numHeads}; grouped-query ` +
        'attention needs the same number of query heads per kv head.',
    );
  }
  if (!Number.isInteger(headDim) || headDim < 2 || headDim > MAX_HEAD_DIM || headDim % 2 !== 0) {
    throw new KernelInputError(
      `${kernel}: headDim = ${headDim} must be an even integer in 2..${MAX_HEAD_DIM}; ` +
        'models with other head sizes are not supported by these kernels.',
    );
  }
  integerIn(
    kernel,
    'capacity',
    capacity,
    keys,
    big,
    `the cache must hold at least keys (L) = ${keys} positions.`,
  );
  const cacheOffset = shape.cacheOffset ?? 0;
  const queryOffset = shape.queryOffset ?? 0;
  const outputOffset = shape.outputOffset ?? 0;
  for (const [name, value] of [
    ['cacheOffset', cacheOffset],
    ['queryOffset', queryOffset],
    ['outputOffset', outputOffset],
  ] as const) {
    integerIn(kernel, name, value, 0, big, 'offsets count f32 elements from the start of the buffer.');
  }
  const scale = shape.scale ?? 1 / Math.sqrt(headDim);
  if (!Number.isFinite(scale)) {
    throw new KernelInputError(`${kernel}: scale = ${scale} must be finite (default 1/sqrt(headDim)).`);
  }
  return {
    queries,
    keys,
    numHeads,
    numKvHeads,
    headDim,
    capacity,
    cacheOffset,
    queryOffset,
    outputOffset,
    scale,
    groupSize: numHeads / numKvHeads,
  };
}

/** Elements each tensor spans, offsets included. */
export function tensorElements(shape: ResolvedShape) {
  const rows = shape.queries * shape.numHeads * shape.headDim;
  return {
    query: shape.queryOffset + rows,
    output: shape.outputOffset + rows,
    cache: shape.cacheOffset + shape.capacity * shape.numKvHeads * shape.headDim,
  };
}

/** Throws KernelInputError when `buffer` is too small, lacks STORAGE usage or cannot be bound whole. */
export function checkBuffer(
  kernel: string,
  device: GPUDevice,
  name: string,
  buffer: GPUBuffer,
  bytes: number,
  layout: string,
): void {
  if (buffer.size < bytes) {
    throw new KernelInputError(
      `${kernel}: ${name} buffer "${buffer.label}" has ${buffer.size} bytes but ${layout} needs ${bytes}; ` +
        'pass the shape the buffer was made for, or a larger buffer.',
    );
  }
  if ((buffer.usage & GPUBufferUsage.STORAGE) === 0) {
    throw new KernelInputError(
      `${kernel}: ${name} buffer "${buffer.label}" lacks STORAGE usage; create it with GPUBufferUsage.STORAGE.`,
    );
  }
  const limit = device.limits.maxStorageBufferBindingSize;
  if (buffer.size > limit) {
    throw new KernelInputError(
      `${kernel}: ${name} buffer "${buffer.label}" has ${buffer.size} bytes, more than this device binds at ` +
        `once (maxStorageBufferBindingSize ${limit}); split it into buffers of at most that size.`,
    );
  }
}

/** Throws KernelInputError when a grid dimension (`count` workgroups for `what`) exceeds the device limit. */
export function checkGrid(kernel: string, device: GPUDevice, what: string, count: number): void {
  const limit = device.limits.maxComputeWorkgroupsPerDimension;
  if (count > limit) {
    throw new KernelInputError(
      `${kernel}: ${what} needs ${count} workgroups in one grid dimension, more than this device's ` +
        `${limit} (maxComputeWorkgroupsPerDimension); split the call.`,
    );
  }
}

/** Validates Q, K, V and O against `shape` (sizes, usage, no output aliasing an input). */
export function checkAttentionBuffers(
  kernel: string,
  device: GPUDevice,
  buffers: AttentionBuffers,
  shape: ResolvedShape,
): void {
  const elements = tensorElements(shape);
  const { queries, numHeads, numKvHeads, headDim, capacity } = shape;
  const rows = `[${queries}, ${numHeads}, ${headDim}] f32`;
  const cache = `cacheOffset ${shape.cacheOffset} + [${capacity}, ${numKvHeads}, ${headDim}] f32`;
  checkBuffer(
    kernel,
    device,
    'query',
    buffers.query,
    elements.query * 4,
    `queryOffset ${shape.queryOffset} + ${rows}`,
  );
  checkBuffer(kernel, device, 'key', buffers.key, elements.cache * 4, cache);
  checkBuffer(kernel, device, 'value', buffers.value, elements.cache * 4, cache);
  checkBuffer(
    kernel,
    device,
    'output',
    buffers.output,
    elements.output * 4,
    `outputOffset ${shape.outputOffset} + ${rows}`,
  );
  for (const input of ['query', 'key', 'value'] as const) {
    if (buffers.output === buffers[input]) {
      throw new KernelInputError(
        `${kernel}: the output buffer "${buffers.output.label}" is also the ${input} buffer; WebGPU cannot ` +
          'bind one buffer as both read-only and writable storage in a dispatch. Use a separate output.',
      );
    }
  }
}

/** The 16-word AttentionParams block of attention-common.wgsl. */
export function packParams(shape: ResolvedShape, extras: ParamExtras = {}): ArrayBuffer {
  const words = new ArrayBuffer(PARAM_BYTES);
  const u32 = new Uint32Array(words);
  const f32 = new Float32Array(words);
  u32.set([
    shape.queries,
    shape.keys,
    shape.numHeads,
    shape.numKvHeads,
    shape.headDim,
    shape.cacheOffset,
    shape.queryOffset,
    shape.outputOffset,
  ]);
  f32[8] = shape.scale;
  u32[9] = extras.splits ?? 1;
  u32[10] = extras.splitSize ?? shape.keys;
  u32[11] = extras.captureHead ?? 0;
  u32[12] = shape.groupSize;
  return words;
}
