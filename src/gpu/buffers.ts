// A pool of transient GPU buffers bucketed by usage and size, so steps never allocate.

/** Rounds a byte size to its pool bucket: powers of two up to 64 MiB, then whole MiB. */
export function bucketSize(bytes: number): number {
  const size = Math.max(256, Math.ceil(bytes / 4) * 4);
  if (size <= 64 << 20) return 2 ** Math.ceil(Math.log2(size));
  return Math.ceil(size / (1 << 20)) * (1 << 20);
}

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly live = new Set<GPUBuffer>();
  private readonly device: GPUDevice;
  /** Bytes currently handed out plus bytes parked in free lists. */
  allocatedBytes = 0;

  constructor(device: GPUDevice) {
    this.device = device;
  }

  /** A buffer of at least `bytes` bytes with `usage`; release it when the work using it is encoded for the last time. */
  acquire(bytes: number, usage: GPUBufferUsageFlags, label: string): GPUBuffer {
    const size = bucketSize(bytes);
    const key = `${usage}:${size}`;
    const reused = this.free.get(key)?.pop();
    if (reused) {
      reused.label = label;
      this.live.add(reused);
      return reused;
    }
    const buffer = this.device.createBuffer({ size, usage, label });
    this.allocatedBytes += size;
    this.live.add(buffer);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    if (!this.live.delete(buffer)) return;
    const key = `${buffer.usage}:${buffer.size}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buffer);
  }

  /** Destroys parked buffers (live ones stay with their owners). */
  trim(): void {
    for (const list of this.free.values()) {
      for (const buffer of list) {
        this.allocatedBytes -= buffer.size;
        buffer.destroy();
      }
    }
    this.free.clear();
  }

  destroy(): void {
    this.trim();
    for (const buffer of this.live) buffer.destroy();
    this.live.clear();
    this.allocatedBytes = 0;
  }
}
