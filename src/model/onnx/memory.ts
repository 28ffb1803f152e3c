// Where the ONNX backend's KV caches live and how bytes move between them: on the GPU (the WebGPU
// provider's outputs and our own buffers, copied with copyBufferToBuffer, never through the CPU)
// or in CPU memory (the wasm provider). The cache code (kv-cache.ts) is the same for both.
import type { Tensor } from 'onnxruntime-web/webgpu';
import { ort } from './runtime';

export type CacheType = 'float32' | 'float16';

export const ELEMENT_BYTES: Record<CacheType, number> = { float32: 4, float16: 2 };

/** `bytes` from byte `fromOffset` of `from` to byte `toOffset` of `to` (offsets, sizes: multiples of 4). */
export interface CopyRegion {
  from: Tensor;
  fromOffset: number;
  to: Tensor;
  toOffset: number;
  bytes: number;
}

export interface TensorMemory {
  readonly location: 'gpu-buffer' | 'cpu';
  /** A zero-filled tensor; give it back with `release`. */
  allocate(type: CacheType, dims: readonly number[], label: string): Tensor;
  /** Runs the copies in order (one submission on the GPU). */
  copy(regions: readonly CopyRegion[], label: string): void;
  /** Frees a tensor from `allocate` or an output of the session. */
  release(tensor: Tensor): void;
  /** Bytes currently allocated by `allocate` (pooled buffers included). */
  readonly bytes: number;
  destroy(): void;
}

const count = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** An empty tensor (a past of length 0) lives on the CPU for both providers: there is nothing to copy. */
export function emptyTensor(type: CacheType, dims: readonly number[]): Tensor {
  const data = type === 'float32' ? new Float32Array(0) : new Uint16Array(0);
  return new ort.Tensor(type, data, dims);
}

const POOL_LIMIT = 64;
const USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/**
 * GPU memory: buffers are pooled by power-of-two size classes, so caches that grow by one position
 * per token reuse buffers instead of creating one per step; a tensor uses a prefix of its buffer
 * (as onnxruntime's own bucketed outputs do).
 */
export class GpuTensorMemory implements TensorMemory {
  readonly location = 'gpu-buffer';
  private readonly owned = new Map<Tensor, GPUBuffer>();
  private readonly pool = new Map<number, GPUBuffer[]>();
  private pooled = 0;
  private allocatedBytes = 0;

  constructor(private readonly device: GPUDevice) {}

  get bytes(): number {
    return this.allocatedBytes;
  }

  allocate(type: CacheType, dims: readonly number[], label: string): Tensor {
    const needed = Math.max(4, count(dims) * ELEMENT_BYTES[type]);
    const size = 2 ** Math.ceil(Math.log2(needed));
    let buffer = this.pool.get(size)?.pop();
    if (buffer) {
      this.pooled--;
      // A reused buffer holds an old cache: padding slots must read as zeros (finite, masked).
      const encoder = this.device.createCommandEncoder({ label: `${label}:clear` });
      encoder.clearBuffer(buffer);
      this.device.queue.submit([encoder.finish()]);
    } else {
      buffer = this.device.createBuffer({ label: `onnx:${label}`, size, usage: USAGE });
      this.allocatedBytes += size;
    }
    const tensor = ort.Tensor.fromGpuBuffer(buffer, { dataType: type, dims });
    this.owned.set(tensor, buffer);
    return tensor;
  }

  copy(regions: readonly CopyRegion[], label: string): void {
    if (regions.length === 0) return;
    const encoder = this.device.createCommandEncoder({ label });
    for (const r of regions) {
      if (r.bytes === 0) continue;
      encoder.copyBufferToBuffer(
        r.from.gpuBuffer as GPUBuffer,
        r.fromOffset,
        r.to.gpuBuffer as GPUBuffer,
        r.toOffset,
        r.bytes,
      );
    }
    this.device.queue.submit([encoder.finish()]);
  }

  release(tensor: Tensor): void {
    if (tensor.location !== 'gpu-buffer') return;
    const buffer = this.owned.get(tensor);
    if (!buffer) {
      tensor.dispose(); // an output of the session: back to onnxruntime's allocator
      return;
    }
    this.owned.delete(tensor);
    if (this.pooled >= POOL_LIMIT) {
      this.allocatedBytes -= buffer.size;
      buffer.destroy();
      return;
    }
    const list = this.pool.get(buffer.size) ?? [];
    list.push(buffer);
    this.pool.set(buffer.size, list);
    this.pooled++;
  }

  destroy(): void {
    for (const buffer of this.owned.values()) buffer.destroy();
    for (const list of this.pool.values()) for (const buffer of list) buffer.destroy();
    this.owned.clear();
    this.pool.clear();
    this.pooled = 0;
    this.allocatedBytes = 0;
  }
}

/** CPU memory (the wasm provider): typed arrays, copied with set(). */
export class CpuTensorMemory implements TensorMemory {
  readonly location = 'cpu';
  private readonly owned = new Set<Tensor>();
  private live = 0;

  get bytes(): number {
    return this.live;
  }

  allocate(type: CacheType, dims: readonly number[]): Tensor {
    const n = count(dims);
    this.live += n * ELEMENT_BYTES[type];
    const tensor = new ort.Tensor(type, type === 'float32' ? new Float32Array(n) : new Uint16Array(n), dims);
    this.owned.add(tensor);
    return tensor;
  }

  copy(regions: readonly CopyRegion[]): void {
    const bytesOf = (t: Tensor) => {
      const data = t.data as Float32Array | Uint16Array;
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    };
    for (const r of regions) {
      bytesOf(r.to).set(bytesOf(r.from).subarray(r.fromOffset, r.fromOffset + r.bytes), r.toOffset);
    }
  }

  release(tensor: Tensor): void {
    // Outputs of the wasm session are plain arrays the garbage collector frees; ours are counted.
    if (this.owned.delete(tensor)) this.live -= tensor.size * ELEMENT_BYTES[tensor.type as CacheType];
  }

  destroy(): void {
    this.owned.clear();
    this.live = 0;
  }
}
