// KV caches of the WGSL engine: per sequence, one K and one V buffer laid out
// [numLayers, capacity, numKvHeads, headDim] f32, so layer l starts at element
// l * capacity * numKvHeads * headDim (the attention kernels' `cacheOffset`). New tokens' keys and
// values are rows [tokens, numKvHeads * headDim] and are copied in contiguously.
// Fork copies the cached prefix (lanes may diverge afterwards); truncate only moves the length.
import { GpuError, KernelInputError } from '../../gpu/errors';
import type { Gpu } from '../../gpu/runtime';
import type { ModelConfig } from '../config';
import type { SequenceId } from '../interface';

interface SequenceCache {
  keys: GPUBuffer;
  values: GPUBuffer;
  capacity: number;
  length: number;
}

const USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export class KvCacheStore {
  private readonly sequences = new Map<SequenceId, SequenceCache>();
  private readonly retired: GPUBuffer[] = [];
  private nextId = 1;
  private readonly rowElements: number;

  constructor(
    private readonly gpu: Gpu,
    private readonly config: ModelConfig,
    private readonly initialCapacity = 64,
  ) {
    this.rowElements = config.numKeyValueHeads * config.headDim;
  }

  /** Elements of one cached position (numKvHeads * headDim). */
  get positionElements(): number {
    return this.rowElements;
  }

  get bytes(): number {
    let total = 0;
    for (const s of this.sequences.values()) total += s.keys.size + s.values.size;
    return total;
  }

  private allocate(capacity: number, label: string): GPUBuffer {
    const bytes = this.config.numLayers * capacity * this.rowElements * 4;
    const limit = this.gpu.device.limits.maxStorageBufferBindingSize;
    if (bytes > limit) {
      throw new GpuError(
        'missing-limit',
        `a KV cache of ${capacity} positions needs ${(bytes / 2 ** 20).toFixed(1)} MiB per buffer, above this GPU's ` +
          `maxStorageBufferBindingSize of ${(limit / 2 ** 20).toFixed(1)} MiB: use a shorter context`,
      );
    }
    return this.gpu.device.createBuffer({ label, size: bytes, usage: USAGE });
  }

  private get(sequence: SequenceId): SequenceCache {
    const cache = this.sequences.get(sequence);
    if (!cache) throw new KernelInputError(`unknown sequence ${sequence} (released or never created)`);
    return cache;
  }

  create(): SequenceId {
    const id = this.nextId++;
    const capacity = Math.min(this.initialCapacity, this.config.maxPositions);
    this.sequences.set(id, {
      keys: this.allocate(capacity, `kv-cache:${id}:keys`),
      values: this.allocate(capacity, `kv-cache:${id}:values`),
      capacity,
      length: 0,
    });
    return id;
  }

  length(sequence: SequenceId): number {
    return this.get(sequence).length;
  }

  capacity(sequence: SequenceId): number {
    return this.get(sequence).capacity;
  }

  keys(sequence: SequenceId): GPUBuffer {
    return this.get(sequence).keys;
  }

  values(sequence: SequenceId): GPUBuffer {
    return this.get(sequence).values;
  }

  /** Element offset of `layer` inside the sequence's K or V buffer. */
  layerOffset(sequence: SequenceId, layer: number): number {
    return layer * this.get(sequence).capacity * this.rowElements;
  }

  /** Makes room for `extra` more positions (copying the cached prefix into larger buffers). */
  reserve(encoder: GPUCommandEncoder, sequence: SequenceId, extra: number): void {
    const cache = this.get(sequence);
    const needed = cache.length + extra;
    if (needed > this.config.maxPositions) {
      throw new KernelInputError(
        `sequence ${sequence} would reach ${needed} tokens, beyond the model's ${this.config.maxPositions} positions`,
      );
    }
    if (needed <= cache.capacity) return;
    const capacity = Math.min(this.config.maxPositions, Math.max(needed, cache.capacity * 2));
    const keys = this.allocate(capacity, `kv-cache:${sequence}:keys`);
    const values = this.allocate(capacity, `kv-cache:${sequence}:values`);
    this.copyPrefix(encoder, cache, keys, values, capacity, cache.length);
    // The copy is only encoded: the old buffers may be destroyed once it has been submitted.
    this.retired.push(cache.keys, cache.values);
    Object.assign(cache, { keys, values, capacity });
  }

  /** Frees buffers replaced by growth; call after submitting the encoder passed to `reserve`. */
  releaseRetired(): void {
    for (const buffer of this.retired.splice(0)) buffer.destroy();
  }

  /** Records that `count` positions were appended (after the caller wrote them). */
  advance(sequence: SequenceId, count: number): void {
    const cache = this.get(sequence);
    if (cache.length + count > cache.capacity)
      throw new KernelInputError(`advance past capacity: reserve first`);
    cache.length += count;
  }

  /** Copies rows [count, numKvHeads * headDim] of new keys and values into `layer` at the end. */
  append(
    encoder: GPUCommandEncoder,
    sequence: SequenceId,
    layer: number,
    keys: GPUBuffer,
    values: GPUBuffer,
    sourceRow: number,
    count: number,
  ): void {
    const cache = this.get(sequence);
    if (cache.length + count > cache.capacity)
      throw new KernelInputError(`append past capacity: reserve first`);
    const rowBytes = this.rowElements * 4;
    const target = (this.layerOffset(sequence, layer) + cache.length * this.rowElements) * 4;
    encoder.copyBufferToBuffer(keys, sourceRow * rowBytes, cache.keys, target, count * rowBytes);
    encoder.copyBufferToBuffer(values, sourceRow * rowBytes, cache.values, target, count * rowBytes);
  }

  fork(encoder: GPUCommandEncoder, sequence: SequenceId): SequenceId {
    const source = this.get(sequence);
    const id = this.nextId++;
    const keys = this.allocate(source.capacity, `kv-cache:${id}:keys`);
    const values = this.allocate(source.capacity, `kv-cache:${id}:values`);
    this.copyPrefix(encoder, source, keys, values, source.capacity, source.length);
    this.sequences.set(id, { keys, values, capacity: source.capacity, length: source.length });
    return id;
  }

  truncate(sequence: SequenceId, length: number): void {
    const cache = this.get(sequence);
    if (!Number.isInteger(length) || length < 0 || length > cache.length) {
      throw new KernelInputError(
        `cannot truncate sequence ${sequence} of length ${cache.length} to ${length}`,
      );
    }
    cache.length = length;
  }

  release(sequence: SequenceId): void {
    const cache = this.sequences.get(sequence);
    if (!cache) return;
    cache.keys.destroy();
    cache.values.destroy();
    this.sequences.delete(sequence);
  }

  dispose(): void {
    for (const id of [...this.sequences.keys()]) this.release(id);
    this.releaseRetired();
  }

  private copyPrefix(
    encoder: GPUCommandEncoder,
    from: SequenceCache,
    keys: GPUBuffer,
    values: GPUBuffer,
    capacity: number,
    length: number,
  ): void {
    if (length === 0) return;
    const rowBytes = this.rowElements * 4;
    for (let layer = 0; layer < this.config.numLayers; layer++) {
      const source = layer * from.capacity * rowBytes;
      const target = layer * capacity * rowBytes;
      encoder.copyBufferToBuffer(from.keys, source, keys, target, length * rowBytes);
      encoder.copyBufferToBuffer(from.values, source, values, target, length * rowBytes);
    }
  }
}
